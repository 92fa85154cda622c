"""## What it does
Reports Pyxis (NVIDIA enroot) container options: `srun --container-image=...`,
`--container-mounts`, `--container-workdir`, `--container-name` and the rest, on `srun`,
`sbatch` and `salloc` commands and in `#SBATCH` lines, unless the profile says the
target's NodeSets run Pyxis (`[target] pyxis = true`).

## Why is this bad?
These options come from the Pyxis SPANK plugin, not from Slurm.  The Slinky NodeSets of
this migration run Apptainer: without the plugin srun stops with `unrecognized option
'--container-image=...'` and the job step never starts.

## Example
```bash
srun --container-image=nvcr.io#nvidia/pytorch:24.01-py3 --container-mounts=/work/u1:/data python train.py
```
Use instead (the image converted once, outside the job):
```bash
srun singularity exec --nv -B /work/u1:/data /work/u1/pytorch_24.01.sif python train.py
```

## Fix safety
No fix: an enroot image is not an Apptainer image; converting it (and its mounts) is a
step for a person.
"""

from __future__ import annotations

from collections.abc import Iterator

from ..model.context import Context
from ..model.launch import may_launch, strip_wrappers
from ..read.options import PYXIS_OPTIONS
from .rule import Finding, Rule, Severity

_ADVICE = (
    "the target's NodeSets run Apptainer, not Pyxis: without the plugin {program} stops with `unrecognized option`; "
    "run the image with `singularity exec` (convert it once outside the job: `apptainer build x.sif docker://...`), "
    "or set `[target] pyxis = true` if the NodeSets do run Pyxis"
)


class PyxisOptions(Rule):
    code = "SM404"
    name = "pyxis-options"
    severity = Severity.ERROR
    summary = "Pyxis/enroot container options (--container-image ...) on a cluster without Pyxis"

    def check(self, ctx: Context) -> Iterator[Finding]:
        if ctx.profile.pyxis:
            return
        for unit in ctx.units():
            for p in unit.directives.problems:
                if p.code == "pyxis-option":
                    yield self.finding(p.start, p.end, f"{p.message}: " + _ADVICE.format(program="sbatch"))
            if unit.shell is None:
                continue
            for cmd in unit.shell.commands:
                if not may_launch(cmd):
                    continue
                argv = strip_wrappers(cmd.argv)[0]
                if not argv or argv[0].value.rsplit("/", 1)[-1] not in ("srun", "sbatch", "salloc"):
                    continue
                program = argv[0].value.rsplit("/", 1)[-1]
                used = [a for a in argv[1:] if a.value.startswith("--") and a.value[2:].split("=")[0] in PYXIS_OPTIONS]
                if used:
                    names = ", ".join(sorted({a.value.split("=")[0] for a in used}))
                    yield self.finding(
                        used[0].word.start,
                        used[-1].word.end,
                        f"`{program} {names}`: Pyxis (enroot) options; " + _ADVICE.format(program=program),
                    )
