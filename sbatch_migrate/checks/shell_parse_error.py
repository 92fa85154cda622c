"""## What it does
Reports where bash syntax could not be parsed (by tree-sitter-bash): an unclosed quote,
`if` without `fi`, a stray `)`; and a heredoc whose closing line holds more than the
delimiter (`EOF && next`, `EOF ` with a trailing blank or CR), which bash does not take as
the end: it reads the rest of the script as heredoc text.

## Why is this bad?
The job would fail at that line; and the tool cannot know what the commands there mean,
so it edits nothing inside the region it could not parse.  Directives are still handled.

## Example
```bash
if [ -f x ]; then
  srun hostname
```
Add the missing `fi`, then run the tool again.

## Fix safety
No fix.
"""

from __future__ import annotations

from collections.abc import Iterator

from ..rule import Context, Finding, Rule, Severity


class ShellParseError(Rule):
    code = "SM901"
    name = "shell-parse-error"
    severity = Severity.ERROR
    summary = "bash that does not parse; nothing in that region is edited"

    def check(self, ctx: Context) -> Iterator[Finding]:
        source = ctx.source
        for unit in ctx.units():
            if unit.shell is None:
                continue
            for start, end in merged(unit.shell.errors):
                first = source.position(start).line
                last = source.position(max(start, end - 1)).line
                lines = f"line {first}" if first == last else f"lines {first}-{last}"
                where = " in the job script embedded in this heredoc" if unit.embedded else ""
                overrun = next((o for o in unit.shell.heredoc_overruns if start <= o[0] < end), None)
                if overrun is not None:
                    text = source.span_text(*overrun).rstrip()
                    at = source.position(overrun[0]).line
                    yield self.finding(
                        overrun[0],
                        overrun[1],
                        f"line {at} `{text}` does not end the heredoc for bash (its delimiter must stand "
                        f"alone on the line), so bash reads the rest of the script as heredoc text and "
                        f"never runs it{where}; {lines} left untouched",
                    )
                    continue
                snippet = source.span_text(start, min(end, start + 40)).split("\n")[0]
                yield self.finding(
                    start,
                    max(end, start),
                    f"bash does not parse here{where} (near `{snippet}`); {lines} left untouched",
                )


def merged(spans: list[tuple[int, int]]) -> list[tuple[int, int]]:
    out: list[tuple[int, int]] = []
    for s, e in sorted(spans):
        if out and s <= out[-1][1]:
            out[-1] = (out[-1][0], max(out[-1][1], e))
        else:
            out.append((s, e))
    return out
