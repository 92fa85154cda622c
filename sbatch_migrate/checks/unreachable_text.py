"""## What it does
Reports the lines after a top-level `exit`, or an `exec` of a command, that bash would
reject but never reads: bash reads a script one command at a time and runs each before it
reads the next, so the script ends there.  Typical files: pip's launcher for a long
interpreter path (`#!/bin/sh`, then `'''exec' … "$0" "$@"`, then Python), a wrapper that
runs `exec python3 "$0" "$@"` over the Python program below it, an installer whose shell
part ends in `exit 0` over its payload.  The stop is taken as certain only when the text
up to it parses on its own and the command stands alone at the top of the script (not in
a list, a pipeline, a function, a condition or a loop, not in the background).  Only
the file's own script is read so; a job script embedded in a heredoc is read whole.

## Why is this bad?
It is not an error: `bash -n`, which reads the whole file, rejects it, the job does not.
But the tool does not read those lines as bash either, so nothing there is analysed or
changed: a `module load singularity` or an `srun` with an old partition below the stop
would not run anyway.

## Example
```bash
#!/bin/sh
exec python3 "$0" "$@"
import sys
print(sys.argv)
```
`bash stops reading at line 2 (`exec python3 "$0" "$@"`): lines 3-4 are never read as
bash, and are not analysed or changed`.

## Fix safety
No fix.
"""

from __future__ import annotations

from collections.abc import Iterator

from ..model.context import Context
from .rule import Finding, Rule, Severity


class UnreachableText(Rule):
    code = "SM912"
    name = "unreachable-text"
    severity = Severity.INFO
    summary = "lines after a top-level exit or exec that bash never reads: not analysed"

    def check(self, ctx: Context) -> Iterator[Finding]:
        source = ctx.source
        for unit in ctx.units():
            if unit.stop is None or unit.stop[1] >= unit.end:
                continue
            start, tail = unit.stop
            first, last = source.position(tail).line, source.position(unit.end - 1).line
            lines = f"line {first} is" if first == last else f"lines {first}-{last} are"
            top, bottom = source.position(start).line, source.position(tail - 1).line
            said = source.span_text(start, tail).strip()
            if top != bottom and said.startswith("if"):  # an if whose every branch ends so
                said = f"the `if` of lines {top}-{bottom}: each of its branches ends in `exit` or `exec`"
            else:
                said = said.split("\n", 1)[0]
                said = f"`{said}`" if len(said) <= 60 else f"`{said[:57]}...`"
            yield self.finding(
                tail,
                unit.end,
                f"bash stops reading at line {bottom} ({said}): {lines} never read as bash, "
                "and not analysed or changed",
            )
