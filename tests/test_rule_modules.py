"""SM201-SM205: Environment Modules."""

from __future__ import annotations

import shutil
import subprocess

import pytest

from .conftest import codes, out, run

H = "#!/bin/bash\n#SBATCH -N 1\n\n"


@pytest.mark.parametrize(
    ("before", "after"),
    [
        ("module load singularity\nsrun x\n", "srun x\n"),
        ("module add singularity/3.7.1\nsrun x\n", "srun x\n"),
        ("ml singularity\nsrun x\n", "srun x\n"),
        ("module purge\nmodule load singularity\n\nsrun x\n", "srun x\n"),
        ("module load singularity && srun x\n", "srun x\n"),
        ("srun x && module load singularity\n", "srun x\n"),
        ("module load singularity || exit 1\nsrun x\n", "srun x\n"),
        ("module purge && module load singularity && srun x\n", "srun x\n"),
        ("module purge; module load singularity; srun x\n", "srun x\n"),
        ("cd /work; module load singularity\n", "cd /work\n"),
        ("module load singularity  # needs it\nsrun x\n", "srun x\n"),
        ("module load singularity 2>/dev/null\nsrun x\n", "srun x\n"),
        ("if [ -d /x ]; then\n  module load singularity\nfi\n", "if [ -d /x ]; then\n  :\nfi\n"),
        ("if a; then module load singularity; else b; fi\n", "if a; then :; else b; fi\n"),
        ("f() {\n  module purge\n  module load singularity\n}\n", "f() {\n  :\n}\n"),
        ("for i in 1; do module load singularity; done\n", "for i in 1; do :; done\n"),
        ("case $x in\n  a) module load singularity ;;\nesac\n", "case $x in\n  a) : ;;\nesac\n"),
        ("( module load singularity )\n", "( : )\n"),
        ("module load cuda/11.0 singularity/3.7.1 openmpi\n", "module load cuda/11.0 openmpi\n"),
        ("ml singularity cuda\n", "ml cuda\n"),
        ("module unload singularity\n", ""),
        ("echo a\n\nmodule load singularity\n\n\necho b\n", "echo a\n\necho b\n"),
        ("echo a\nmodule load singularity", "echo a"),
        # the package, whatever its folder or version (site module trees)
        ("module load apps/singularity/3.5.0\nsrun x\n", "srun x\n"),
        ("module load libs/singularity\nsrun x\n", "srun x\n"),
        ("ml Singularity/default\nsrun x\n", "srun x\n"),
        ("module load apps/singularity-3.2.0\nsrun x\n", "srun x\n"),
        ("module load apptainer/1.2\nsrun x\n", "srun x\n"),
        ("module load singularity-ce/4.1.0 cuda\n", "module load cuda\n"),
        ("module load singularity/3.7.1-gcc-9.3.0\nsrun x\n", "srun x\n"),
    ],
)
def test_removal(before: str, after: str) -> None:
    assert out(H + before) == H + after


@pytest.mark.parametrize(
    ("name", "package"),
    [
        ("apps/singularity/madym/4.23.0", "madym"),  # an application in the runtime's folder
        ("miniconda3/conda24.5.0_py3.9", "miniconda3"),
        ("biology/cuda/12.0.0", "cuda"),
        ("nvhpc-24.11_hpcx-2.20_cuda-12.6", "nvhpc-24.11_hpcx-2.20_cuda-12.6"),
        ("pkg/Anaconda3", "anaconda3"),
    ],
)
def test_package_of_a_module_name(name: str, package: str) -> None:
    from sbatch_migrate.model.modules import package_of

    assert package_of(name) == package
    if package != "singularity":
        assert "SM203" in codes(run(H + f"module load {name}\n"))


@pytest.mark.parametrize(
    "text",
    [
        "echo $(module load singularity)\n",
        "module load singularity | tee log\n",
        "if module load singularity; then srun x; fi\n",
        "while module load singularity; do :; done\n",
    ],
)
def test_unsafe_places_are_reported_not_removed(text: str) -> None:
    result = run(H + text)
    assert not result.changed
    [f] = [f for f in result.findings if f.code == "SM201"]
    assert not f.fixed and "left in place" in f.message


