"""The cheap decisions in front of the exact ones give the same verdicts: the literal
prefilters of ``is_job_script`` against the patterns alone (its specification, written
out here), and the CPython-parser gate in front of libcst against libcst itself."""

from __future__ import annotations

import re

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from sbatch_migrate.read import pyfront, pyregions
from sbatch_migrate.read.formats import config_format
from sbatch_migrate.read.kind import JOB_SUFFIXES, is_job_script, suffix_of

# the verdict as the patterns alone give it (what is_job_script was before its prefilters)
# (``#SLURM`` then a word character, ``#SLURMD_OPTIONS=``, is a comment about a variable: 4c965ab)
_DIRECTIVE = re.compile(rb"^#(SBATCH|PBS|SLURM(?![A-Za-z0-9_]))", re.M)
_COMMAND = re.compile(rb"(^|[\s;&|(`$])(srun|sbatch|salloc|singularity|apptainer)\s", re.M)
_SHELL = re.compile(rb"^#![ \t]*\S*/(env[ \t]+(-\S+[ \t]+)*)?(ba|da|k|z|mk)?sh\b")
_PY_LAUNCH = re.compile(rb"""["'](?:sbatch|srun|salloc|singularity|apptainer)\b|\bsubmitit\b""")
_PYTHON = re.compile(rb"^#![ \t]*\S*/(env[ \t]+(-\S+[ \t]+)*)?python")


def by_patterns(path: str, data: bytes) -> bool:
    if config_format(path, data) is not None:  # a workflow manager's config (read/formats.py decides)
        return True
    suffix = suffix_of(path)
    directive = _DIRECTIVE.search(data) is not None
    if suffix == ".py" or _PYTHON.match(data):
        launcher = b"SLURMCluster" in data or b"SlurmProvider" in data  # dask-jobqueue, Parsl
        return directive or launcher or _PY_LAUNCH.search(data) is not None
    if suffix in JOB_SUFFIXES or _SHELL.match(data) or directive:
        return True
    return _COMMAND.search(data) is not None and data.startswith(b"#!")


PIECES = [
    b"#!/bin/bash\n",
    b"#!/usr/bin/env python3\n",
    b"#!/bin/tcsh\n",
    b"#!",
    b"#SBATCH -p gtest\n",
    b"#PBS -q x\n",
    b"#SLURM\n",
    b"#SLURMD_OPTIONS=\n",
    b" #SBATCH\n",
    b"\r\n",
    b"\n",
    b"srun ",
    b"srun\n",
    b"(sbatch\t",
    b"$salloc ",
    b"'singularity'",
    b'"apptainer"',
    b"submitit",
    b"xsubmitit",
    b"sruns ",
    b"echo hi",
    b"import os\n",
    b"`srun`",
    b";apptainer ",
    b"#SBATCH",
    b"SLURMCluster(",
    b"executor: slurm\n",
    b"default-resources:\n",
    b"process {\n",
    b"\tsbatch -p x\n",
    b"\n#PBS",
    b"singularity exec",
    b"\xff\xfe",
    b"#!/bin/sh\n",
]
NAMES = [
    "job",
    "job.sh",
    "run.py",
    "x.SLURM",
    "notes.txt",
    "a.b/c",
    ".bashrc",
    "Makefile",
    "t.pbs",
    "profiles/x/config.yaml",
    "nextflow.config",
    "site.config",
]


@settings(max_examples=3000)
@given(st.sampled_from(NAMES), st.lists(st.sampled_from(PIECES), max_size=8), st.binary(max_size=20))
@example("job", [b"submitit"], b"#SLURM")  # #SLURMsubmitit: no directive (found by this test)
@example("job", [b"\n#SLURM_JOB_ID is set\n"], b"#!/bin/tcsh\n")
def test_is_job_script_gives_the_patterns_verdict(name: str, pieces: list[bytes], noise: bytes) -> None:
    for data in (b"".join(pieces), b"".join(pieces) + noise, noise + b"".join(pieces)):
        assert is_job_script(f"/home/u/{name}", data) == by_patterns(f"/home/u/{name}", data)


def full_analysis(data: bytes) -> pyfront.PyFacts:
    """libcst on the whole file, as before the gate and the regions."""
    return pyfront.analyse(data, whole=True)


def nothing_to_read(data: bytes) -> bool:
    """The gate: the plan has nothing for libcst to read."""
    plan = pyregions.plan(data)
    return plan is not None and not plan.regions


