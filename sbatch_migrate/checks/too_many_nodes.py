"""## What it does
Reports a job that asks for more nodes (`--nodes`/`-N`, the minimum of a range) than the
target's NodeSet partition has (`[target] node_count`), or than the `MaxNodes` of the
partition it lands on (`[target] partitions`); both are written by `profile init` from the
new cluster's snapshot; without them the rule is silent.

## Why is this bad?
More nodes than there are: sbatch refuses the job (`Requested node configuration is not
available`, checked against the local lab's controller); a NodeSet scaled up later would
take it.  Over `MaxNodes`: with `EnforcePartLimits=NO` the job is accepted and pends for
ever (`Reason=PartitionNodeLimit`; `sbatch --test-only` refuses it), with `ALL` sbatch
refuses it.

## Example
```bash
#SBATCH --nodes=4
```
on a 2-node NodeSet: use 2 nodes, or ask for more replicas.

## Fix safety
No fix.
"""

from __future__ import annotations

from collections.abc import Iterator

from ..model.context import Context
from ..model.jobshape import node_min
from ..model.target import landing_partitions
from .rule import Finding, Rule, Severity


class TooManyNodes(Rule):
    code = "SM508"
    name = "too-many-nodes"
    severity = Severity.ERROR
    summary = "more nodes than the target's NodeSet partition has"

    def check(self, ctx: Context) -> Iterator[Finding]:
        profile = ctx.profile
        count = profile.node_count
        if count is None and not profile.partition_limits:
            return
        for unit in ctx.units():
            use = unit.directives.last("nodes")
            if use is None or not use.in_block or not use.value or "$" in use.value:
                continue
            n = node_min(use.value)
            if n is None:
                continue
            if count is not None and n > count:
                yield self.finding(
                    use.start,
                    use.end,
                    f"`{use.written} {use.value}`: {n} nodes, but {profile.nodeset} has {count}: sbatch refuses "
                    "the job (`Requested node configuration is not available`)",
                )
                continue
            landing = landing_partitions(unit.directives, profile)
            if landing is None or not all(p in profile.partition_limits for p in landing[0]):
                continue
            caps = [profile.partition_limits[p].max_nodes for p in landing[0]]
            if any(c is None for c in caps):
                continue
            cap = max(c for c in caps if c is not None)
            if n > cap:
                outcome = (
                    "sbatch refuses the job"
                    if profile.enforce_part_limits
                    else "sbatch accepts the job, but it never starts (pending, Reason=PartitionNodeLimit)"
                )
                yield self.finding(
                    use.start,
                    use.end,
                    f"`{use.written} {use.value}`: {n} nodes, over the MaxNodes of {','.join(landing[0])} "
                    f"({cap}): {outcome}",
                )
