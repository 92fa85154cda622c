"""The command line: ``sbatch-migrate [OPTIONS] FILE...`` and its subcommands.

Thin by design, one module per command group: each parses its options, calls one function
of the package, and renders.  stdout carries exactly one artifact (the script, the diff,
or the report); exit codes: 0 ok, 1 errors remain unfixed (or ``--check`` found work), 2 usage error
or unreadable input.

- :mod:`.migrate`: ``sbatch-migrate FILE...`` (``migrate``), one file at a time
- :mod:`.rules`: ``rules``, ``explain``
- :mod:`.bulk`: ``bulk``, ``merge-reports``, ``restore``: the campaign over trees
- :mod:`.site`: ``inventory``: what the new cluster must provide
"""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .group import main

__all__ = ["entry", "main"]


def entry(args: list[str] | None = None, prog_name: str | None = None) -> None:
    """The console script: the commonest command lines (``sbatch-migrate job.sh``,
    ``--check FILES``, the pre-commit hooks' and editors') run without importing click
    (:mod:`.quick`); every other goes to the click group."""
    from .quick import quick_run

    argv = sys.argv[1:] if args is None else args
    quick_run(argv, prog_name)


def __getattr__(name: str) -> Any:
    if name == "main":  # the click group (tests drive it with click's CliRunner)
        from .group import main

        return main
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
