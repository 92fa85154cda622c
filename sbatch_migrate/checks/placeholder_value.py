"""## What it does
Reports template placeholders left in option values: `<PATH/TO/DIR>`, `<your email>`,
`{{ .Values.image }}`, `XXX` and `MST108XXX`, `PROJECT_ID`, `YOUR_ACCOUNT`, in `#SBATCH`
lines.  Counts that hold one are refused by sbatch and reported by `invalid-value`; this
rule is for the values sbatch takes as they are.

## Why is this bad?
sbatch accepts `--account=PROJECT_ID` or `--output=<PATH>/out.log` as written: the job is
charged to a project that does not exist (rejected where accounting runs), writes its log
to a file literally named `<PATH>`, or mails `<your email>`.  Such lines come from
templates (the background document's own example says `--account="PROJECT_ID"`).

## Example
```bash
#SBATCH --account="PROJECT_ID"
```
Use instead: `#SBATCH --account=MST112345` (your project id).

## Fix safety
No fix: only the user knows the value.
"""

from __future__ import annotations

from collections.abc import Iterator

from ..model.context import Context
from ..read.optvalues import placeholder, problem
from .rule import Finding, Rule, Severity


class PlaceholderValue(Rule):
    code = "SM011"
    name = "placeholder-value"
    severity = Severity.WARNING
    summary = "template placeholder left in a directive's value"

    def check(self, ctx: Context) -> Iterator[Finding]:
        for unit in ctx.units():
            for use in unit.directives.options:
                if use.kind not in ("SBATCH", "SLURM") or not use.in_block:
                    continue
                held = placeholder(use.value)
                if held is None or problem(use.name, use.value, ctx.profile.gres_types) is not None:
                    continue
                if unit.template and held.startswith("{"):
                    continue  # a Python template's field, filled in before submission
                yield self.finding(
                    use.start,
                    use.end,
                    f"`{ctx.source.span_text(use.start, use.end)}` still holds the template placeholder "
                    f"`{held}`: sbatch takes it as written; fill in the real value",
                )
