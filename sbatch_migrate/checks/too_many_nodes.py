"""## What it does
Reports a job that asks for more nodes (`--nodes`/`-N`, the minimum of a range) than the
target's NodeSet partition has (`[target] node_count`, written by `profile init` from the
new cluster's snapshot; without it the rule is silent).

## Why is this bad?
sbatch refuses the job (`Requested node configuration is not available`, checked against
the local lab's controller); a NodeSet scaled up later would take it.

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
from .rule import Finding, Rule, Severity


class TooManyNodes(Rule):
    code = "SM508"
    name = "too-many-nodes"
    severity = Severity.ERROR
    summary = "more nodes than the target's NodeSet partition has"

    def check(self, ctx: Context) -> Iterator[Finding]:
        count = ctx.profile.node_count
        if count is None:
            return
        for unit in ctx.units():
            use = unit.directives.last("nodes")
            if use is None or not use.in_block or not use.value or "$" in use.value:
                continue
            n = node_min(use.value)
            if n is not None and n > count:
                yield self.finding(
                    use.start,
                    use.end,
                    f"`{use.written} {use.value}`: {n} nodes, but {ctx.profile.nodeset} has {count}: sbatch refuses "
                    "the job (`Requested node configuration is not available`)",
                )
