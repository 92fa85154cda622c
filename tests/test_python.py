"""Python launchers and batch scripts (libcst front end): (before, after) pairs, no-ops,
the lazy import, and properties (output compiles, idempotent, never crashes)."""

from __future__ import annotations

import subprocess
import sys

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sbatch_migrate.fix.engine import migrate
from sbatch_migrate.profile import load
from sbatch_migrate.read.source import Source

PROFILE = load()


def run_py(text: str):  # type: ignore[no-untyped-def]
    return migrate(Source.from_bytes(text.encode(), "launch.py"), PROFILE)


@pytest.mark.parametrize(
    ("before", "after"),
    [
        ('subprocess.run(["sbatch", "-p", "gtest", "j.sh"])', 'subprocess.run(["sbatch", "-p", "slinky", "j.sh"])'),
        ("subprocess.call(['srun', '--partition=gp1d', 'x'])", "subprocess.call(['srun', '--partition=slinky', 'x'])"),
        ('subprocess.Popen(("salloc", "-pgp2d"))', 'subprocess.Popen(("salloc", "-pslinky"))'),
        (
            'subprocess.check_output(["sbatch", "--part", "gtest,gp1d", "j"])',
            'subprocess.check_output(["sbatch", "--part", "slinky", "j"])',
        ),
        ('os.system("module load singularity && sbatch -p gtest j.sh")', 'os.system("sbatch -p slinky j.sh")'),
        ("os.system('module purge; srun hostname')", "os.system('srun hostname')"),
        ('subprocess.run("sbatch -p gp4d j.sh", shell=True)', 'subprocess.run("sbatch -p slinky j.sh", shell=True)'),
        ('ex.update_parameters(slurm_partition="gtest")', 'ex.update_parameters(slurm_partition="slinky")'),
        (
            "submitit.SlurmExecutor(folder='l', partition='gp1d')",
            "submitit.SlurmExecutor(folder='l', partition='slinky')",
        ),
        (
            'ex.update_parameters(slurm_setup=["module load singularity", "export A=1"])',
            'ex.update_parameters(slurm_setup=["export A=1"])',
        ),
        (
            'ex.update_parameters(slurm_setup=["export A=1", "module load singularity"])',
            'ex.update_parameters(slurm_setup=["export A=1"])',
        ),
        # neighbours that both go: one deletion per run (two overlapping ones crashed)
        (
            'ex.update_parameters(slurm_setup=["module load singularity", "module purge"])',
            "ex.update_parameters(slurm_setup=[])",
        ),
        (
            'ex.update_parameters(slurm_setup=["module purge", "export A=1", "module load singularity"])',
            'ex.update_parameters(slurm_setup=["export A=1"])',
        ),
        (
            'ex.update_parameters(slurm_setup=["export A=1", "module purge", "module load singularity"])',
            'ex.update_parameters(slurm_setup=["export A=1"])',
        ),
        # escapes: read as the value the shell runs; an element that empties goes whole
        (
            'ex.update_parameters(slurm_setup=["module load singularity\\r\\r\\n", "export X=1\\r\\r\\n"])',
            'ex.update_parameters(slurm_setup=["export X=1\\r\\r\\n"])',
        ),
        (
            'ex.update_parameters(slurm_setup=["module purge\\nmodule load singularity\\n"])',
            "ex.update_parameters(slurm_setup=[])",
        ),
        ('os.environ["SINGULARITY_CACHEDIR"] = "/tmp/c"', 'os.environ["APPTAINER_CACHEDIR"] = "/tmp/c"'),
        (
            'S = """#!/bin/bash\n#SBATCH -p gtest\nmodule load singularity\nsrun x\n"""',
            'S = """#!/bin/bash\n#SBATCH -p slinky\nsrun x\n"""',
        ),
    ],
)
def test_rewrite(before: str, after: str) -> None:
    head = "import os\nimport subprocess\nimport submitit\n"
    result = run_py(head + before + "\n")
    assert result.output.decode() == head + after + "\n"
    compile(result.output, "launch.py", "exec")


