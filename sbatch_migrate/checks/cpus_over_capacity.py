"""## What it does
Compares the CPUs a job needs on each node it uses with the NodeSet's CPUs per node
(`[nodeset] cpus_per_node`, default 32: 4 per V100 GPU): `--ntasks-per-node` times
`--cpus-per-task`, `--ntasks` over `--nodes`, `--cpus-per-gpu` times the node's GPUs,
`--mincpus` (see `model/jobshape.py`; checked against a real Slurm controller).  Without
`--nodes` Slurm spreads `--ntasks` over as many nodes as it takes, so only one task has to
fit.  The finding points at the option that weighs more.  An `srun`, `salloc` or `sbatch` command of the script
that names resources is checked the same way, from its own options and, for `sbatch`, the `SBATCH_GRES`, `SBATCH_GPUS*`,
`SBATCH_MEM_PER_*`... variables it inherits (a job step cannot be larger than a node either).

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
from .rule import Finding, Rule, Severity, step_said


class CpusOverCapacity(Rule):
    code = "SM502"
    name = "cpus-over-capacity"
    severity = Severity.ERROR
    summary = "more CPUs per node than a NodeSet pod has"

    def check(self, ctx: Context) -> Iterator[Finding]:
        cap = ctx.profile.cpus_per_node
        for unit in ctx.units():
            for job, step in ctx.shapes(unit):
                if job.cpus_per_node is not None and job.cpus_per_node > cap and job.cpu_source is not None:
                    src = job.cpu_source
                    how = "" if job.cpus_exact else "at least "
                    yield self.finding(
                        src.start,
                        src.end,
                        f"{step_said(step)}{how}{job.cpus_per_node} CPUs per node requested ({_factors(job)}) but a "
                        f"{ctx.profile.nodeset} pod has {cap}",
                    )


def _factors(job) -> str:  # type: ignore[no-untyped-def]
    src = job.cpu_source
    if src is not None and src.name == "cpus-per-gpu":
        return f"{src.value} CPUs per GPU x {job.gpus_per_node} GPUs"
    if src is not None and src.name == "mincpus":
        return f"--mincpus {src.value}"
    per_task = job.cpus_per_node // max(job.tasks_per_node or 1, 1)
    if (job.tasks_per_node or 1) == 1:
        return f"{per_task} CPUs per task"
    return f"{job.tasks_per_node} tasks per node x {per_task} CPUs per task"
