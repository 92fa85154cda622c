"""## What it does
Reports that the tool withheld its fixes for a script because the migrated text would
not parse as bash where the original did (a safety check in the spirit of black's
"safe" mode: every output is parsed again before it is written).  Where the tool's parser
could not read part of a script that bash accepts (SM908), the parse tree cannot vouch
for the edits, so bash itself (`bash -n`) reads the migrated text: if bash would reject
it, only the fixes on `#SBATCH` lines (comments to bash) are applied.

## Why is this bad?
It means the tool met a construct it does not handle correctly; the file is left
exactly as it was, and the other findings still say what to change by hand.

## Example
Please report the script (or a reduced copy) as a bug.

## Fix safety
Nothing is changed.
"""

from __future__ import annotations

from collections.abc import Iterator

from ..model.context import Context
from .rule import Finding, Rule, Severity


class FixWithheld(Rule):
    code = "SM904"
    name = "fix-withheld"
    severity = Severity.ERROR
    summary = "fixes withheld: the migrated text would not parse (safety check)"

    def check(self, ctx: Context) -> Iterator[Finding]:
        return iter(())  # raised by the engine after it re-parses the output
