"""Writing to the terminal without importing click: lines, styles, error lines.

The same behaviour as ``click.echo`` and ``click.style`` for what the commands write (text
to stdout or stderr, flushed at once; ANSI styles removed when the stream is not a
terminal, or always with ``color=False``), so that a one-file run, which starts without
click (:mod:`sbatch_migrate.cli.quick`), and the same run through click write the same bytes.
"""

from __future__ import annotations

import re
import sys

_ANSI = re.compile(r"\033\[[0-?]*[ -/]*[@-~]")  # the escapes click.echo strips
_FG = {"red": 31, "yellow": 33, "cyan": 36}


def echo(message: str = "", err: bool = False, color: bool | None = None, nl: bool = True) -> None:
    """Write ``message`` (and a newline) to stdout, or stderr with ``err``."""
    stream = sys.stderr if err else sys.stdout
    if stream is None:  # no stream attached
        return
    out = message + "\n" if nl else message
    if not out:
        stream.flush()
        return
    if (not _isatty(stream)) if color is None else not color:
        out = _ANSI.sub("", out)
    stream.write(out)
    stream.flush()


def style(text: str, bold: bool = False, fg: str | None = None) -> str:
    """``text`` in bold and/or a colour (red, yellow, cyan), reset after."""
    codes = (f"\033[{_FG[fg]}m" if fg else "") + ("\033[1m" if bold else "")
    return f"{codes}{text}\033[0m"


def fail(message: str) -> None:
    """An error line on stderr: ``sbatch-migrate: error: ...``."""
    echo(f"sbatch-migrate: error: {message}", err=True)


def _isatty(stream: object) -> bool:
    try:
        return bool(stream.isatty())  # type: ignore[attr-defined]
    except Exception:  # a stream without isatty, or a closed one: not a terminal
        return False
