"""Slurm host lists (``gn[1201-1203,1205],cn01``) as the names they stand for."""

from __future__ import annotations

import re

_PART = re.compile(r"([^,\[]*)(?:\[([^\]]*)\])?([^,\[]*)")
MAX_NAMES = 100_000  # a range that long is a mistake, not a cluster


def expand(hostlist: str) -> list[str] | None:
    """The names of ``hostlist`` in order (None: not a host list this reads, such as a
    file name, which Slurm reads for ``-w`` when the value holds a ``/``)."""
    if "/" in hostlist or not hostlist.strip():
        return None
    names: list[str] = []
    i = 0
    text = hostlist.strip()
    while i < len(text):
        m = _PART.match(text, i)
        if m is None or m.end() == i:
            return None
        prefix, ranges, suffix = m.group(1), m.group(2), m.group(3)
        if ranges is None:
            if prefix:
                names.append(prefix + suffix)
        else:
            for item in ranges.split(","):
                lo, dash, hi = item.partition("-")
                if not lo.isdigit() or (dash and not hi.isdigit()):
                    return None
                width = len(lo)
                end = int(hi) if dash else int(lo)
                if end < int(lo) or end - int(lo) > MAX_NAMES:
                    return None
                names += [f"{prefix}{n:0{width}d}{suffix}" for n in range(int(lo), end + 1)]
        i = m.end()
        if i < len(text):
            if text[i] != ",":
                return None
            i += 1
    return names
