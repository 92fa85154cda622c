"""## What it does
Reports an option sbatch does not know (a typo such as `--ntask-per-node`) or an
abbreviation that matches several options (`--mem-p`).  Slurm accepts unambiguous
prefixes of long options (`--part=gtest`), and so does this check.  The option table is
that of the target's Slurm release (`[target] slurm_version` of the profile, 25.11 for
the Slinky images; tables for 22.05 to 25.11 are read off each release's
`src/common/slurm_opt.c`), so `--segment` or `--tres-per-task` are known there.

## Why is this bad?
sbatch stops: `unrecognized option '--ntask-per-node=2'`.

## Example
```bash
#SBATCH --ntask-per-node=2
```
Use instead: `#SBATCH --ntasks-per-node=2` (the message suggests close names).

## Fix safety
No fix: the tool does not guess which option was meant.
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
