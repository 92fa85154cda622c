"""## What it does
Reports bash syntax that bash itself rejects: an unclosed quote, `if` without `fi`, a
stray `)`, with bash's own words and line (`bash -n`, which reads the script without
running any of it); and a heredoc whose closing line holds more than the delimiter
(`EOF && next`, `EOF ` with a trailing blank or CR), which bash does not take as the end:
it reads the rest of the script as heredoc text.

## Why is this bad?
The job would fail at that line, or silently never run the rest of the script; and the
tool cannot know what the commands there mean, so it edits nothing inside the region it
could not parse.  Directives are still handled.  (Where only the tool's parser fails and
bash accepts the script, SM908 parser-limit says so instead; where bash stops reading at
a top-level `exit` or `exec` before the line it rejects, SM912 unreachable-text does.)

## Example
```bash
if [ -f x ]; then
  srun hostname
```
`bash does not parse here (near `if [ -f x ]; then`), bash: line 3: syntax error:
unexpected end of file`.  Add the missing `fi`, then run the tool again.

## Fix safety
No fix.
"""

from __future__ import annotations

from collections.abc import Iterator

from ..model.context import Context
from ._parse_regions import regions
from .rule import Finding, Rule, Severity


class ShellParseError(Rule):
    code = "SM901"
    name = "shell-parse-error"
    severity = Severity.ERROR
    summary = "bash that does not parse; nothing in that region is edited"

    def check(self, ctx: Context) -> Iterator[Finding]:
        source = ctx.source
        for r in regions(ctx):
            where = " in the job script embedded in this heredoc" if r.unit.embedded else ""
            if r.overrun is not None:
                text = source.span_text(*r.overrun).rstrip()
                at = source.position(r.overrun[0]).line
                yield self.finding(
                    r.overrun[0],
                    r.overrun[1],
                    f"line {at} `{text}` does not end the heredoc for bash (its delimiter must stand "
                    f"alone on the line), so bash reads the rest of the script as heredoc text and "
                    f"never runs it{where}; {r.lines} left untouched",
                )
                continue
            if r.kind == "bash-accepts":
                continue  # parser-limit
            snippet = source.span_text(r.start, min(r.end, r.start + 40)).split("\n")[0]
            if r.kind == "unconfirmed":
                said = "bash could not be asked to confirm it"
            elif r.bash_line is not None:
                said = f"bash: line {r.bash_line}: {r.bash_message}"
            else:
                said = "bash rejects the script"
            yield self.finding(
                r.start,
                max(r.end, r.start),
                f"bash does not parse here{where} (near `{snippet}`; {said}); {r.lines} left untouched",
            )
