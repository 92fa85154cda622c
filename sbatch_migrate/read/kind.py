"""Is this file a job script?  By content, not only by name.

A job script has ``#SBATCH``/``#PBS`` lines, or is a shell script (by suffix or shebang),
or runs ``srun``/``sbatch``/``salloc``/``singularity``/``apptainer``.  A Python file
counts when it carries ``#SBATCH`` lines or launches those commands (a string starting
with one of them, or submitit).
"""

from __future__ import annotations

import re

JOB_SUFFIXES = frozenset({".sh", ".bash", ".slurm", ".sbatch", ".job", ".pbs", ".batch"})
_DIRECTIVES = (b"#SBATCH", b"#PBS", b"#SLURM")
_LINE_DIRECTIVES = tuple(b"\n" + d for d in _DIRECTIVES)
# the words the patterns below need: a file without any of them cannot match, and
# ``bytes.__contains__`` finds (or rules out) a word far faster than a pattern that has to
# be tried at every byte (most files of a home are neither job scripts nor Python)
_LAUNCH_WORDS = (b"srun", b"sbatch", b"salloc", b"singularity", b"apptainer")
_COMMAND = re.compile(rb"(^|[\s;&|(`$])(srun|sbatch|salloc|singularity|apptainer)\s", re.M)
_SHELL = re.compile(rb"^#![ \t]*\S*/(env[ \t]+(-\S+[ \t]+)*)?(ba|da|k|z|mk)?sh\b")
_PY_LAUNCH = re.compile(rb"""["'](?:sbatch|srun|salloc|singularity|apptainer)\b|\bsubmitit\b""")
_PYTHON = re.compile(rb"^#![ \t]*\S*/(env[ \t]+(-\S+[ \t]+)*)?python")


def suffix_of(path: str) -> str:
    name = path.rsplit("/", 1)[-1]
    return "." + name.rsplit(".", 1)[-1].lower() if "." in name.lstrip(".") else ""


def has_directive(data: bytes) -> bool:
    """A line starting with ``#SBATCH``, ``#PBS`` or ``#SLURM``."""
    return data.startswith(_DIRECTIVES) or any(d in data for d in _LINE_DIRECTIVES)


def is_job_script(path: str, data: bytes) -> bool:
    suffix = suffix_of(path)
    shebang = data.startswith(b"#!")
    if suffix == ".py" or (shebang and _PYTHON.match(data)):
        if has_directive(data):
            return True
        words = any(w in data for w in _LAUNCH_WORDS) or b"submitit" in data
        return words and _PY_LAUNCH.search(data) is not None
    if suffix in JOB_SUFFIXES or (shebang and _SHELL.match(data)) or has_directive(data):
        return True
    return shebang and any(w in data for w in _LAUNCH_WORDS) and _COMMAND.search(data) is not None
