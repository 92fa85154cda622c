"""## What it does
Compares the memory per node a job requests (`--mem`, `--mem-per-cpu` x CPUs,
`--mem-per-gpu` x GPUs) with the NodeSet's memory (`[nodeset] memory_per_node`,
default 720G: 90 GB per V100 GPU).  An `srun`, `salloc` or `sbatch` command of the script
that names resources is checked the same way, from its own options and, for `sbatch`, the `SBATCH_GRES`, `SBATCH_GPUS*`,
`SBATCH_MEM_PER_*`... variables it inherits (a job step cannot be larger than a node either).

## Why is this bad?
No pod can satisfy it: the job never starts.

## Example
```bash
#SBATCH --mem=1000G
```

## Fix safety
No fix.
"""

from __future__ import annotations

from collections.abc import Iterator

from ..model.context import Context
from .rule import Finding, Rule, Severity, step_said


class MemoryOverCapacity(Rule):
    code = "SM503"
    name = "memory-over-capacity"
    severity = Severity.ERROR
    summary = "more memory per node than a NodeSet pod has"

    def check(self, ctx: Context) -> Iterator[Finding]:
        cap = ctx.profile.memory_per_node_mb
        for unit in ctx.units():
            for job, step in ctx.shapes(unit):
                if job.mem_per_node_mb is not None and job.mem_per_node_mb > cap and job.mem_source is not None:
                    src = job.mem_source
                    yield self.finding(
                        src.start,
                        src.end,
                        f"{step_said(step)}{job.mem_per_node_mb // 1024} GB per node requested "
                        f"({src.written} {src.value}) but a {ctx.profile.nodeset} pod has {cap // 1024} GB",
                    )
