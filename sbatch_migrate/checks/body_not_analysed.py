"""## What it does
Notes a job script whose body is not bash (Python, csh/tcsh, another interpreter): its
`#SBATCH` directives are migrated, its body is not analysed by the bash rules.

## Why is this bad?
It is not; it says what the tool did not look at, so a clean report is not mistaken for
a checked body.

## Example
```python
#!/usr/bin/env python3
#SBATCH --partition=gtest
import subprocess
```

## Fix safety
Nothing to fix.
"""

from __future__ import annotations

from collections.abc import Iterator

from ..rule import Context, Finding, Rule, Severity


class BodyNotAnalysed(Rule):
    code = "SM903"
    name = "body-not-analysed"
    severity = Severity.INFO
    summary = "body is not bash: directives migrated, body not analysed"

    def check(self, ctx: Context) -> Iterator[Finding]:
        if ctx.facts.language == "bash":
            return
        start, end = ctx.source.line_span(0)
        yield self.finding(
            start,
            end,
            f"the body is {ctx.facts.language}, not bash: its #SBATCH directives are migrated, "
            "the rest is not analysed",
        )
