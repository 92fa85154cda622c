"""## What it does
Reports a GPU type (`--gres=gpu:v100:2`, `--gpus=v100:2`, `--gpus-per-node=v100:1`,
`--tres-per-task=gres/gpu:v100:1`) that the target cluster's GPUs are not declared as
(`[target] gpu_types`, written by `profile init` from the new cluster's snapshot: empty when
its GRES is untyped, `gpu:8`; without it the rule is silent).

## Why is this bad?
No node matches: sbatch refuses the job (`Requested node configuration is not available`,
checked against the local lab's controller).

## Example
```bash
#SBATCH --gres=gpu:v100:2
```
Use `--gres=gpu:2` (any GPU), or the new cluster's type.

## Fix safety
No fix.
"""

from __future__ import annotations

from collections.abc import Iterator

from ..model.context import Context
from ..model.target import GPU_OPTIONS, gpu_types, literal_uses
from .rule import Finding, Rule, Severity


class UnknownGpuType(Rule):
    code = "SM507"
    name = "unknown-gpu-type"
    severity = Severity.ERROR
    summary = "GPU type the target cluster's GPUs are not declared as"

    def check(self, ctx: Context) -> Iterator[Finding]:
        known = ctx.profile.gpu_types
        if known is None:
            return
        for unit in ctx.units():
            for use in literal_uses(unit.directives, GPU_OPTIONS):
                missing = [t for t in gpu_types(use) if t not in known]
                if missing:
                    have = ", ".join(sorted(known)) if known else "untyped (gpu:N)"
                    yield self.finding(
                        use.start,
                        use.end,
                        f"`{use.written} {use.value}`: the target has no {', '.join(missing)} GPUs (its GPUs: {have}): "
                        "sbatch refuses the job (`Requested node configuration is not available`)",
                    )
