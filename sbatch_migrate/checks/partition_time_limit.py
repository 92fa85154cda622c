"""## What it does
Reports a renamed TWCC partition whose name carried a time limit (`gp1d`, `gp2d`,
`gp4d`: 1, 2, 4 days) in a script that sets no `--time`, and proposes the explicit limit.

## Why is this bad?
On TWCC the partition name decided the limit: a job in `gp4d` without `--time` could run
4 days.  After the rename it gets the new partition's default limit, which may be far
shorter, and the job is killed early.

## Example
```bash
#SBATCH --partition=gp4d
```
Use instead:
```bash
#SBATCH --partition=slinky
#SBATCH --time=4-00:00:00
```

Where the profile knows the target partition's `MaxTime` (`profile init` writes it) and it
is shorter, the message proposes that instead: a longer `--time` would leave the job
pending for ever.

## Fix safety
The `--time` line is added only when the profile sets `[partitions] add_time = true`;
otherwise it is proposed in the message.  The added line is unsafe (it changes what the
job asks for): applied only with `--unsafe-fixes`.
"""

from __future__ import annotations

from collections.abc import Iterator

from ..fix.edits import Edit
from ..model.context import Context
from ..model.timelimit import seconds
from .rule import Finding, Rule, Severity


def _target_cap(ctx: Context, value: str) -> str | None:
    """The longest MaxTime among the target partitions the job lands on (None: not known or
    unlimited)."""
    limits = ctx.profile.partition_limits
    caps: list[str] = []
    for name in value.split(","):
        target = ctx.profile.target_of(name)
        cap = limits[target].max_time if target is not None and target in limits else None
        if cap is None:
            return None
        caps.append(cap)
    return max(caps, key=lambda c: seconds(c) or 0) if caps else None


def _days(limit: str) -> float:
    days, _, rest = limit.partition("-")
    return float(days) if rest else 0.0


class PartitionTimeLimit(Rule):
    code = "SM103"
    name = "partition-time-limit"
    severity = Severity.WARNING
    summary = "renamed partition carried an implicit time limit and the script sets no --time"
    fix = "sometimes"
    fix_safety = "unsafe"

    def check(self, ctx: Context) -> Iterator[Finding]:
        implicit = ctx.profile.implicit_time
        source = ctx.source
        for unit in ctx.units():
            d = unit.directives
            if any(u.is_time for u in d.options if u.in_block):
                continue
            if any(u.kind == "PBS" and u.name == "l" and u.value and "walltime" in u.value for u in d.options):
                continue
            for use in d.partitions:
                if not use.value:
                    continue
                limits = [implicit[n] for n in use.value.split(",") if n in implicit and ctx.profile.target_of(n) != n]
                if not limits:
                    continue
                limit = max(limits, key=_days)
                msg = (
                    f"partition {use.value} implied a {limit} time limit on TWCC; after the rename "
                    f"the job gets {ctx.profile.nodeset}'s default limit: add "
                    f"`#SBATCH --time={limit}`"
                )
                cap = _target_cap(ctx, use.value)
                if cap is not None and (seconds(cap) or 0) < (seconds(limit) or 0):
                    msg = (
                        f"partition {use.value} implied a {limit} time limit on TWCC, but the target allows at most "
                        f"{cap} (its MaxTime): add `#SBATCH --time={cap}` (a longer one pends for ever) and "
                        "checkpoint the job if it needs more"
                    )
                    limit = cap
                edits = []
                if ctx.profile.add_time and use.kind in ("SBATCH", "SLURM"):
                    line_end = source.line_span(use.line)[1]
                    nl = source.newline.decode()
                    at_eof = line_end >= len(source.parse_bytes)
                    text = (nl if at_eof else "") + f"#SBATCH --time={limit}" + ("" if at_eof else nl)
                    pos = line_end if at_eof else line_end + 1
                    edits.append(Edit(pos, pos, text))
                yield self.finding(use.start, use.end, msg, edits=edits)
                break
