"""## What it does
Notes a script that is not UTF-8 (e.g. Big5 / cp950 Chinese comments) and the encoding
the tool decoded it with (a guess that round-trips to the exact bytes, else latin-1).

## Why is this bad?
It is not, for sbatch.  It tells you that the tool found spans through that decoding and
that every byte outside its edits is copied unchanged, never re-encoded.

## Example
A script with comments saved in Big5.

## Fix safety
Nothing to fix.
"""

from __future__ import annotations

from collections.abc import Iterator

from ..model.context import Context
from .rule import Finding, Rule, Severity


class NonUtf8(Rule):
    code = "SM905"
    name = "non-utf8"
    severity = Severity.INFO
    summary = "file is not UTF-8: decoded with a guessed encoding, bytes kept as they are"

    def check(self, ctx: Context) -> Iterator[Finding]:
        source = ctx.source
        if source.is_identity:
            return
        bad = 0
        try:
            source.data.decode("utf-8")
        except UnicodeDecodeError as exc:
            bad = exc.start
        line = source.data.count(b"\n", 0, bad)
        start, end = source.line_span(line)
        yield self.finding(
            start,
            end,
            f"not UTF-8 (first non-UTF-8 byte on this line); read as {source.encoding}; "
            "bytes outside the tool's edits are kept exactly",
        )
