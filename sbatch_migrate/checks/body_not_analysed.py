"""## What it does
Notes a job script whose body is neither bash nor Python (csh/tcsh, Perl, another
interpreter): its `#SBATCH` directives are migrated, its body is not analysed.  The same
goes for a job script that a driver writes or feeds to `sbatch` in a heredoc when its
`#!` line names another interpreter than bash (Python included: only a file is read by
the Python front end).

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

from ..model.context import Context
from ..model.facts import interpreter_of
from .rule import Finding, Rule, Severity


class BodyNotAnalysed(Rule):
    code = "SM903"
    name = "body-not-analysed"
    severity = Severity.INFO
    summary = "body is neither bash nor Python: directives migrated, body not analysed"

    def check(self, ctx: Context) -> Iterator[Finding]:
        source = ctx.source
        if ctx.facts.language not in ("bash", "python"):  # Python files: the libcst front end
            start, end = source.line_span(0)
            yield self.finding(
                start,
                end,
                f"the body is run by {interpreter_of(source.span_text(start, end).encode()) or 'another program'}, "
                "not bash: its #SBATCH directives are migrated, the rest is not analysed",
            )
        for unit in ctx.units():
            if unit.interpreter:
                start, end = source.line_span(source.line_of(unit.start))
                yield self.finding(
                    start,
                    end,
                    f"the job script in this heredoc is run by {unit.interpreter}, not bash: its #SBATCH "
                    "directives are migrated, the rest is not analysed",
                )
