"""## What it does
Reports a partition name that the profile neither maps nor lists as a target.

## Why is this bad?
sbatch on the new cluster stops with `invalid partition specified`.  The tool cannot
guess where the job should go, so it leaves the text unchanged.

## Example
```bash
#SBATCH -p gpu-large
```
Map it: `sbatch-migrate --partition-map gpu-large=slinky job.sh`, or add it to
`[partitions] map` in the profile.

## Fix safety
No fix: the text is never changed.
"""

from __future__ import annotations

from collections.abc import Iterator

from ..model.context import Context
from ..model.partitions import interpolated, mapped, sites
from .rule import Finding, Rule, Severity


class UnknownPartition(Rule):
    code = "SM102"
    name = "unknown-partition"
    severity = Severity.ERROR
    summary = "partition the profile does not know"

    def check(self, ctx: Context) -> Iterator[Finding]:
        known = ", ".join(sorted(ctx.profile.partition_map)) or "none"
        for site in sites(ctx):
            if interpolated(site) or not site.value:
                continue
            _, unknown = mapped(site.value, ctx.profile)
            for name in unknown:
                yield self.finding(
                    site.start,
                    site.end,
                    f"partition {name!r} ({site.where}) is not in the profile's partition map "
                    f"(known: {known}; targets: {', '.join(sorted(ctx.profile.partition_targets))}); "
                    f"left unchanged: map it with --partition-map {name}=NAME",
                )
