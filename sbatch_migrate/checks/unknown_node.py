"""## What it does
Reports node names in `--nodelist`/`-w` and `--exclude`/`-x` that the target cluster does
not have (`[target] nodes`, written by `profile init` from the new cluster's snapshot;
without it the rule is silent).  TWCC node names (`gn1201`) do not exist on the new
cluster.

## Why is this bad?
sbatch refuses the job: `Invalid node name specified` (checked against the local lab's
controller), for an excluded name as well as a requested one.

## Example
```bash
#SBATCH -w gn1201
```
Drop the option, or name a node of the new cluster (`sinfo -N`).

## Fix safety
No fix: which node (if any) the job needs is the user's choice.
"""

from __future__ import annotations

from collections.abc import Iterator

from ..model.context import Context
from ..model.hostlist import expand
from ..model.target import NODE_OPTIONS, literal_uses
from .rule import Finding, Rule, Severity


class UnknownNode(Rule):
    code = "SM505"
    name = "unknown-node"
    severity = Severity.ERROR
    summary = "node names the target cluster does not have (-w, -x)"

    def check(self, ctx: Context) -> Iterator[Finding]:
        known = ctx.profile.target_nodes
        if known is None:
            return
        for unit in ctx.units():
            for use in literal_uses(unit.directives, NODE_OPTIONS):
                names = expand((use.value or "").strip("\"'"))
                missing = [n for n in names or [] if n not in known]
                if missing:
                    shown = ", ".join(missing[:5]) + (" …" if len(missing) > 5 else "")
                    yield self.finding(
                        use.start,
                        use.end,
                        f"`{use.written} {use.value}`: no node {shown} on the target cluster: sbatch refuses the job "
                        "(`Invalid node name specified`); drop the option or name one of its nodes",
                    )
