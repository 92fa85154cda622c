"""## What it does
Flags `singularity pull`, `singularity build` (and `apptainer` ones) inside a job script,
and `run`/`exec`/`shell`/`instance start` on a registry image (`docker://`, `oras://`,
`library://`, `shub://`, `docker-daemon:`), which pulls and converts the image to a SIF
at every run.

## Why is this bad?
In the pod the job needs network access to the registry, a writable cache
(`APPTAINER_CACHEDIR`) on shared storage, and for `build` often `--fakeroot` or root;
every array task or node repeats the download.  Images belong on the shared image store
(`/work/TWCC_cntr` or a user PVC), built once on the login pod or a VM.

## Example
```bash
singularity pull docker://nvcr.io/nvidia/pytorch:24.01-py3
srun singularity exec --nv pytorch_24.01-py3.sif python train.py
```
Pull once on the login pod, move the `.sif` to shared storage, and run it from there.

## Fix safety
No fix.
"""

from __future__ import annotations

from collections.abc import Iterator

from ..model.context import Context
from .rule import Finding, Rule, Severity


class ImageBuildInJob(Rule):
    code = "SM402"
    name = "image-build-in-job"
    severity = Severity.WARNING
    summary = "`singularity pull/build`, or a run on a registry image, inside a job: pull once, outside the job"

    def check(self, ctx: Context) -> Iterator[Finding]:
        for unit in ctx.units():
            if unit.shell is None or not (unit.directives.options or unit.embedded):
                continue
            for cmd in unit.shell.commands:
                call = ctx.container(cmd)
                if call is None:
                    continue
                if call.subcommand in ("pull", "build"):
                    target = " ".join(a.value for a in ((call.image,) if call.image else ()) + call.args)
                    yield self.finding(
                        cmd.start,
                        cmd.end,
                        f"`{call.runtime} {call.subcommand}` {target} inside the job: the pod needs "
                        "registry access and a writable cache; build or pull once on the login pod "
                        "and keep the .sif on shared storage",
                    )
                elif call.image is not None and call.image.value.startswith(_REGISTRY):
                    yield self.finding(
                        cmd.start,
                        cmd.end,
                        f"`{call.runtime} {call.subcommand}` on {call.image.value} pulls and converts the "
                        "image at every run: the pod needs registry access and a writable cache "
                        "(docker-daemon: needs a Docker socket, which a pod does not have); pull once "
                        "on the login pod and run the .sif from shared storage",
                    )


_REGISTRY = ("docker://", "oras://", "library://", "shub://", "docker-daemon:", "docker-archive:")
