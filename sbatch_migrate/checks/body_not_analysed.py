"""## What it does
Notes a job script whose body is neither bash nor Python (csh/tcsh, Perl, another
interpreter): its `#SBATCH` directives are migrated, its body is not analysed.

## Why is this bad?
It is not; it says what the tool did not look at, so a clean report is not mistaken for
a checked body.

## Example
```
#!/bin/tcsh
#SBATCH --partition=gtest
setenv OMP_NUM_THREADS 4
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
    summary = "body is neither bash nor Python: directives migrated, body not analysed"

    def check(self, ctx: Context) -> Iterator[Finding]:
        if ctx.facts.language in ("bash", "python"):
            return  # Python bodies are read by the libcst front end
        start, end = ctx.source.line_span(0)
        yield self.finding(
            start,
            end,
            f"the body is {ctx.facts.language}, not bash: its #SBATCH directives are migrated, "
            "the rest is not analysed",
        )
