"""Which submission format a file is, by what it is (name, place, content): the configs
through which workflow managers and launchers submit to Slurm, which are never job scripts
and must never be read as bash.

Read (``READ``): Snakemake profiles and dask-jobqueue settings (YAML), Nextflow configs
and scripts (Groovy), Makefiles that call sbatch/srun/salloc.  Recognised but not read
(``NOT_READ``): Snakefiles (Snakemake's own grammar) and Cromwell/HOCON backend configs:
they are listed by the reports as not analysed, never passed as fine.

A file counts only when its content is about Slurm (an executor, a partition or queue, an
sbatch command): a YAML file or a Makefile that is not is no submission config.
"""

from __future__ import annotations

import re
from typing import Literal

Format = Literal[
    "snakemake-profile", "dask-jobqueue", "hydra-submitit", "nextflow", "makefile", "snakefile", "cromwell"
]
READ: frozenset[str] = frozenset({"snakemake-profile", "dask-jobqueue", "hydra-submitit", "nextflow", "makefile"})
NOT_READ: frozenset[str] = frozenset({"snakefile", "cromwell"})
LABEL = {
    "snakemake-profile": "Snakemake profile (YAML)",
    "dask-jobqueue": "dask-jobqueue configuration (YAML)",
    "hydra-submitit": "Hydra submitit launcher configuration (YAML)",
    "nextflow": "Nextflow configuration (Groovy)",
    "makefile": "Makefile",
    "snakefile": "Snakefile (Snakemake rules: resources such as slurm_partition)",
    "cromwell": "Cromwell backend configuration (HOCON)",
}

_SLURM_WORD = re.compile(rb"slurm|sbatch|srun|salloc|--partition|\bpartition\b|\bqueue\b", re.I)
_YAML_SNAKEMAKE = re.compile(
    rb"^(?:executor|default-resources|set-resources|cluster|cluster-generic-submit-cmd|jobs|slurm-\S+)\s*:", re.M
)
_YAML_DASK = re.compile(rb"^jobqueue\s*:\s*$", re.M)
_YAML_HYDRA = re.compile(rb"hydra_plugins\.hydra_submitit_launcher|^\s*submitit_folder\s*:", re.M)
_NEXTFLOW = re.compile(rb"\bexecutor\s*=?\s*['\"]slurm['\"]|\bqueue\s*=?\s*['\"]|\bclusterOptions\b|\bprocess\s*\{")
_MAKE_CMD = re.compile(rb"^\t[^\n]*\b(?:sbatch|srun|salloc)\b", re.M)
_HOCON = re.compile(rb"\bbackend\s*\{|\bproviders\s*\{|actor-factory\s*=", re.M)


def _name(path: str) -> str:
    return path.rsplit("/", 1)[-1]


def config_format(path: str, data: bytes) -> Format | None:
    """The submission format of ``path`` (None: not one of them)."""
    name = _name(path)
    lower = name.lower()
    if b"\x00" in data[:8192]:
        return None
    if lower.endswith((".yaml", ".yml")):
        if _YAML_DASK.search(data) and b"slurm" in data:
            return "dask-jobqueue"
        if _YAML_HYDRA.search(data):
            return "hydra-submitit"
        in_profiles = "/profiles/" in path or "/.config/snakemake/" in path or "/snakemake/" in path
        if _YAML_SNAKEMAKE.search(data) and (in_profiles or lower.startswith("config")) and _SLURM_WORD.search(data):
            return "snakemake-profile"
        return None
    if name == "Snakefile" or lower.endswith(".smk"):
        return "snakefile" if _SLURM_WORD.search(data) or b"resources:" in data else None
    if lower == "nextflow.config" or lower.endswith(".nf"):
        return "nextflow" if _SLURM_WORD.search(data) or b"module" in data else None
    if lower.endswith(".config") and _NEXTFLOW.search(data) and _SLURM_WORD.search(data):
        return "nextflow"
    if name in ("Makefile", "makefile", "GNUmakefile") or lower.endswith(".mk"):
        return "makefile" if _MAKE_CMD.search(data) else None
    if lower.endswith((".conf", ".hocon")) and _HOCON.search(data) and (b"sbatch" in data or b"slurm" in data.lower()):
        return "cromwell"
    return None


def name_key(path: str, data: bytes) -> str:
    """What migrating a file reads of its name and place, beyond its bytes: its suffix,
    whether it ends in ``.py`` exactly (a script with no shebang is Python then), and the
    submission format its name, folder and content make of it (the same bytes are a
    Makefile's recipes in ``Makefile`` and a job script in ``job``).  Two files with the
    same bytes and the same key have the same result."""
    from .filenames import may_be_config, suffix_of

    fmt = config_format(path, data) if may_be_config(path) else None
    return f"{suffix_of(path)}/{'py' if path.endswith('.py') else ''}/{fmt or ''}"
