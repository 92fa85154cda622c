"""Is this file a job script?  By content, not only by name.

A job script has ``#SBATCH``/``#PBS`` lines, or is a shell script (by suffix or shebang),
or runs ``srun``/``sbatch``/``salloc``/``singularity``/``apptainer``.  A Python file
counts when it carries ``#SBATCH`` lines or launches those commands (a string starting
with one of them, or submitit).
"""

from __future__ import annotations

import re

from .filenames import CONFIG_NAMES, CONFIG_SUFFIXES, suffix_of

__all__ = ["JOB_SUFFIXES", "has_directive", "is_job_script", "suffix_of"]

JOB_SUFFIXES = frozenset({".sh", ".bash", ".slurm", ".sbatch", ".job", ".pbs", ".batch"})
# Prefilters: the words the exact patterns below need.  A file without any of them cannot
# match, and these find (or rule out) a word many times faster than the exact patterns,
# which are tried at every byte (most files of a home are neither job scripts nor Python).
# Measured on 750 MB of real text: a pattern that starts with a literal ("\n#") is searched
# for that literal (0.7 s, where three `in` tests took 1.5 s); one `s(?:...)` pattern
# replaces four `in` tests (0.6 s against 1.0 s).  See bench/bench_tree.py.
# ``#SLURM`` then a word character is a comment about a variable (``#SLURMD_OPTIONS=""`` in
# Slurm's own /etc/default/slurmd, ``#SLURM_JOB_ID is ...``), not a directive written for
# sbatch: it makes no file a job script (sbatch would read it as a bad directive, SM001)
_LINE_DIRECTIVE = re.compile(rb"\n#(?:SBATCH|PBS|SLURM(?![A-Za-z0-9_]))")
_FIRST_DIRECTIVE = re.compile(rb"#(?:SBATCH|PBS|SLURM(?![A-Za-z0-9_]))")
_S_WORD = re.compile(rb"s(?:run|batch|alloc|ingularity|ubmitit)")
_COMMAND = re.compile(rb"(^|[\s;&|(`$])(srun|sbatch|salloc|singularity|apptainer)\s", re.M)
_SHELL = re.compile(rb"^#![ \t]*\S*/(env[ \t]+(-\S+[ \t]+)*)?(ba|da|k|z|mk)?sh\b")
_PY_LAUNCH = re.compile(rb"""["'](?:sbatch|srun|salloc|singularity|apptainer)\b|\bsubmitit\b""")
# one pattern, not two `in` tests: half the time on the Python files of a real home
_PY_LAUNCHER = re.compile(rb"SLURMCluster|SlurmProvider")
_PYTHON = re.compile(rb"^#![ \t]*\S*/(env[ \t]+(-\S+[ \t]+)*)?python")


def has_directive(data: bytes) -> bool:
    """A line starting with ``#SBATCH``, ``#PBS`` or ``#SLURM`` (not ``#SLURM_...``)."""
    return _FIRST_DIRECTIVE.match(data) is not None or _LINE_DIRECTIVE.search(data) is not None


def _launch_word(data: bytes) -> bool:
    """srun, sbatch, salloc, singularity, apptainer or submitit somewhere in ``data``."""
    return _S_WORD.search(data) is not None or b"apptainer" in data


def is_job_script(path: str, data: bytes) -> bool:
    """A job script, or a submission config a workflow manager submits through (read with
    its own grammar: :mod:`.formats`)."""
    suffix = suffix_of(path)
    if suffix in CONFIG_SUFFIXES or path.rsplit("/", 1)[-1] in CONFIG_NAMES:
        from .formats import config_format

        if config_format(path, data) is not None:
            return True
    shebang = data.startswith(b"#!")
    if suffix == ".py" or (shebang and _PYTHON.match(data)):
        if has_directive(data):
            return True
        if _PY_LAUNCHER.search(data) is not None:  # dask-jobqueue, Parsl: they submit
            return True
        return _launch_word(data) and _PY_LAUNCH.search(data) is not None
    if suffix in JOB_SUFFIXES or (shebang and _SHELL.match(data)) or has_directive(data):
        return True
    return shebang and _launch_word(data) and _COMMAND.search(data) is not None