@pytest.mark.parametrize(
    "text",
    [
        'subprocess.run(["ls", "-p", "gtest"])',  # not a Slurm client
        'subprocess.run(["sbatch", "-p", "slinky", "j.sh"])',
        'print("-p gtest")',
        'x = b"#!/bin/bash\\n#SBATCH -p gtest\\n"',
        "os.system(cmd)",
        'ex.update_parameters(slurm_partition="slinky")',
    ],
)
def test_no_change(text: str) -> None:
    result = run_py("import os\nimport subprocess\n" + text + "\n")
    assert not result.changed and not result.errors


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ('P = "gtest"\nsubprocess.run(["sbatch", "-p", P, "j.sh"])', "SM104"),
        ('subprocess.run(["sbatch", f"--partition={p}", "j.sh"])', "SM104"),
        ("ex.update_parameters(slurm_partition=queue)", "SM104"),
        ('S = f"""#!/bin/bash\n#SBATCH -p {part}\nsrun x\n"""', "SM104"),
        ('S = "#!/bin/bash\\n#SBATCH -p gtest\\nsrun x\\n"', "SM907"),
        ('os.environ["UCX_NET_DEVICES"] = "mlx5_0:1"', "SM301"),
        ('subprocess.run(["srun", "x"], env={"NCCL_IB_HCA": "mlx5_0"})', "SM302"),
        ('os.environ.update({"OMPI_MCA_btl": "openib"})', "SM304"),
        ("print('unclosed", "SM902"),
    ],
)
def test_reported_not_guessed(text: str, code: str) -> None:
    result = run_py("import os\nimport subprocess\n" + text + "\n")
    assert code in [f.code for f in result.findings]


def test_a_string_with_escapes_is_read_as_its_value() -> None:
    """`module load singularity\\n` loads singularity (it was read as `singularityn`), and
    a command sharing such a string with others is reported, not edited."""
    result = run_py('import os\nos.system("module load cuda singularity\\nsrun -p gtest x\\n")\n')
    found = {f.code: f for f in result.findings}
    assert "singularityn" not in found["SM203"].message and "cuda" in found["SM203"].message
    assert "inside a Python string with escapes" in found["SM201"].message and not found["SM201"].fixed
    assert not result.changed


def test_template_interpolation_is_left_alone() -> None:
    text = 'S = f"""#!/bin/bash\n#SBATCH -p {part}\n#SBATCH -J {name}\nmodule load singularity\n"""\n'
    out = run_py(text).output.decode()
    assert out == 'S = f"""#!/bin/bash\n#SBATCH -p {part}\n#SBATCH -J {name}\n"""\n'


def test_libcst_is_imported_only_for_python_files() -> None:
    code = (
        "import sys\n"
        "from sbatch_migrate.fix.engine import migrate\nfrom sbatch_migrate.profile import load\n"
        "from sbatch_migrate.read.source import Source\n"
        "migrate(Source.from_bytes(b'#!/bin/bash\\n#SBATCH -p gtest\\nmodule load singularity\\n', 'j.sh'), load())\n"
        "assert 'libcst' not in sys.modules, 'libcst imported for a bash script'\n"
        "migrate(Source.from_bytes(b'import os\\nos.system(\"srun -p gtest x\")\\n', 'l.py'), load())\n"
        "assert 'libcst' in sys.modules\n"
    )
    p = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=False)
    assert p.returncode == 0, p.stderr


