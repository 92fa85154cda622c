"""sbatch-migrate: migrate TWCC Slurm + Singularity job scripts to Slurm on Kubernetes.

The library entry point, for scripts of your own::

    from sbatch_migrate import Source, load_profile, migrate

    result = migrate(Source.from_bytes(data, "job.sh"), load_profile(None))
    result.output, result.findings

The names are imported on first use, so that ``import sbatch_migrate`` (and the command
line, which starts here) stays cheap.
"""

from __future__ import annotations

__version__ = "0.1.0"
__all__ = ["Result", "Source", "__version__", "load_profile", "migrate"]

TYPE_CHECKING = False  # typing is not imported at run time (docs/design.md: a one-file run)
if TYPE_CHECKING:
    from typing import Any

    from .fix.engine import Result, migrate
    from .profile import load as load_profile
    from .read.source import Source

_LAZY = {
    "migrate": ("fix.engine", "migrate"),
    "Result": ("fix.engine", "Result"),
    "Source": ("read.source", "Source"),
    "load_profile": ("profile", "load"),
}


def __getattr__(name: str) -> Any:
    if name not in _LAZY:
        raise AttributeError(f"module 'sbatch_migrate' has no attribute {name!r}")
    from importlib import import_module

    module, attr = _LAZY[name]
    value = getattr(import_module(f".{module}", __name__), attr)
    globals()[name] = value
    return value
