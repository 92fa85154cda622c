"""## What it does
Reports a submission config that sbatch-migrate recognises but does not read: a Snakefile
(Snakemake's own grammar: `resources: slurm_partition=...`), a Cromwell/HOCON backend
configuration (`submit = "sbatch -p ..."`), or a read format (YAML, Nextflow, Make) whose
text its grammar cannot parse (nothing is edited there).

## Why is this bad?
Pipelines submit through these files.  A TWCC partition or a `module load` in one fails
every task on the new cluster ("invalid partition specified", `module: command not
found`), often hours into a run, and no finding would say so.  The file is listed in the
reports as not analysed, and its user is not reported ready.

## Example
```hocon
backend { providers { SLURM { config { submit = "sbatch -p gp1d ..." } } } }
```
Check the partitions, prologues and container settings by hand, as the message says.

## Fix safety
No fix.
"""

from __future__ import annotations

from collections.abc import Iterator

from ..model.context import Context
from .rule import Finding, Rule, Severity


class ConfigNotRead(Rule):
    code = "SM911"
    name = "config-not-read"
    severity = Severity.ERROR  # nothing can be said of it: its user is not ready
    summary = "a submission config (Snakefile, Cromwell/HOCON, or one that does not parse) the tool does not read"

    def check(self, ctx: Context) -> Iterator[Finding]:
        return iter(())  # reported by the config front end (fix/configs.py), which reads the format
