"""The regions of a script its parse tree could not read, each with what bash says of it
(shared by shell-parse-error and parser-limit)."""

from __future__ import annotations

from collections.abc import Iterator

from ..model.context import Context
from ..model.facts import Unit
from ..read.bashsyntax import BashSyntax
from ..read.shell import restored
from ..record import NamedTuple


class Region(NamedTuple):
    start: int
    end: int
    unit: Unit
    kind: str  # "overrun", "bash-rejects", "bash-accepts", "unconfirmed" (bash not there)
    lines: str  # "line 7" / "lines 7-12"
    overrun: tuple[int, int] | None = None  # heredoc closing line that bash does not take
    bash_line: int | None = None  # file line of bash's complaint, when it falls in here
    bash_message: str = ""


def regions(ctx: Context) -> list[Region]:
    found: list[Region] = ctx.cached("parse-regions", lambda: list(_regions(ctx)))
    return found


def _regions(ctx: Context) -> Iterator[Region]:
    source = ctx.source
    for unit in ctx.units():
        if unit.shell is None or not unit.shell.errors:
            continue
        found: list[Region] = []
        verdict: BashSyntax | None = None
        for start, end in merged(unit.shell.errors):
            first = source.position(start).line
            last = source.position(max(start, end - 1)).line
            lines = f"line {first}" if first == last else f"lines {first}-{last}"
            overrun = next((o for o in unit.shell.heredoc_overruns if start <= o[0] < end), None)
            if overrun is not None:  # bash takes it (with a warning) but it means something else
                found.append(Region(start, end, unit, "overrun", lines, overrun))
                continue
            verdict = ctx.bash_syntax(unit)  # asked once per unit, and only when a region needs it
            kind = "unconfirmed" if verdict is None else "bash-accepts" if verdict.ok else "bash-rejects"
            found.append(Region(start, end, unit, kind, lines))
        if verdict is not None and not verdict.ok and verdict.line is not None:
            # bash stops at its first complaint: it goes with the region it is in, or the
            # last one before it (an `if` never closed is noticed at the end of the file)
            text = unit.bash_text(source.parse_bytes)
            line_start = 0
            for _ in range(verdict.line - 1):  # where bash's line starts, in the text it read
                nl = text.find(b"\n", line_start)
                line_start = nl + 1 if nl != -1 else len(text)
            at = source.line_of(restored(line_start, unit.start, unit.gaps)) + 1
            rejected = [i for i, r in enumerate(found) if r.kind == "bash-rejects"]
            before = [i for i in rejected if source.position(found[i].start).line <= at]
            i = (before or rejected)[-1 if before else 0]
            found[i] = found[i]._replace(bash_line=at, bash_message=verdict.message)
        yield from found


def merged(spans: list[tuple[int, int]]) -> list[tuple[int, int]]:
    out: list[tuple[int, int]] = []
    for s, e in sorted(spans):
        if out and s <= out[-1][1]:
            out[-1] = (out[-1][0], max(out[-1][1], e))
        else:
            out.append((s, e))
    return out
