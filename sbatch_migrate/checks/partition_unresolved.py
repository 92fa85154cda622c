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

from collections.abc import Iterator

from ..rule import Context, Finding, Rule, Severity
from ._partitions import mapped, sites


class PartitionUnresolved(Rule):
    code = "SM104"
    name = "partition-unresolved"
    severity = Severity.WARNING
    summary = "partition decided by a variable or at run time; check it by hand"

    def check(self, ctx: Context) -> Iterator[Finding]:
        for site in sites(ctx):
            static = site.value is not None and "$" not in site.value and "`" not in site.value
            if static and site.origin is None:
                continue
            if static:
                assert site.value is not None
                new, unknown = mapped(site.value, ctx.profile)
                if not unknown and ",".join(new) == site.value:
                    continue
                advice = (f"it resolves to {site.value}: change it where {site.origin} is set"
                          + (f" (to {','.join(new)})" if not unknown else ""))
            elif site.unit.expands and site.value is not None:
                advice = f"{site.value} is expanded by the driver script when it writes the job script"
            else:
                advice = f"{site.origin or site.value or 'the value'} is only known when the script runs"
            yield self.finding(site.start, site.end,
                               f"partition ({site.where}) cannot be checked here: {advice}; make sure it "
                               f"names a partition of the new cluster ({', '.join(sorted(ctx.profile.partition_targets))})")
