"""## What it does
Reports a `--qos`/`-q` the target's accounting database does not have (`[target]
accounting`, `qos` and `accounting_enforce`, written by `profile init` from the new
cluster's snapshot).  Where the target runs slurmdbd but the snapshot could not list its
QOS, it warns that the QOS should be checked.  Silent when the target runs no accounting
(slurmctld then ignores `--qos`: checked with the local lab) or when the profile knows
nothing of it.

## Why is this bad?
TWCC scripts may name a QOS of the old cluster.  Where the new cluster enforces QOS
(`AccountingStorageEnforce=qos`) sbatch refuses the job (`Invalid qos specification`);
where it does not, the QOS is ignored and the job runs with the default one, its limits
and priority.

## Example
```bash
#SBATCH --qos=long
```
Use a QOS of the new cluster (`sacctmgr show qos`), or drop the option.

## Fix safety
No fix.
"""

from __future__ import annotations

from .rule import Severity
from .unknown_account import AccountingRule


class UnknownQos(AccountingRule):
    code = "SM511"
    name = "unknown-qos"
    severity = Severity.ERROR
    summary = "--qos the target's accounting database does not have"
    option = "qos"
