"""The rules, one per module; :mod:`.registry` lists them (``RULES``, in code order).

``from sbatch_migrate.checks import RULES`` reads the registry when it is first asked for;
importing the package (or one rule module) does not import every rule.
"""

from __future__ import annotations

TYPE_CHECKING = False  # typing is not imported at run time (docs/design.md: a one-file run)
if TYPE_CHECKING:
    from typing import Any

    from .registry import BY_CODE, BY_NAME, RULES, lookup

__all__ = ["BY_CODE", "BY_NAME", "RULES", "lookup"]

_REGISTRY = ("RULES", "BY_CODE", "BY_NAME", "lookup")


def __getattr__(name: str) -> Any:
    if name in _REGISTRY:
        from . import registry

        return getattr(registry, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
