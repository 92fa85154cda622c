"""## What it does
Compares the CPUs per node a job requests (`--ntasks-per-node` x `--cpus-per-task`,
`--ntasks` over `--nodes`) with the NodeSet's CPUs per node (`[nodeset] cpus_per_node`,
default 32: 4 per V100 GPU).

## Why is this bad?
No pod can satisfy it: the job never starts.

## Example
```bash
#SBATCH --ntasks-per-node=8
#SBATCH --cpus-per-task=8
```
64 CPUs per node: use `--cpus-per-task=4`.

## Fix safety
No fix.
"""

from __future__ import annotations

from collections.abc import Iterator

from ..model.context import Context
from .rule import Finding, Rule, Severity


class CpusOverCapacity(Rule):
    code = "SM502"
    name = "cpus-over-capacity"
    severity = Severity.ERROR
    summary = "more CPUs per node than a NodeSet pod has"

    def check(self, ctx: Context) -> Iterator[Finding]:
        cap = ctx.profile.cpus_per_node
        for unit in ctx.units():
            job = unit.job
            if job.cpus_per_node is not None and job.cpus_per_node > cap and job.cpu_source is not None:
                src = job.cpu_source
                yield self.finding(
                    src.start,
                    src.end,
                    f"{job.cpus_per_node} CPUs per node requested but a {ctx.profile.nodeset} pod has {cap}",
                )
