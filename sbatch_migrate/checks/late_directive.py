"""## What it does
Reports `#SBATCH` lines after the first command of the script.

## Why is this bad?
sbatch stops reading directives at the first line that is neither blank nor a comment;
later `#SBATCH` lines are ignored without a word, so the job runs without those settings
(a partition, a GPU request, a time limit).  The tool does not rewrite them either.

## Example
```bash
#!/bin/bash
module load singularity
#SBATCH --gres=gpu:8
```
Move the directive above the first command.

## Fix safety
No fix: moving lines changes what the job asks for, which the user should see.
"""

from __future__ import annotations

from collections.abc import Iterator

from ..model.context import Context
from ._problems import problem_findings
from .rule import Finding, Rule, Severity


class LateDirective(Rule):
    code = "SM003"
    name = "late-directive"
    severity = Severity.WARNING
    summary = "#SBATCH after the first command: sbatch ignores it"

    def check(self, ctx: Context) -> Iterator[Finding]:
        return problem_findings(self, ctx, ("late",))
