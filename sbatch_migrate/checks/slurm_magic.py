"""## What it does
Rewrites the old `#SLURM` directive prefix to `#SBATCH`.

## Why is this bad?
sbatch still reads `#SLURM` lines but prints `Change from #SLURM to #SBATCH in your
script` on every submission, and newer releases may drop it.

## Example
```bash
#SLURM --nodes=1
```
Use instead: `#SBATCH --nodes=1`.

## Fix safety
Safe: sbatch reads both the same way.
"""

from __future__ import annotations

from collections.abc import Iterator

from ..fix.edits import Edit
from ..model.context import Context
from .rule import Finding, Rule, Severity


class SlurmMagic(Rule):
    code = "SM007"
    name = "slurm-magic"
    severity = Severity.WARNING
    summary = "#SLURM prefix: use #SBATCH"
    fix = "always"

    def check(self, ctx: Context) -> Iterator[Finding]:
        for unit in ctx.units():
            for line in unit.directives.lines:
                if line.kind == "SLURM" and line.in_block:
                    yield self.finding(
                        line.start,
                        line.end,
                        "#SLURM is the old prefix: use #SBATCH",
                        edits=[Edit(line.start, line.start + len("#SLURM"), "#SBATCH")],
                    )
