"""## What it does
Reports a suppression comment (`# sbatch-migrate: disable=...`, `disable-file=...`) that
names no rule (`SM999`, a misspelt code), or that suppressed no finding: the finding it was
written for is gone (the script was fixed, or the rule changed).  Like ruff's `RUF100`,
only codes of rules that ran count as unused, so that `--select` does not make every other
suppression look stale.

## Why is this bad?
A suppression that names no rule suppresses nothing, although it looks as if it did; a
stale one will hide a new finding on that line later.

## Example
```bash
export UCX_TLS=rc  # sbatch-migrate: disable=SM310
```
`SM310` names no rule (the UCX rule is `SM301`).

## Fix safety
No fix: remove or correct the comment.
"""

from __future__ import annotations

from collections.abc import Iterator

from ..model.context import Context
from .rule import Finding, Rule, Severity


class UnusedSuppression(Rule):
    code = "SM910"
    name = "unused-suppression"
    severity = Severity.WARNING
    summary = "suppression comment naming no rule, or suppressing nothing"

    def check(self, ctx: Context) -> Iterator[Finding]:
        return iter(())  # decided by the engine once every other rule has run: see unused()

    def unused(self, ctx: Context, known: set[str], ran: set[str]) -> Iterator[Finding]:
        for s in ctx.facts.suppressions:
            if s.used:
                continue
            matches = {c for c in known if s.token == "ALL" or c.startswith(s.token)}
            if not matches:
                yield self.finding(s.start, s.end, f"`{s.token}` names no rule: this suppresses nothing")
            elif matches & ran and s.token != self.code:
                yield self.finding(s.start, s.end, f"`{s.token}` suppressed no finding here: remove the comment")