FRAGMENTS = [
    'subprocess.run(["sbatch", "-p", "gtest", "job.sh"], check=True)',
    "subprocess.call(['srun', '--partition=gp1d', 'singularity', 'exec', '--nv', 'a.sif', 'nvidia-smi'])",
    'os.system("module load singularity && srun -p gtest hostname")',
    "os.system('module purge; module load singularity')",
    'subprocess.run("module load cuda singularity; sbatch -pgp2d run.sh", shell=True)',
    'ex.update_parameters(slurm_partition="gtest", slurm_setup=["module load singularity", "export X=1"])',
    'ex.update_parameters(slurm_setup=["module purge\\r\\r\\n", "module load singularity\\n", "export X=1\\n"])',
    'ex.update_parameters(slurm_setup=["module load singularity", "module purge"])',
    'os.environ["NCCL_IB_HCA"] = "mlx5_0"',
    'os.environ["SINGULARITY_BINDPATH"] = "/work/users"',
    'T = """#!/bin/bash\n#SBATCH -p gp4d\nmodule purge\nmodule load singularity\nsrun x\n"""',
    'T = f"""#!/bin/bash\n#SBATCH -p {part}\nmodule load singularity\n"""',
    "print('hello')",
    "def f():\n    return os.system('module load singularity')",
    "if x:\n    subprocess.run(['sbatch', '-p', P, 'j'])",
]


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.sampled_from(FRAGMENTS), max_size=8), st.sampled_from(["\n", "\r\n"]))
def test_python_launchers_compile_and_are_idempotent(parts: list[str], newline: str) -> None:
    text = "import os\nimport subprocess\n" + "\n".join(parts) + "\n"
    text = text.replace("\n", newline)
    first = migrate(Source.from_bytes(text.encode(), "l.py"), PROFILE)
    compile(first.output, "l.py", "exec")
    second = migrate(Source.from_bytes(first.output, "l.py"), PROFILE)
    assert second.output == first.output


@settings(max_examples=200, deadline=None)
@given(
    st.text(
        alphabet=st.sampled_from(list('os.system("module load singularity -p gtest")[]{}\'\n #SBATCH=f')), max_size=150
    )
)
def test_python_noise_never_crashes(text: str) -> None:
    result = migrate(Source.from_bytes(text.encode(), "l.py"), PROFILE)
    assert isinstance(result.output, bytes)


def test_valid_python_libcst_cannot_read_is_said_not_called_an_error() -> None:
    """Deeper than libcst's recursion goes, inside the call it must read: the file is read
    whole (:mod:`sbatch_migrate.read.pyregions`) and libcst's limit is said."""
    deep = " + ".join(["1"] * 800)
    text = "#!/usr/bin/env python3\n#SBATCH -p gtest\nimport subprocess\n"
    text += f"subprocess.run(['sbatch', 'j.sh'], timeout={deep})\n"
    compile(text, "launch.py", "exec")  # CPython reads it
    result = run_py(text)
    found = [f.code for f in result.findings]
    assert "SM909" in found and "SM902" not in found
    assert b"#SBATCH -p slinky" in result.output  # the directives are still migrated


@pytest.mark.parametrize(
    "body",
    [
        "(pars): bool = True\n",  # valid Python (a parenthesised annotated name) libcst does not read
        "x = " + " + ".join(["1"] * 800) + "\n",  # deeper than libcst's recursion goes
    ],
)
def test_what_libcst_cannot_read_outside_the_launches_does_not_hide_them(body: str) -> None:
    """libcst reads only the pieces the front end acts on: Python it cannot read elsewhere
    in the file no longer keeps the launch from being read."""
    text = "#!/usr/bin/env python3\n#SBATCH -p gtest\nimport subprocess\n" + body
    text += "subprocess.run(['sbatch', '-p', 'gtest', 'j.sh'])\n"
    compile(text, "launch.py", "exec")
    result = run_py(text)
    found = [f.code for f in result.findings]
    assert "SM909" not in found and "SM902" not in found
    assert b"#SBATCH -p slinky" in result.output
    assert b"['sbatch', '-p', 'slinky', 'j.sh']" in result.output


def test_python_nested_deeper_than_cpython_compiles_is_an_error() -> None:
    text = "#!/usr/bin/env python3\n#SBATCH -p gtest\nimport os\nos.system('srun x')\n"
    text += "x = " + " + ".join(["1"] * 5000) + "\n"
    found = {f.code: f.message for f in run_py(text).findings}
    assert "SM902" in found and "SM909" not in found
