"""## What it does
Reports `# SBATCH --option` lines (a space after `#`) in the directive block.

## Why is this bad?
sbatch does not read them: the job runs without that option.  Users write it both ways,
as a directive switched off on purpose and as a slip, so this is only said, at info
level: check that the job does not need it.

## Example
```bash
#!/bin/bash
# SBATCH --gres=gpu:1
#SBATCH --nodes=1
```
If the job needs it: `#SBATCH --gres=gpu:1`; to keep it off, `##SBATCH` says so plainly.

## Fix safety
No fix: which one was meant is the user's knowledge.
"""

from __future__ import annotations

from collections.abc import Iterator

from ..model.context import Context
from .misspelt_directive import options_of
from .rule import Finding, Rule, Severity


class SpacedDirective(Rule):
    code = "SM009"
    name = "spaced-directive"
    severity = Severity.INFO
    summary = "`# SBATCH` (a space after #): sbatch does not read it"

    def check(self, ctx: Context) -> Iterator[Finding]:
        for unit in ctx.units():
            for near in unit.directives.near_misses:
                if near.kind == "spaced":
                    options = options_of(near.options)
                    yield self.finding(
                        near.start,
                        near.end,
                        f"`{near.written} {options}`: with a space after `#` sbatch does not read it, so the job "
                        f"runs without `{options}` (fine if it is switched off on purpose; `##SBATCH` says so)",
                    )
