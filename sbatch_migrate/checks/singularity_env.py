"""## What it does
Renames `SINGULARITY_*` variables to `APPTAINER_*` and `SINGULARITYENV_*` to
`APPTAINERENV_*` where the script sets or exports them (`SINGULARITY_BINDPATH`,
`SINGULARITY_CACHEDIR`, `SINGULARITYENV_LD_LIBRARY_PATH` ...).

## Why is this bad?
The pod runs Apptainer.  It still reads the old names but warns on every run, and when
both names are set the `APPTAINER_` one wins, so a stale `SINGULARITY_` setting can be
silently ignored.

## Example
```bash
export SINGULARITY_BINDPATH=/work/u1234567
```
Use instead:
```bash
export APPTAINER_BINDPATH=/work/u1234567
```

## Fix safety
Fixed when the profile sets `[apptainer] rename_env = true` and the script does not
read the variable itself (`$SINGULARITY_BINDPATH`); otherwise reported only, since
renaming one place would break the other.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from ..fix.edits import Edit
from ..model.context import Context
from ..model.variables import assignments
from .rule import Finding, Rule, Severity


def new_name(name: str) -> str | None:
    if name.startswith("SINGULARITYENV_"):
        return "APPTAINERENV_" + name[len("SINGULARITYENV_") :]
    if name.startswith("SINGULARITY_"):
        return "APPTAINER_" + name[len("SINGULARITY_") :]
    return None


class SingularityEnv(Rule):
    code = "SM401"
    name = "singularity-env"
    severity = Severity.WARNING
    summary = "SINGULARITY_* variable: Apptainer's name is APPTAINER_*"
    fix = "sometimes"

    def check(self, ctx: Context) -> Iterator[Finding]:
        data = ctx.source.parse_bytes
        for a in assignments(ctx):
            new = new_name(a.name)
            if new is None:
                continue
            msg = f"{a.name} is read by Apptainer as {new} (the old name is deprecated)"
            referenced = re.search(rb"\$\{?" + re.escape(a.name.encode()) + rb"\b", data)
            name_end = a.start + len(a.name.encode())
            if not ctx.profile.rename_singularity_env or data[a.start : name_end] != a.name.encode():
                # not renamed where the name is not written plainly there (quoted, or a launcher option)
                yield self.finding(a.start, a.end, f"{msg}: rename it")
            elif referenced:
                line = ctx.source.position(referenced.start()).line
                yield self.finding(a.start, a.end, f"{msg}: rename it and its use on line {line} together")
            else:
                yield self.finding(a.start, a.end, f"{msg}: rename it", edits=[Edit(a.start, name_end, new)])
