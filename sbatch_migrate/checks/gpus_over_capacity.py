"""## What it does
Compares the GPUs per node a job requests (`--gres=gpu:N`, `--gpus-per-node`,
`--gpus` over `--nodes`, `--gpus-per-task` x `--ntasks-per-node`) with the NodeSet's
GPUs per node from the profile (`[nodeset] gpus_per_node`, default 8: TWCC's V100 node).
An `srun`, `salloc` or `sbatch` command of the script that names resources is checked
the same way, from its own options and, for `sbatch`, the `SBATCH_GRES`, `SBATCH_GPUS*`,
`SBATCH_MEM_PER_*`... variables it inherits (a job step cannot be larger than a node either).

## Why is this bad?
No NodeSet pod can satisfy the request; the job stays pending forever or sbatch refuses
it (`Requested node configuration is not available`).

## Example
```bash
#SBATCH --gres=gpu:16
```
Use instead: `--nodes=2 --gres=gpu:8`.

## Fix safety
No fix: splitting a job over more nodes changes how it runs.
"""

from __future__ import annotations

from collections.abc import Iterator

from ..model.context import Context
from ..model.jobshape import JobShape
from .rule import Finding, Rule, Severity, step_said


class GpusOverCapacity(Rule):
    code = "SM501"
    name = "gpus-over-capacity"
    severity = Severity.ERROR
    summary = "more GPUs per node than a NodeSet pod has"

    def check(self, ctx: Context) -> Iterator[Finding]:
        cap = ctx.profile.gpus_per_node
        for unit in ctx.units():
            for job, step in ctx.shapes(unit):
                if job.gpus_per_node is not None and job.gpus_per_node > cap and job.gpu_source is not None:
                    src = job.gpu_source
                    yield self.finding(
                        src.start,
                        src.end,
                        f"{step_said(step)}{job.gpus_per_node} GPUs per node requested ({_factors(job)}) but a "
                        f"{ctx.profile.nodeset} pod has {cap}: use more nodes with at most {cap} each",
                    )


def _factors(job: JobShape) -> str:
    src = job.gpu_source
    assert src is not None
    if src.name in ("gpus-per-task", "tres-per-task") and (job.tasks_per_node or 1) > 1:
        return f"{job.tasks_per_node} tasks per node x {src.written} {src.value}"
    return f"{src.written} {src.value}"
