"""## What it does
Describes each container launch the tool understood: which command runs Apptainer
(`srun`, `mpirun`, directly), the subcommand, `--nv`, bind mounts, the image (resolved
through variables, e.g. `SIF=...; SINGULARITY="singularity run --nv $SIF"; srun
$SINGULARITY ...`), and the GPUs per node the job requests.

## Why is this bad?
It is not: it is the tool showing its reading of the script, so a person can check it.
In the pod `singularity` is Apptainer's alias, the image path must be on a mounted PVC,
and `--nv` needs the pod's GPUs.

## Example
```bash
SIF=/work/TWCC_cntr/pytorch_21.11-py3_horovod.sif
srun singularity run --nv $SIF python train.py
```
reports `srun runs singularity run --nv on /work/TWCC_cntr/pytorch_21.11-py3_horovod.sif`.

## Fix safety
Nothing to fix.
"""

from __future__ import annotations

from collections.abc import Iterator

from ..model.context import Context
from .rule import Finding, Rule, Severity


class ContainerLaunch(Rule):
    code = "SM403"
    name = "container-launch"
    severity = Severity.INFO
    summary = "how a container is launched (image, --nv, binds, GPUs): the tool's reading"

    def check(self, ctx: Context) -> Iterator[Finding]:
        for unit in ctx.units():
            if unit.shell is None:
                continue
            job = unit.job
            for cmd in unit.shell.commands:
                call = ctx.container(cmd)
                if call is None or call.subcommand in ("pull", "build", ""):
                    continue
                who = "srun" if call.launcher else ("mpirun" if call.via_mpi else "the script")
                flags = " --nv" if call.nv else ""
                if call.image is None:
                    image = "no image"
                elif call.image.known and "$" not in call.image.value:
                    image = call.image.value
                else:
                    image = f"an image from {call.image.word.text} (not known statically)"
                parts = [f"{who} runs {call.runtime} {call.subcommand}{flags} on {image}"]
                if call.binds:
                    parts.append("binds " + ", ".join(call.binds))
                if job.gpus_per_node is not None:
                    n = job.gpus_per_node
                    parts.append(f"{n} GPU{'s' if n != 1 else ''} per node requested")
                elif call.nv:
                    parts.append("no GPUs requested")
                note = "; ".join(parts)
                yield self.finding(cmd.start, cmd.end, f"{note} (in the pod `{call.runtime}` is Apptainer)")
