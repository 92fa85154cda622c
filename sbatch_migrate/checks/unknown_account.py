"""## What it does
Reports an `--account`/`-A` the target's accounting database does not have (`[target]
accounting`, `accounts` and `accounting_enforce`, written by `profile init` from the new
cluster's snapshot).  Where the target runs slurmdbd but the snapshot could not list its
accounts, it warns that the account should be checked.  Silent when the target runs no
accounting (slurmctld then accepts any account: checked with the local lab) or when the
profile knows nothing of it.

## Why is this bad?
TWCC scripts name a TWCC project (`--account=MST108XXX`).  Where the new cluster enforces
associations (`AccountingStorageEnforce=associations`, or `limits`/`qos`/`safe`) sbatch
refuses the job (`Invalid account or account/partition combination specified`); where it
does not, the job is charged to the user's default account instead.

## Example
```bash
#SBATCH --account=MST108XXX
```
Use the project's account on the new cluster, or have the administrators create it
(`sacctmgr add account ...`).

## Fix safety
No fix.
"""

from __future__ import annotations

from collections.abc import Iterator

from ..model.accounting import judge
from ..model.context import Context
from ..model.target import literal_uses
from .rule import Finding, Rule, Severity


class AccountingRule(Rule):
    """A name the target's accounting database must know (``option``: account, qos)."""

    option = "account"

    def check(self, ctx: Context) -> Iterator[Finding]:
        if not ctx.profile.accounting:
            return
        for unit in ctx.units():
            for use in literal_uses(unit.directives, (self.option,)):
                verdict = judge(ctx.profile, self.option, (use.value or "").strip("\"'"))
                if verdict is not None:
                    yield self.finding(
                        use.start,
                        use.end,
                        f"`{use.written} {use.value}`: {verdict.said}",
                        severity=None if verdict.refused else Severity.WARNING,
                    )


class UnknownAccount(AccountingRule):
    code = "SM512"
    name = "unknown-account"
    severity = Severity.ERROR
    summary = "--account the target's accounting database does not have"
    option = "account"
