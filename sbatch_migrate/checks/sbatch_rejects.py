"""## What it does
With `--validate`, runs `sbatch --test-only` on the migrated script against the live
cluster and reports it when Slurm rejects the script, with Slurm's own words.

## Why is this bad?
Slurm has the last word: a partition that does not exist, a GRES the NodeSet does not
offer, a node shape no pod has, an option the cluster's Slurm does not know.  The job
would not be accepted.

## Example
`sbatch-migrate --validate job.sh` on the Slinky login pod:
`sbatch --test-only rejects the migrated script: error: invalid partition specified: gp9d`.

## Fix safety
No fix: the message says what Slurm refused.
"""

from __future__ import annotations

from collections.abc import Iterator

from ..model.context import Context
from .rule import Finding, Rule, Severity


class SbatchRejects(Rule):
    code = "SM906"
    name = "sbatch-rejects"
    severity = Severity.ERROR
    summary = "with --validate: `sbatch --test-only` rejects the migrated script"

    def check(self, ctx: Context) -> Iterator[Finding]:
        return iter(())  # raised by the command line after it asks Slurm
