"""## What it does
Reports `--clusters`/`-M` naming a cluster the target's Slurm cannot send the job to: any
name when the target runs no accounting database (`[target] accounting = false`), else a
name not among its clusters (`[target] clusters`, from `sacctmgr show cluster`).  Without
those facts the rule is silent.

## Why is this bad?
sbatch resolves `-M` through slurmdbd; without one, or for a cluster it does not know, it
refuses the job (`'twcc' can't be reached now, or it is an invalid entry for --cluster`;
checked with the local lab's sbatch, which refuses even its own name when it has no
slurmdbd).  Scripts name the old cluster; after the move the job belongs on the new one.

## Example
```bash
#SBATCH -M twcc
```
Remove the line: a job submitted on the new cluster runs there.

## Fix safety
No fix.
"""

from __future__ import annotations

from collections.abc import Iterator

from ..model.context import Context
from ..model.target import literal_uses
from .rule import Finding, Rule, Severity


class UnknownCluster(Rule):
    code = "SM510"
    name = "unknown-cluster"
    severity = Severity.ERROR
    summary = "-M/--clusters names a cluster the target cannot send jobs to"

    def check(self, ctx: Context) -> Iterator[Finding]:
        profile = ctx.profile
        if profile.accounting is None and profile.target_clusters is None:
            return
        for unit in ctx.units():
            for use in literal_uses(unit.directives, ("clusters", "cluster")):
                names = [n for n in (use.value or "").strip("\"'").split(",") if n]
                if profile.accounting is False:
                    why = "the target runs no accounting database (slurmdbd), so sbatch refuses any -M"
                else:
                    known = profile.target_clusters or frozenset()
                    missing = [n for n in names if n not in known and n.lower() != "all"]
                    if not missing:
                        continue
                    have = ", ".join(sorted(known)) or "none"
                    why = f"the target's slurmdbd knows no cluster {', '.join(missing)} (it has: {have})"
                yield self.finding(
                    use.start,
                    use.end,
                    f"`{use.written} {use.value}`: {why}: sbatch refuses the job (`... can't be reached now, or it is "
                    "an invalid entry for --cluster`); remove the option, the job runs where it is submitted",
                )
