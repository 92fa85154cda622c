"""Slurm time limits (``--time``, a partition's ``MaxTime``/``DefaultTime``) as numbers, read
as Slurm's ``time_str2secs`` (src/common/parse_time.c) reads them:

``M``, ``M:S``, ``H:M:S``, ``D-H``, ``D-H:M``, ``D-H:M:S``; ``INFINITE``/``UNLIMITED``/``-1``
have no limit, and neither has ``0`` ("a time limit of zero requests that no time limit be
imposed", sbatch(1)).  A limit in minutes rounds leftover seconds up, as ``time_str2mins`` does.
"""

from __future__ import annotations

import math
import re

UNLIMITED = math.inf
_FORM = re.compile(r"(?:(\d+)-)?(\d+)(?::(\d+))?(?::(\d+))?")


def seconds(text: str) -> float | None:
    """``text`` in seconds (``UNLIMITED`` for no limit; None: not a time limit)."""
    t = text.strip().strip("\"'")
    if t.lower() in ("infinite", "unlimited", "-1"):
        return UNLIMITED
    m = _FORM.fullmatch(t)
    if m is None:
        return None
    days, a, b, c = (int(g) if g is not None else None for g in m.groups())
    if days is not None:  # D-H[:M[:S]]
        total = days * 86400 + (a or 0) * 3600 + (b or 0) * 60 + (c or 0)
    elif c is not None:  # H:M:S
        total = (a or 0) * 3600 + (b or 0) * 60 + c
    elif b is not None:  # M:S
        total = (a or 0) * 60 + b
    else:  # M
        total = (a or 0) * 60
    return total or UNLIMITED


def minutes(text: str) -> float | None:
    """``text`` in whole minutes, seconds rounded up (``UNLIMITED``; None: not a limit)."""
    s = seconds(text)
    if s is None or s == UNLIMITED:
        return s
    return math.ceil(s / 60)


def written(secs: float) -> str:
    """A limit as Slurm prints it (``1-00:00:00``, ``00:30:00``, ``UNLIMITED``)."""
    if secs == UNLIMITED:
        return "UNLIMITED"
    whole = int(secs)
    days, rest = divmod(whole, 86400)
    h, rest = divmod(rest, 3600)
    m, s = divmod(rest, 60)
    return (f"{days}-" if days else "") + f"{h:02d}:{m:02d}:{s:02d}"
