"""## What it does
Flags `singularity run/exec --nv` in a job that requests no GPU (no `--gres=gpu...`,
`--gpus...` in its directives, nor on the `srun` that launches the container).

## Why is this bad?
In a pod the GPUs are handed out by the device plugin per job: with no GPU requested
the job gets none, and `--nv` finds no device (`CUDA driver not found`).  On TWCC a node
may have exposed its GPUs anyway.

## Example
```bash
#SBATCH --nodes=1
srun singularity exec --nv $SIF python train.py
```
Add `#SBATCH --gres=gpu:1` (or `--gpus-per-node`).

## Fix safety
No fix: how many GPUs the job needs is the user's call.
"""

from __future__ import annotations

from collections.abc import Iterator

from ..model.context import Context
from .rule import Finding, Rule, Severity

_GPU_OPTIONS = ("gres", "gpus", "gpus-per-node", "gpus-per-task", "gpus-per-socket")


class NvWithoutGpu(Rule):
    code = "SM504"
    name = "nv-without-gpu"
    severity = Severity.WARNING
    summary = "`--nv` but the job requests no GPU"

    def check(self, ctx: Context) -> Iterator[Finding]:
        for unit in ctx.units():
            if unit.shell is None or not unit.directives.options:
                continue
            job = unit.job
            if job.gpus_per_node:
                continue
            for cmd in unit.shell.commands:
                call = ctx.container(cmd)
                if call is None or not call.nv:
                    continue
                if call.launcher is not None and any(
                    o.name in _GPU_OPTIONS and (o.name != "gres" or "gpu" in (o.value or ""))
                    for o in call.launcher.options
                ):
                    continue
                yield self.finding(
                    cmd.start,
                    cmd.end,
                    "`--nv` but the job requests no GPU: in the pod it gets none and CUDA finds no "
                    "device; add `#SBATCH --gres=gpu:N`",
                )
