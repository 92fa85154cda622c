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

import gc
import sys

TYPE_CHECKING = False  # typing is not imported at run time (docs/design.md: a one-file run)
if TYPE_CHECKING:
    from typing import Any

    from .group import main

__all__ = ["entry", "main"]


def entry(args: list[str] | None = None, prog_name: str | None = None) -> None:
    """The console script: the commonest command lines (``sbatch-migrate job.sh``,
    ``--check FILES``, the pre-commit hooks' and editors') run without importing click
    (:mod:`.quick`); every other goes to the click group."""
    # a short run: collect no cycles while the modules are imported (a collection every 700
    # allocations walks all of them again; the engine makes no cycles for a shell script,
    # tests/test_engine.py checks it, and the rare ones libcst makes wait for the next)
    gc.set_threshold(100_000, 50, 100)
    from .quick import quick_run

    argv = sys.argv[1:] if args is None else args
    try:
        quick_run(argv, prog_name)
    except SystemExit as done:
        if args is None:  # the process is this command's: it ends here
            _leave(done)
        raise


def _leave(done: SystemExit) -> None:
    """End the process once its output is out, without the interpreter's tear-down (every
    module's objects freed one by one and collected: a tenth of a one-file run), when
    nothing is waiting for it: no exit handler registered, no other thread running.
    Otherwise (or if the output cannot be flushed) return, for the usual exit."""
    import atexit
    import os

    threads = sys.modules.get("threading")
    if getattr(atexit, "_ncallbacks", lambda: 1)() or (threads is not None and threads.active_count() > 1):
        return
    code = done.code
    if code is not None and not isinstance(code, int):
        return  # a message: the interpreter prints it
    try:
        for stream in (sys.stdout, sys.stderr):
            if stream is not None:
                stream.flush()
    except (OSError, ValueError):
        return  # the usual exit reports it, as before
    os._exit(code or 0)


def __getattr__(name: str) -> Any:
    if name == "main":  # the click group (tests drive it with click's CliRunner)
        from .group import main

        return main
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