def test_other_modules_are_errors() -> None:
    result = run(H + "module load cuda/11.0 singularity/3.7.1 openmpi\n")
    other = [f for f in result.findings if f.code == "SM203"]
    assert len(other) == 1 and "cuda/11.0 openmpi" in other[0].message and not other[0].fixed
    assert [f.code for f in run(H + "module swap gcc intel\n").findings] == ["SM203"]
    assert [f.code for f in run(H + "module load $MOD\n").findings] == ["SM203"]


@pytest.mark.parametrize(
    "text", ["module list\n", "module avail\n", "module use /opt/mods\n", "ml\n", "module unload cuda\n"]
)
def test_other_module_commands_are_warnings(text: str) -> None:
    result = run(H + text)
    assert codes(result) == ["SM204"] and not result.changed


@pytest.mark.parametrize(
    "text",
    [
        "source /etc/profile.d/modules.sh\n",
        ". /usr/share/lmod/lmod/init/bash\n",
        ". /opt/ohpc/admin/lmod/lmod/init/bash\n",
        "eval $(/usr/bin/modulecmd bash load x)\n",
        "module() { eval $(/usr/bin/modulecmd bash $*); }\n",
    ],
)
def test_module_init_is_reported(text: str) -> None:
    result = run(H + text)
    assert "SM205" in codes(result) and not result.changed


def test_profile_d_files_that_are_not_module_init_are_left_alone() -> None:
    assert codes(run(H + "source /etc/profile.d/conda.sh\n")) == []


def test_purge_kept_when_profile_says_so() -> None:
    from sbatch_migrate.profile import load
    from sbatch_migrate.record import replace

    result = run(H + "module purge\n", replace(load(), remove_purge=False))
    assert not result.changed and codes(result) == ["SM202"]


@pytest.mark.parametrize(("line", "name"), [("module avail", "module"), ("ml av", "ml"), ("ml", "ml")])
def test_other_module_command_names_the_command_bash_cannot_find(line: str, name: str) -> None:
    [f] = [f for f in run(f"#!/bin/bash\n#SBATCH -N 1\n{line}\n").findings if f.code == "SM204"]
    assert f"`{name}: command not found`" in f.message
    # what bash itself says where no module system is installed
    bash = shutil.which("bash")
    assert bash is not None
    p = subprocess.run([bash, "-c", line], capture_output=True, text=True, env={"PATH": "/nonexistent"}, check=False)
    assert f"{name}: command not found" in p.stderr


@pytest.mark.parametrize("line", ["source /etc/profile", ". /etc/profile", "source /etc/bashrc"])
def test_sourcing_files_every_image_has_is_not_reported(line: str) -> None:
    """They exist in the pod; what they no longer provide (`module`) is reported where it
    is used."""
    result = run(H + line + "\nmodule load cuda\n")
    assert "SM205" not in codes(result) and "SM203" in codes(result)


@pytest.mark.parametrize(
    ("before", "after"),
    [
        (
            "#!/bin/bash\nmodule purge\n#SBATCH -p gtest\nsrun x\n",
            "#!/bin/bash\n:\n#SBATCH -p gtest\nsrun x\n",
        ),
        (
            "#!/bin/bash\nmodule purge\nmodule load singularity\n#SBATCH -p gtest\nsrun x\n",
            "#!/bin/bash\n:\n#SBATCH -p gtest\nsrun x\n",
        ),
        (
            "#!/bin/bash\nmodule purge && module load singularity\n#SBATCH -p gtest\nsrun x\n",
            "#!/bin/bash\n:\n#SBATCH -p gtest\nsrun x\n",
        ),
        # another command stays before the late lines: the removal is plain
        (
            "#!/bin/bash\nmodule purge\ncd /work\n#SBATCH -p gtest\nsrun x\n",
            "#!/bin/bash\ncd /work\n#SBATCH -p gtest\nsrun x\n",
        ),
        # no late lines: nothing to keep
        ("#!/bin/bash\n#SBATCH -p gtest\nmodule purge\nsrun x\n", "#!/bin/bash\n#SBATCH -p slinky\nsrun x\n"),
    ],
)
def test_directives_sbatch_ignores_stay_ignored(before: str, after: str) -> None:
    """Removing every command before late #SBATCH lines would make sbatch read them (with
    their TWCC partition unrenamed): the last one becomes `:`, and a second pass changes
    nothing."""
    assert out(before) == after
    assert out(after) == after
