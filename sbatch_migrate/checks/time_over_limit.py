"""## What it does
Reports a `--time` longer than the `MaxTime` of the target partition the job lands on after
migration (`[target] partitions`, written by `profile init` from the new cluster's snapshot;
without it the rule is silent).  A list of partitions is over only when it is over all of them.

## Why is this bad?
With the default `EnforcePartLimits=NO`, sbatch accepts the job and it then pends for ever
with `Reason=PartitionTimeLimit` (checked against the local lab's controller); with
`EnforcePartLimits=ALL` sbatch refuses it (`Requested time limit is invalid (missing or
exceeds some limit)`).  TWCC's `gp4d` allowed 4 days; the new partition may allow fewer.

## Example
```bash
#SBATCH --partition=gp4d
#SBATCH --time=4-00:00:00
```
on a target whose `slinky` partition has `MaxTime=2-00:00:00`: ask for at most 2 days
(checkpoint and resubmit), or ask the administrators to raise the partition's MaxTime
(Helm values: `partitions.<name>.configMap.MaxTime`).

## Fix safety
No fix: shortening the limit could kill a job that needs the time.
"""

from __future__ import annotations

from collections.abc import Iterator

from ..model.context import Context
from ..model.target import landing_partitions
from ..model.timelimit import UNLIMITED, seconds
from .rule import Finding, Rule, Severity


class TimeOverLimit(Rule):
    code = "SM509"
    name = "time-over-limit"
    severity = Severity.ERROR
    summary = "--time longer than the target partition's MaxTime"

    def check(self, ctx: Context) -> Iterator[Finding]:
        limits = ctx.profile.partition_limits
        if not limits:
            return
        for unit in ctx.units():
            use = unit.directives.last("time")
            if use is None or not use.value or "$" in use.value:
                continue
            asked = seconds(use.value)
            landing = landing_partitions(unit.directives, ctx.profile)
            if asked is None or landing is None or not all(p in limits for p in landing[0]):
                continue
            allowed = max(seconds(limits[p].max_time or "UNLIMITED") or UNLIMITED for p in landing[0])
            if asked <= allowed:
                continue
            names = ",".join(landing[0])
            shown = " / ".join(f"{p} {limits[p].max_time}" for p in landing[0])
            outcome = (
                "sbatch refuses the job (`Requested time limit is invalid (missing or exceeds some limit)`)"
                if ctx.profile.enforce_part_limits
                else "sbatch accepts the job, but it never starts (pending, Reason=PartitionTimeLimit)"
            )
            yield self.finding(
                use.start,
                use.end,
                f"`{use.written} {use.value}` is over the MaxTime of {names} on the target ({shown}): {outcome}; "
                "ask for less, or have the partition's MaxTime raised",
            )