def test_text_with_none_of_the_words_is_not_even_parsed() -> None:
    """Without any word a read call or assignment is spelt with, nothing in the file can be
    read: it is not parsed (a large library module with a quoted 'srun' cost 60 ms), so a
    syntax error there goes unreported; what libcst would find is only that error."""
    data = b"KEYWORDS = ('srun', 'sbatch'\n"
    assert nothing_to_read(data) is True
    facts = full_analysis(data)
    assert facts.error is not None and facts == pyfront.PyFacts(error=facts.error)


@pytest.mark.parametrize(
    ("text", "nothing"),
    [
        ("LEXERS = {'singularity': ('SingularityLexer', ('singularity',))}\n", True),
        ("def f():\n    return 'srun' if x else 'sbatch'\n", True),
        ("import os\nos.system('srun x')\n", False),
        ("from os import system as go\ngo('srun -p gtest x')\n", False),
        ("import subprocess as sp\nsp.run(['sbatch', 'j.sh'])\n", False),
        ("from subprocess import check_output as co\nco(['srun', 'x'])\n", False),
        ("import os\nos.environ['NCCL_IB_HCA'] = 'mlx5_0'\n", False),
        ("from os import environ as E\nE['UCX_TLS'] = 'rc'\n", False),
        ("ex.update_parameters(slurm_partition='gtest')\n", False),
        ("S = '''#!/bin/bash\n#SBATCH -p gtest\n'''\n", False),
        ("import subprocess\nprint('unclosed\n", False),  # libcst says where
        ("name = 'system'\n", True),  # the word, but no call
    ],
)
def test_the_gate(text: str, nothing: bool) -> None:
    data = text.encode()
    assert nothing_to_read(data) is nothing
    if nothing:
        assert full_analysis(data) == pyfront.PyFacts()


STATEMENTS = [
    "import os",
    "import subprocess",
    "import subprocess as sp",
    "from os import system",
    "from os import environ",
    "from os import system as s",
    "from subprocess import run",
    "from subprocess import Popen as P",
    "os.system('srun x')",
    "s('srun -p gtest x')",
    "system('ls')",
    "run(['sbatch', 'a.sh'])",
    "sp.run('srun x', shell=True)",
    "P(['srun', 'x'])",
    "environ['NCCL_DEBUG'] = 'INFO'",
    "os.environ['UCX_TLS'] = 'rc'",
    "os.putenv('A', 'b')",
    "os.environ.update({'NCCL_IB_HCA': 'mlx5'})",
    "x = 'singularity'",
    "y = ('srun', 'sbatch')",
    "def f(): return 'srun'",
    "ex.update_parameters(slurm_partition='gtest')",
    "SlurmExecutor(folder='x')",
    "d = {}",
    "d['k'] = 1",
    "print('salloc')",
    "q = f'{a} srun'",
    "class C: pass",
    "z = system",
    "w = [environ]",
    "from os import (\n    system as s2,\n)",
    "s2('srun x')",
    "from subprocess import (\n    run as r2,\n)",
    "r2(['sbatch', 'x.sh'])",
    "E = os.environ",
    "E['UCX_TLS'] = 'rc'",
    "K = ('subprocess', 'putenv', 'exn:fail:filesystem')",
    "os . system ('srun x')",
    "x = subprocess\n",
]


@settings(max_examples=400, deadline=None)
@given(st.lists(st.sampled_from(STATEMENTS), max_size=6))
def test_the_gate_never_hides_a_fact(lines: list[str]) -> None:
    data = ("\n".join(lines) + "\n").encode()
    if nothing_to_read(data):
        assert full_analysis(data) == pyfront.PyFacts()


