"""## What it does
Finds the absolute host paths a job uses under the site's storage roots (`[storage]
roots` in the profile: `/work`, `/home` …): the `.sif` image (also through variables),
`-B/--bind` sources and `APPTAINER_BINDPATH`, `cd`, `#SBATCH --chdir/--output/--error`,
redirections (`> /work/u1/out.log`), programs run from a host path
(`/work/u2/local/bin/cmake`, `$PYTHON` set to `/home/u3/.conda/envs/x/bin/python`), and
absolute paths passed to commands.  Where a word holds a variable, the folder before it
is what the job surely uses (`cd /work/u1/$RUN` is below `/work/u1`; `-B
/work/u1/$SLURM_JOB_ID:/tmp` too), and a default is a path the job uses when the variable
is not set (`ROOT="${ROOT:-/work/u1/run}"` then `cd "$ROOT"`).  It reports each one that
no PVC mount of the profile (`[[storage.mounts]]`) covers; a folder the mounts sit in
(`/work`, when `/work/users` is mounted) exists in the pod, so `-B /work:/work` is fine.

## Why is this bad?
In a NodeSet pod only what is mounted exists.  The job fails with `No such file or
directory: /work/u1234567/data` (or `could not open image`) although it worked on TWCC,
where `/work` and `/home` were everywhere.

## Example
```bash
cd /work/u1234567/resnet
```
With the default profile only `/work/TWCC_cntr`, `/work/users` and `/home/users` are
mounted: mount the user's work area (add a `[[storage.mounts]]` entry and the matching
Helm values from `sbatch-migrate inventory --helm-values`) or move the data under a
mounted path.

## Fix safety
No fix: where the data lives is a site decision.
"""

from __future__ import annotations

from collections.abc import Iterator

from ..model.context import Context
from ..model.needs import exists_in_pod, path_uses
from .rule import Finding, Rule, Severity


class PathNotMounted(Rule):
    code = "SM601"
    name = "path-not-mounted"
    severity = Severity.ERROR
    summary = "host path the job needs that no PVC mount in the profile covers"

    def check(self, ctx: Context) -> Iterator[Finding]:
        mounts = ", ".join(m.path for m in ctx.profile.mounts) or "none"
        seen: set[tuple[int, str]] = set()
        for use in path_uses(ctx):
            if exists_in_pod(use.path, ctx.profile) or (use.start, use.path) in seen:
                continue
            seen.add((use.start, use.path))
            yield self.finding(
                use.start,
                use.end,
                f"{use.path} ({use.kind}) is not on a volume mounted in the pod (mounted: "
                f"{mounts}): the job would fail with `No such file or directory`; mount it "
                "([[storage.mounts]] in the profile and the Helm values) or move the data",
                subject=use.path,
            )
