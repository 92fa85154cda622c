"""## What it does
Reports directive values holding `$VAR`, `${VAR}` or `$(...)`.

## Why is this bad?
sbatch does not expand them: `#SBATCH --account=$PROJECT` sends the literal text
`$PROJECT` to Slurm.  The exception is a job script written by a driver script through
an unquoted heredoc (`cat <<EOF > job.sh`): there bash expands the value before sbatch
reads the file, so it is not reported.

## Example
```bash
#SBATCH --output=/work/$USER/%j.out
```
Use instead: `#SBATCH --output=/work/u1234567/%j.out`, or Slurm's own patterns
(`%u` for the user, `%j` for the job id).

## Fix safety
No fix.
"""

from __future__ import annotations

from collections.abc import Iterator

from ..model.context import Context
from .rule import Finding, Rule, Severity


class DirectiveVariable(Rule):
    code = "SM004"
    name = "directive-variable"
    severity = Severity.WARNING
    summary = "shell variable in a directive: sbatch does not expand it"

    def check(self, ctx: Context) -> Iterator[Finding]:
        for unit in ctx.units():
            if unit.expands:
                continue
            for use in unit.directives.options:
                if not use.in_block or use.value is None:
                    continue
                if "$" in use.value or "`" in use.value:
                    yield self.finding(
                        use.start,
                        use.end,
                        f"{use.written} {use.value}: sbatch does not expand shell variables in "
                        "directives; Slurm gets this text literally",
                    )
