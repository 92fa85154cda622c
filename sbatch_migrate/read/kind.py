"""Is this file a job script?  By content, not only by name.

A job script has ``#SBATCH``/``#PBS`` lines, or is a shell script (by suffix or shebang),
or runs ``srun``/``sbatch``/``salloc``/``singularity``/``apptainer``.  A Python file
counts when it carries ``#SBATCH`` lines or launches those commands (a string starting
with one of them, or submitit).
"""

from __future__ import annotations

import re

JOB_SUFFIXES = frozenset({".sh", ".bash", ".slurm", ".sbatch", ".job", ".pbs", ".batch"})
_DIRECTIVE = re.compile(rb"^#(SBATCH|PBS|SLURM)", re.M)
_COMMAND = re.compile(rb"(^|[\s;&|(`$])(srun|sbatch|salloc|singularity|apptainer)\s", re.M)
_SHELL = re.compile(rb"^#![ \t]*\S*/(env[ \t]+(-\S+[ \t]+)*)?(ba|da|k|z|mk)?sh\b")
_PY_LAUNCH = re.compile(rb"""["'](?:sbatch|srun|salloc|singularity|apptainer)\b|\bsubmitit\b""")
_PYTHON = re.compile(rb"^#![ \t]*\S*/(env[ \t]+(-\S+[ \t]+)*)?python")


def suffix_of(path: str) -> str:
    name = path.rsplit("/", 1)[-1]
    return "." + name.rsplit(".", 1)[-1].lower() if "." in name.lstrip(".") else ""


def is_job_script(path: str, data: bytes) -> bool:
    suffix = suffix_of(path)
    has_directive = _DIRECTIVE.search(data) is not None
    if suffix == ".py" or _PYTHON.match(data):
        return has_directive or _PY_LAUNCH.search(data) is not None
    if suffix in JOB_SUFFIXES or _SHELL.match(data) or has_directive:
        return True
    return _COMMAND.search(data) is not None and data.startswith(b"#!")
