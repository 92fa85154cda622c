"""## What it does
Reports a partition that the tool cannot rewrite where it stands: it comes from a shell
variable (`srun -p $PART`, `#SBATCH -p $PART` inside an unquoted heredoc), from a
command substitution, or from a value only known when the job runs.

## Why is this bad?
If the variable still holds a TWCC partition name, the job is rejected on the new
cluster.  The tool does not guess: it shows where the value comes from so a person can
change it there.

## Example
```bash
PART=gtest
sbatch -p $PART job.sh
```
Change `PART=gtest` to `PART=slinky`.

## Fix safety
No fix: the value is decided elsewhere.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from ..model.context import Context
from ..model.partitions import interpolated, mapped, sites
from .rule import Finding, Rule, Severity


class PartitionUnresolved(Rule):
    code = "SM104"
    name = "partition-unresolved"
    severity = Severity.WARNING
    summary = "partition decided by a variable or at run time; check it by hand"

    def check(self, ctx: Context) -> Iterator[Finding]:
        targets = ", ".join(sorted(ctx.profile.partition_targets))
        for site in sites(ctx):
            static = not interpolated(site)
            if static and site.origin is None:
                continue  # written here: partition-rename / unknown-partition
            written = site.origin or site.value or "the value"
            if static:
                assert site.value is not None
                new, unknown = mapped(site.value, ctx.profile)
                if not unknown and ",".join(new) == site.value:
                    continue
                where_set = _assigned_at(ctx, written, site.start)
                fix = f"to {','.join(new)}" if not unknown else "to a partition of the new cluster"
                msg = (
                    f"partition {written} ({site.where}) is {site.value}, which does not exist on the target "
                    f"cluster: change it where it is set{where_set} {fix}"
                )
            elif site.unit.template:
                msg = (
                    f"partition {written} ({site.where}) is filled in by the Python template when the job "
                    f"script is rendered; make sure it names a partition of the new cluster ({targets})"
                )
            elif site.unit.expands:
                msg = (
                    f"partition {written} ({site.where}) is filled in by the driver script when it writes the "
                    f"job script; make sure it names a partition of the new cluster ({targets})"
                )
            else:
                msg = (
                    f"partition {written} ({site.where}) is only known when the script runs; make sure it "
                    f"names a partition of the new cluster ({targets})"
                )
            yield self.finding(site.start, site.end, msg)


_VAR = re.compile(r"\$\{?(\w+)")


def _assigned_at(ctx: Context, written: str, before: int) -> str:
    """' (line N)' for the last straight-line assignment of the variable before ``before``."""
    names = set(_VAR.findall(written))
    shell = ctx.facts.shell
    if shell is None or not names:
        return ""
    lines = [ctx.source.position(a.start).line for a in shell.assignments if a.name in names and a.start < before]
    return f" (line {lines[-1]})" if lines else ""
