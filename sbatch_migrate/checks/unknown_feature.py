"""## What it does
Reports `--constraint`/`-C` features that no node of the target cluster has (`[target]
features`, written by `profile init` from the new cluster's snapshot; without it the rule
is silent).  The TWCC idiom `--constraint=ntasks-per-node=4` is not a feature at all.

## Why is this bad?
sbatch refuses the job: `Invalid feature specification` (checked against the local lab's
controller).

## Example
```bash
#SBATCH --constraint=v100
```
Drop it, or ask the administrators to declare the feature on the NodeSet (Helm values:
`nodesets.<name>.extraConfMap: {Features: [...]}`).

## Fix safety
No fix.
"""

from __future__ import annotations

from collections.abc import Iterator

from ..model.context import Context
from ..model.target import FEATURE_OPTIONS, features, literal_uses
from .rule import Finding, Rule, Severity


class UnknownFeature(Rule):
    code = "SM506"
    name = "unknown-feature"
    severity = Severity.ERROR
    summary = "--constraint features no node of the target cluster has"

    def check(self, ctx: Context) -> Iterator[Finding]:
        known = ctx.profile.target_features
        if known is None:
            return
        for unit in ctx.units():
            for use in literal_uses(unit.directives, FEATURE_OPTIONS):
                missing = [f for f in features(use.value or "") if f not in known]
                if missing:
                    have = ", ".join(sorted(known)) if known else "none"
                    yield self.finding(
                        use.start,
                        use.end,
                        f"`{use.written} {use.value}`: feature {', '.join(missing)} is on no node of the target "
                        f"(its features: {have}): sbatch refuses the job (`Invalid feature specification`)",
                    )
