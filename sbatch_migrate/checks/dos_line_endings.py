r"""## What it does
Reports a script with Windows (CRLF, `\r\n`) line endings.

## Why is this bad?
sbatch refuses it: `Batch script contains DOS line breaks (\r\n)`.  Bash would also read
`\r` as part of the last word of each line.  A file with old Mac line endings (`\r`
alone) is reported too: to bash and sbatch it is a single line, so its directives are not
read and the job fails when it starts (`bad interpreter`).

## Example
A script saved by a Windows editor.  Convert it with `dos2unix job.sh`.

## Fix safety
No fix: the tool keeps the file's line endings as they are (edits it makes use the
file's own line ending), so the conversion stays a visible, separate step.
"""

from __future__ import annotations

from collections.abc import Iterator

from ..model.context import Context
from .rule import Finding, Rule, Severity


class DosLineEndings(Rule):
    code = "SM005"
    name = "dos-line-endings"
    severity = Severity.ERROR
    summary = "CRLF line endings: sbatch refuses the script"

    def check(self, ctx: Context) -> Iterator[Finding]:
        source = ctx.source
        data = source.data
        if b"\n" not in data and b"\r" in data.rstrip(b"\r"):
            start, end = source.line_span(0)
            breaks = data.count(b"\r")
            yield self.finding(
                start,
                end,
                f"old Mac line breaks (\\r alone, {breaks} of them, no \\n): bash and sbatch read the "
                "whole file as one line, so its directives are not read and `#!` names no interpreter; "
                "convert with mac2unix (dos2unix package)",
            )
            return
        if not source.has_crlf:
            return
        first = source.data.index(b"\r\n")
        # position in parse bytes: the same offset for UTF-8 files; map by line otherwise
        line = source.data.count(b"\n", 0, first)
        start, end = source.line_span(line)
        count = source.data.count(b"\r\n")
        yield self.finding(
            start,
            end,
            f"DOS line breaks (\\r\\n) on {count} line(s), first here: sbatch refuses the script "
            "(`Batch script contains DOS line breaks`); convert with dos2unix",
        )
