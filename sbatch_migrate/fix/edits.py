"""Text edits: byte-span replacements on the original bytes.

An edit's span is in parse-byte coordinates (see :mod:`sbatch_migrate.read.source`); it is
mapped to the original bytes only when applied.  Everything outside the spans of the
applied edits is copied from the original bytes unchanged.
"""

from __future__ import annotations

from itertools import pairwise

from ..read.source import Source
from ..record import NamedTuple


class Edit(NamedTuple):
    """Replace the parse bytes [start, end) with ``replacement`` (immutable; ordered by span)."""

    start: int
    end: int
    replacement: str = ""

    def overlaps(self, other: Edit) -> bool:
        if self.start == self.end == other.start == other.end:
            return True  # two insertions at one point: order would be ambiguous
        return self.start < other.end and other.start < self.end


class EditConflict(ValueError):
    pass


def apply_edits(source: Source, edits: list[Edit]) -> bytes:
    """Splice the edits into the original bytes; raises EditConflict on overlap."""
    if not edits:
        return source.data
    ordered = sorted(edits)
    for before, after in pairwise(ordered):
        if before.overlaps(after):
            raise EditConflict(f"edits overlap: {before} and {after}")
    out: list[bytes] = []
    cursor = 0
    data = source.data
    for edit in ordered:
        start = source.to_original(edit.start)
        end = source.to_original(edit.end)
        out.append(data[cursor:start])
        out.append(source.encode(edit.replacement))
        cursor = end
    out.append(data[cursor:])
    return b"".join(out)


def splice(data: bytes, edits: list[Edit], start: int, end: int) -> bytes:
    """``data[start:end]`` (parse bytes) with ``edits`` (sorted, inside it) applied."""
    out, cursor = [], start
    for e in edits:
        out += [data[cursor : e.start], e.replacement.encode("utf-8")]
        cursor = e.end
    out.append(data[cursor:end])
    return b"".join(out)


def replace_value(raw: str, start: int, new: str) -> Edit | None:
    """An edit that replaces the shell/sbatch word ``raw`` (at ``start``) by ``new``,
    keeping the user's quoting: ``"gtest"`` -> ``"slinky"``, ``gtest`` -> ``slinky``.

    None when the raw text mixes quotes or escapes in a way that cannot be kept.
    """
    raw_b = raw.encode("utf-8")
    if len(raw_b) >= 2 and raw_b[:1] in (b'"', b"'") and raw_b[-1:] == raw_b[:1]:
        inner = raw_b[1:-1]
        if raw_b[:1] not in inner and b"\\" not in inner and b"$" not in inner and b"`" not in inner:
            return Edit(start + 1, start + len(raw_b) - 1, new)
        return None
    if any(c in raw_b for c in b"\"'\\$`"):
        return None
    return Edit(start, start + len(raw_b), new)
