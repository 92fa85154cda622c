"""Option values sbatch (or its controller) refuses, read the way Slurm reads them.

Each check follows the parser Slurm applies to that option (``src/common/slurm_opt.c``,
``proc_args.c``, ``parse_time.c`` of 22.05 and 25.11, which agree on these): counts go
through ``parse_int`` (a whole C ``strtol`` number with nothing after it, positive),
node counts through ``verify_node_count`` (``N``, ``N-M``, a ``k``/``m`` multiplier; lists
``1,2,4`` since 23.02), times through ``time_str2mins``, memory sizes through
``str_to_mbytes`` (a whole number, an optional ``K``/``M``/``G``/``T`` unit and ``B``).
GRES and GPU counts are checked by the controller; their syntax is checked here the way
it rejects them.  ``problem`` returns sbatch's own words, or None when the value passes;
what only the target cluster can decide (a GPU type, a partition) is not judged here.
The local lab's sbatch is the oracle of the tests: every value a check passes, sbatch
accepts.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from . import options as opts

_SPACE = " \t\n\r\f\v"


def _strtol(text: str) -> tuple[int, int] | None:
    """C strtol(text, &end, 10): (value, index of end), or None when no digit was read."""
    i = 0
    while i < len(text) and text[i] in _SPACE:
        i += 1
    j = i
    if j < len(text) and text[j] in "+-":
        j += 1
    k = j
    while k < len(text) and text[k].isascii() and text[k].isdigit():
        k += 1
    if k == j:
        return None
    return int(text[i:k]), k


def positive_int(name: str) -> Callable[[str], str | None]:
    def check(value: str) -> str | None:
        got = _strtol(value)
        if got is None and value == "":
            return f'Invalid numeric value "" for --{name}'
        if got is None or got[1] != len(value) or got[0] <= 0:
            return f'Invalid numeric value "{value}" for --{name}'
        if got[0] >= 2**31 - 1:
            return f"Numeric argument ({got[0]}) too large for --{name}"
        return None

    return check


def _nodes(text: str) -> tuple[int, str]:
    """str_to_nodes: (count, leftover); (-1, text) when no digit was read."""
    got = _strtol(text)
    if got is None:
        return -1, text
    num, end = got
    rest = text[end:]
    if rest[:1] in ("k", "K"):
        num *= 1024
        rest = rest[1:]
    if rest[:1] in ("m", "M"):
        num *= 1024 * 1024
        rest = rest[1:]
    if num < 0 or num > 2**31 - 1:
        num = -1
    return num, rest


def node_count(value: str) -> str | None:
    """verify_node_count: ``N``, ``MIN-MAX`` (either side may be empty), and since 23.02
    a list of sizes (``1,2,4``, ``1-8:2``)."""
    if ("," in value or ":" in value) and opts.at_least("23.02"):
        for tok in (t for t in re.split(r"[,:-]", value) if t):
            got = _strtol(tok)
            if got is None or got[1] != len(tok):
                return f'"{tok}" is not a valid node count'
        return None
    cut = value.find("-")
    if cut != -1:
        low, high = value[:cut], value[cut + 1 :]
        lo, rest = _nodes(low)
        if rest.strip(_SPACE):
            return f'"{low}" is not a valid node count'
        lo = max(lo, 1) if lo < 0 else lo
        hi, rest = _nodes(high)
        if rest.strip(_SPACE):
            return f'"{high}" is not a valid node count'
    else:
        lo, rest = _nodes(value)
        if rest.strip(_SPACE) or lo < 0:
            return f'"{value}" is not a valid node count'
        hi = lo
    if hi != 0 and hi < lo:
        return f"Maximum node count {hi} is less than minimum node count {lo}"
    return None


_INFINITE = ("-1", "infinite", "unlimited")


def time_spec(name: str) -> Callable[[str], str | None]:
    def check(value: str) -> str | None:
        if value.lower() in _INFINITE:
            return None
        if not _valid_timespec(value):
            return f"Invalid --{name} specification"
        return None

    return check


def _valid_timespec(s: str) -> bool:
    """parse_time.c _is_valid_timespec (digit groups, at most one dash before any colon,
    at most two colons)."""
    digits = dashes = colons = 0
    in_digits = False
    for c in s:
        if "0" <= c <= "9":
            if not in_digits:
                digits += 1
                in_digits = True
        elif c == "-":
            in_digits = False
            dashes += 1
            if colons:
                return False
        elif c == ":":
            in_digits = False
            colons += 1
        else:
            return False
    if not digits or dashes > 1 or colons > 2:
        return False
    if dashes:
        return not ((colons == 1 and digits < 3) or (colons == 2 and digits < 4))
    return not ((colons == 1 and digits < 2) or (colons == 2 and digits < 3))


def mbytes(name: str) -> Callable[[str], str | None]:
    def check(value: str) -> str | None:
        got = _strtol(value)
        bad = f"Invalid --{name} specification"
        if got is None or got[0] < 0:
            return bad
        rest = value[got[1] :]
        if rest == "":
            return None
        if rest[0] in "kKmMgGtT" and rest[1:] in ("", "b", "B"):
            return None
        return bad

    return check


def exclusive(value: str) -> str | None:
    allowed = ["exclusive", "oversubscribe", "user", "mcs"] + (["topo"] if opts.at_least("24.11") else [])
    if value.lower() in allowed:
        return None
    return "Invalid --exclusive specification"


_COUNT = re.compile(r"\+?\d+[kKmMgGtTpP]?")


def gres(value: str, names: frozenset[str] = frozenset({"gpu"})) -> str | None:
    """--gres=name[:type][:count][,...]: the syntax the controller takes, with names the
    cluster's GresTypes has (the types its nodes have are the target's to say)."""
    if value.lower() == "none":
        return None
    if value == "":
        return "Invalid Trackable RESource (TRES) specification"
    for entry in value.split(","):
        parts = entry.split(":")
        name = parts[0]
        if len(parts) > 3 or any(p == "" for p in parts[1:]):
            return "Invalid generic resource (gres) specification"
        if len(parts) == 3 and not _COUNT.fullmatch(parts[2]):
            return "Invalid generic resource (gres) specification"
        if name not in names:
            known = ", ".join(sorted(names)) or "none"
            return f"Invalid generic resource (gres) specification: no GRES named {name!r} (GresTypes: {known})"
    return None


def gpus(value: str) -> str | None:
    """--gpus[-per-*]=[type:]count[,...]: a count the controller can read."""
    for entry in value.split(","):
        parts = entry.split(":")
        if len(parts) > 2 or not re.fullmatch(r"\+?\d+", parts[-1]):
            return "Invalid GPU specification (expected [type:]count): Requested node configuration is not available"
    return None


CHECKS: dict[str, Callable[[str], str | None]] = {
    **{
        n: positive_int(n)
        for n in (
            "ntasks",
            "ntasks-per-node",
            "ntasks-per-core",
            "ntasks-per-socket",
            "ntasks-per-gpu",
            "ntasks-per-tres",
            "cpus-per-task",
            "cpus-per-gpu",
            "threads-per-core",
            "cores-per-socket",
            "sockets-per-node",
            "mincpus",
        )
    },
    "nodes": node_count,
    "time": time_spec("time"),
    "time-min": time_spec("time-min"),
    **{n: mbytes(n) for n in ("mem", "mem-per-cpu", "mem-per-gpu", "tmp")},
    "exclusive": exclusive,
    **{n: gpus for n in ("gpus", "gpus-per-node", "gpus-per-socket", "gpus-per-task")},
}


def problem(option: str, value: str | None, gres_types: frozenset[str] = frozenset({"gpu"})) -> str | None:
    """Why sbatch refuses ``value`` for ``--option`` (its long name), or None;
    ``gres_types``: the GRES names the target cluster has (its GresTypes)."""
    if value is None:
        return None
    if option == "gres":
        return gres(value, gres_types)
    check = CHECKS.get(option)
    return check(value) if check is not None else None


# -- template placeholders ---------------------------------------------------------------
_PLACEHOLDER = re.compile(
    r"<[^<>]*>|\{\{[^{}]*\}\}|^X{3,}$|XXX+|\b(?:YOUR|CHANGE|FILL)[_-]?[A-Z_]*|^PROJECT[_-]?ID$|^(?:TODO|FIXME)$",
    re.I,
)


def placeholder(value: str | None) -> str | None:
    """The template placeholder a value still holds (``<PATH/TO/X>``, ``PROJECT_ID``,
    ``MST108XXX``, ``YOUR_ACCOUNT``), or None."""
    if not value:
        return None
    m = _PLACEHOLDER.search(value)
    return m.group(0) if m else None
