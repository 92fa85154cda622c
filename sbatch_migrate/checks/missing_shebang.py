"""## What it does
Reports a job script (it has `#SBATCH` lines) whose first line is not `#!interpreter`.

## Why is this bad?
sbatch refuses it: `This does not look like a batch script.  The first line must start
with #! followed by the path to an interpreter.`

## Example
```bash
#SBATCH -p gtest
srun hostname
```
Use instead: start with `#!/bin/bash`.

A file saved "with BOM" by a Windows editor starts with the bytes `EF BB BF`, invisible
in most editors, before its `#!`: sbatch refuses it just the same.

## Fix safety
No fix for a missing `#!`: which interpreter is meant is the user's choice.  A
byte-order mark before `#!` is removed (safe: nothing reads it; bash would take it as
part of a command name).
"""

from __future__ import annotations

from collections.abc import Iterator

from ..fix.edits import Edit
from ..model.context import Context
from ..read.directives import BOM
from .rule import Finding, Rule, Severity


class MissingShebang(Rule):
    code = "SM006"
    name = "missing-shebang"
    severity = Severity.ERROR
    summary = "job script without a #! first line: sbatch refuses it"
    fix = "sometimes"

    def check(self, ctx: Context) -> Iterator[Finding]:
        data = ctx.source.parse_bytes
        for unit in ctx.units():
            if not any(line.kind in ("SBATCH", "SLURM") for line in unit.directives.lines):
                continue
            body = data[unit.start : unit.end]
            if unit.heredoc is not None and unit.heredoc.strip_tabs:
                body = body.lstrip(b"\t")
            if body.startswith(b"#!"):
                continue
            line_end = data.find(b"\n", unit.start, unit.end)
            end = line_end if line_end != -1 else unit.end
            if unit.start == 0 and body.startswith(BOM + b"#!"):
                yield self.finding(
                    0,
                    end,
                    "the file starts with a UTF-8 byte-order mark (bytes EF BB BF, invisible in most editors) "
                    "before `#!`: sbatch refuses it (`This does not look like a batch script`); remove the mark",
                    edits=[Edit(0, len(BOM), "")],
                )
                continue
            yield self.finding(
                unit.start,
                end,
                "the first line of a job script must be `#!` and an interpreter "
                "(e.g. #!/bin/bash); sbatch refuses this one",
            )
