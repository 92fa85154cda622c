"""## What it does
Reports software the job takes from the old hosts' own installations: `source
/opt/intel/oneapi/setvars.sh`, `. /opt/ohpc/pub/.../lmod.sh`, a program run from
`/usr/local/cuda/bin` or `/opt/nvidia/hpc_sdk`, or `PATH`/`LD_LIBRARY_PATH` built on such
a tree.  The trees are the profile's `[host] software` (glob patterns); `[host] present`
lists those the slurmd image does have or a volume mounts.  Commands run inside a
container (`singularity exec IMAGE /usr/local/cuda/bin/nvcc`) are the image's business and
not reported.

## Why is this bad?
The slurmd pod is a container built from the Slinky image with Apptainer added: the TWCC
hosts' `/opt/intel`, `/opt/ohpc` or CUDA toolkit are not in it.  `source` fails with `No
such file or directory`, and the programs are not found.

## Example
```bash
source /opt/intel/oneapi/setvars.sh
mpirun ./a.out
```
Run the step inside a container image that has the toolchain (`singularity exec
oneapi.sif ...`), or have the site add it to the slurmd image (and to `[host] present`).

## Fix safety
No fix: where the software comes from is a site decision.
"""

from __future__ import annotations

import fnmatch
from collections.abc import Iterator

from ..model.context import Context
from ..model.modules import starts_module_system
from ..profile import Profile
from ..read.shell import Word
from .rule import Finding, Rule, Severity

_PATH_VARIABLES = ("PATH", "LD_LIBRARY_PATH", "LIBRARY_PATH", "CPATH", "MANPATH", "PKG_CONFIG_PATH", "CUDA_HOME")


def host_tree(path: str, profile: Profile) -> str | None:
    """The old hosts' software tree (a pattern of ``[host] software``) ``path`` is in,
    unless the pod has it (``[host] present``)."""
    if not path.startswith("/"):
        return None
    parts = path.rstrip("/").split("/")
    for patterns, present in ((profile.host_software_present, True), (profile.host_software, False)):
        for pattern in patterns:
            depth = pattern.rstrip("/").count("/")
            head = "/".join(parts[: depth + 1])
            if fnmatch.fnmatchcase(head, pattern.rstrip("/")):
                return None if present else pattern
    return None


def _static(word: Word) -> str | None:
    if word.value is not None:
        return word.value
    if word.fallback is not None:
        return word.fallback
    raw = word.text.strip('"')
    cut = next((i for i, c in enumerate(raw) if c in "$`"), len(raw))
    return raw[:cut] if cut else None


class HostSoftware(Rule):
    code = "SM602"
    name = "host-software"
    severity = Severity.WARNING
    summary = "software from the old hosts' own trees (/opt/intel, /opt/ohpc, /usr/local/cuda): not in the pod"

    def check(self, ctx: Context) -> Iterator[Finding]:
        profile = ctx.profile
        if not profile.host_software:
            return
        for unit in ctx.units():
            if unit.shell is None:
                continue
            for a in unit.shell.assignments:
                if a.name not in _PATH_VARIABLES or a.value is None:
                    continue
                text = _static(a.value) or ""
                for entry in text.split(":"):
                    tree = host_tree(entry, profile)
                    if tree is not None:
                        yield self.finding(
                            a.start,
                            a.end,
                            f"{a.name} takes {entry} from the old hosts' {tree} tree, which the pod does not have: "
                            "its programs and libraries are not found there",
                        )
                        break
            for cmd in unit.shell.commands:
                if not cmd.argv or ctx.container(cmd) is not None:
                    continue  # inside a container, paths are the image's
                head = cmd.argv[0]
                words = [head.word] if head.value not in ("source", ".") else [a.word for a in cmd.argv[1:2]]
                for word in words:
                    path = _static(word)
                    tree = host_tree(path, profile) if path else None
                    if tree is None or (path and starts_module_system(path, profile.module_init)):
                        continue  # a module system's init file: module-init says it
                    what = "sources" if head.value in ("source", ".") else "runs"
                    yield self.finding(
                        word.start,
                        word.end,
                        f"the job {what} {path} from the old hosts' {tree} tree, which the slurmd pod does not "
                        "have (`No such file or directory`): run the step inside a container image that has it, or "
                        "have the site add it to the slurmd image and to `[host] present`",
                    )
