r"""## What it does
Reports `#SBATCH` lines that sbatch itself rejects: an unmatched quote (`-J "x`), a
word that is not an option (`#SBATCH --nodes=1 ; echo hi`), an option missing its
argument, an argument given to a flag, a word starting with `:`.  The rules are those of
the target's release (`src/sbatch/opt.c`): arguments split on blanks, quotes group and
are removed, a backslash makes the next character literal (since 24.05 `\ ` is a space
inside the word; before, `#SBATCH -J a\ b` ended the word and `b` was rejected), an
unquoted `#` ends the line.

## Why is this bad?
sbatch refuses the whole script: `Invalid directive found in batch script: ;`.

## Example
```bash
#SBATCH --nodes=1 ; echo hi
```
Use instead: `#SBATCH --nodes=1`.

## Fix safety
No fix: what was meant is not clear.
"""

from __future__ import annotations

from collections.abc import Iterator

from ..model.context import Context
from ._problems import problem_findings
from .rule import Finding, Rule, Severity


class DirectiveSyntax(Rule):
    code = "SM001"
    name = "directive-syntax"
    severity = Severity.ERROR
    summary = "#SBATCH line that sbatch rejects"

    def check(self, ctx: Context) -> Iterator[Finding]:
        return problem_findings(self, ctx, ("syntax", "non-option"))
