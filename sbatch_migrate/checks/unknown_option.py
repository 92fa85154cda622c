"""## What it does
Reports an option sbatch does not know (a typo such as `--ntask-per-node`) or an
abbreviation that matches several options (`--mem-p`).  Slurm accepts unambiguous
prefixes of long options (`--part=gtest`), and so does this check; the option table is
Slurm 22.05's, read off `src/common/slurm_opt.c`.

## Why is this bad?
sbatch stops: `unrecognized option '--ntask-per-node=2'`.

## Example
```bash
#SBATCH --ntask-per-node=2
```
Use instead: `#SBATCH --ntasks-per-node=2` (the message suggests close names).

## Fix safety
No fix: the tool does not guess which option was meant.  The target cluster runs a newer
Slurm, so an option added after 22.05 is reported too; suppress it if it is valid there.
"""

from __future__ import annotations

from collections.abc import Iterator

from ..model.context import Context
from ._problems import problem_findings
from .rule import Finding, Rule, Severity


class UnknownOption(Rule):
    code = "SM002"
    name = "unknown-option"
    severity = Severity.ERROR
    summary = "unknown or ambiguous option in a directive"

    def check(self, ctx: Context) -> Iterator[Finding]:
        return problem_findings(self, ctx, ("unknown-option",))