# pieces the visitor acts on, in the forms real launchers write them, and what is around them
REGION_STATEMENTS = [
    *STATEMENTS,
    "cmd = ['sbatch', '-p', 'gtest']",
    "cmd = ['srun'] + ['-p', 'gtest']",
    "opts = ('--partition=gtest',)",
    "subprocess.run(cmd)",
    "subprocess.run(['sbatch', *opts, 'job.sh'])",
    "subprocess.check_output(\n    ['sbatch', '--partition', 'gtest',\n     'x.sh'],\n"
    "    env={'NCCL_IB_HCA': 'mlx5_0'},\n)",
    "print(subprocess.run(['srun', '-p', 'gtest', 'x']))",
    "subprocess.run(['srun', '-p', p]) or os.system('srun -p gtest y')",
    "cmd += ['-p', 'x']",
    "for cmd in ([],): pass",
    "os.environ['A'] = os.environ['B'] = 'v'",
    "os.environ[k] = 'v'",
    "x = [subprocess.call(['sbatch', 'é.sh'])]  # é",
    "s = 'ü'; subprocess.run(['sbatch', '-p', 'gtest'])",
    "ex.update_parameters(slurm_partition='gtest', slurm_setup=['module load singularity', 'export UCX_TLS=rc'])",
    "cluster = SLURMCluster(queue='gtest', job_extra_directives=['-p gtest'], job_script_prologue=['module load x'])",
    "SlurmProvider('gtest', worker_init='module load singularity')",
    "subprocess.run(f'srun -p {p} x', shell=True)",
    "subprocess.run('srun \\\\n -p gtest', shell=True)",
    "subprocess.run(('sbatch ' '-p gtest'), shell=True)",
    "@deco(subprocess.run(['srun', 'x']))\ndef g(a=os.system('srun -p gtest z')): pass",
    "h = lambda: os.system('srun -p gtest w')",
    "import os as subprocess",
    "from submitit import AutoExecutor as AE",
    "AE(folder='x').update_parameters(partition='gtest')",
    "'{} -p gtest'.format(subprocess.run(['srun', 'x']))",
    "S = '''#!/bin/bash\\n#SBATCH -p gtest\\nsrun x\\n'''",
    "T = '#SBATCH -p {}\\nsrun y\\n'.format(p)",
    "U = f'#SBATCH -p {p}\\n#SBATCH -N {n:>{w}}\\n'",
    "V = ('#!/bin/bash\\n' '#SBATCH -p gtest\\n')",
    "W = b'#SBATCH -p gtest\\n'",
    "open('j.sh', 'w').write('#SBATCH -p gtest\\nsrun z\\n')",
    "subprocess.run(['sbatch'], input='#!/bin/sh\\n#SBATCH -p gtest\\n')",
    "# #SBATCH -p gtest in a comment",
    "'''doc: #SBATCH lines go first'''",
    'X = """\n#SBATCH -p gtest\nsrun x\n"""',
]
WRAPPERS = ["{}", "def f():\n{}", "class K:\n    def m(self):\n{}", "if x:\n{}", "try:\n{}\nexcept E:\n    pass"]


def _indented(text: str, depth: int) -> str:
    return "\n".join(" " * (4 * depth) + line for line in text.split("\n"))


@settings(max_examples=400, deadline=None)
@given(
    st.lists(st.tuples(st.sampled_from(REGION_STATEMENTS), st.sampled_from(WRAPPERS)), max_size=6),
    st.sampled_from(["\n", "\r\n", "\r"]),
)
def test_reading_the_regions_finds_what_reading_the_whole_file_finds(
    parts: list[tuple[str, str]], newline: str
) -> None:
    """libcst on the plan's pieces only gives the same facts, in the same order and with the
    same spans, as libcst on the whole file: the aliases and the names bound once come
    from the plan, the rest of a fact from its piece."""
    blocks = []
    for statement, wrapper in parts:
        depth = wrapper.count(":\n") + wrapper.count("class")
        blocks.append(wrapper.format(_indented(statement, depth)) if wrapper != "{}" else statement)
    data = newline.join("\n".join(blocks).split("\n")).encode() + newline.encode()
    assert pyfront.analyse(data) == full_analysis(data)


@pytest.mark.parametrize(
    "path",
    sorted(p for p in __import__("pathlib").Path(__file__).parent.parent.joinpath("corpus").rglob("*.py")),
    ids=lambda p: p.parent.name,
)
def test_the_regions_on_the_corpus_launchers(path: __import__("pathlib").Path) -> None:
    data = path.read_bytes()
    assert pyfront.analyse(data) == full_analysis(data)


def test_a_large_library_module_that_launches_is_read_in_pieces() -> None:
    """submitit's own core.py (37 kB, calls subprocess with sbatch) took 400 ms whole; its
    pieces are a few calls and the lists they name."""
    body = "\n".join(f"def f{i}(x):\n    '''doc {i}'''\n    return [x * {i} for _ in range(3)]\n" for i in range(400))
    data = (
        "import subprocess\n"
        + body
        + "def submit(p):\n    cmd = ['sbatch', '-p', 'gtest']\n    return subprocess.check_output(cmd)\n"
    ).encode()
    plan = pyregions.plan(data)
    assert plan is not None and len(plan.regions) == 1 and "cmd" in plan.lists
    region = plan.regions[0]
    assert data[region.start : region.end] == b"subprocess.check_output(cmd)"
    facts = pyfront.analyse(data)
    assert facts == full_analysis(data) and [p.value for p in facts.partitions] == ["gtest"]
