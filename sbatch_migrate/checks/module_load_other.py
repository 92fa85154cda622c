"""## What it does
Reports modules other than singularity that a script loads or swaps in
(`module load cuda/11.0 openmpi`, `ml nvhpc/21.7`, `module load $MOD`).

## Why is this bad?
The NodeSet pod has no module system: the load fails (`module: command not found`) and
the software it provided (CUDA, MPI, compilers, conda) is missing.  That software must
come from the container image the job runs (`singularity exec IMAGE ...`) or from the
slurmd image.

## Example
```bash
module load cuda/11.0 singularity/3.7.1 openmpi
```
The singularity word is removed by `module-singularity`; `cuda/11.0` and `openmpi` are
reported here: run the step that needs them inside the `.sif` image.

## Fix safety
No fix: what replaces a module is a decision about the image.
"""

from __future__ import annotations

from collections.abc import Iterator

from ..model.context import Context
from ..model.modules import module_commands, removable
from .rule import Finding, Rule, Severity


class ModuleLoadOther(Rule):
    code = "SM203"
    name = "module-load-other"
    severity = Severity.ERROR
    summary = "module other than singularity loaded: no module system in the pod"

    def check(self, ctx: Context) -> Iterator[Finding]:
        for mc in module_commands(ctx):
            if mc.action not in ("load", "swap"):
                continue
            _, kept = removable(mc, ctx.profile.remove_modules)
            if mc.action == "swap":
                kept = list(mc.names)
            if not kept:
                continue
            names = " ".join(a.value if a.direct else a.word.text for a in kept)
            cmd = mc.command
            yield self.finding(
                cmd.start,
                cmd.end,
                f"`{ctx.source.span_text(cmd.start, cmd.end)}`: {names} cannot be loaded in the pod (there is "
                "no module system); that software must come from the container image (run the step inside "
                "`singularity exec IMAGE ...`) or be installed in the slurmd image",
            )
