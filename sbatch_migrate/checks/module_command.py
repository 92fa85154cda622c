"""## What it does
Reports other `module` / `ml` commands: `module list`, `module avail`, `module use DIR`,
`module unload cuda`, `ml` with no argument.

## Why is this bad?
Each fails in the pod with `module: command not found` (exit 127).  Harmless unless the
script runs under `set -e` or checks the status, but noisy, and `module use` points at
a module tree that does not exist there.

## Example
```bash
module list
```
Delete the line.

## Fix safety
No fix: the tool removes only what it knows to be safe.
"""

from __future__ import annotations

from collections.abc import Iterator

from ..model.context import Context
from ..model.modules import module_commands, removable
from .rule import Finding, Rule, Severity


class ModuleCommandRule(Rule):
    code = "SM204"
    name = "module-command"
    severity = Severity.WARNING
    summary = "other `module` command: fails with `command not found` in the pod"

    def check(self, ctx: Context) -> Iterator[Finding]:
        for mc in module_commands(ctx):
            if mc.action in ("load", "swap", "purge"):
                continue
            if mc.action == "unload":
                _, kept = removable(mc, ctx.profile.remove_modules)
                if not kept:
                    continue
            cmd = mc.command
            text = ctx.source.span_text(cmd.start, cmd.end)
            name = (cmd.name_value or "module").rsplit("/", 1)[-1]
            yield self.finding(
                cmd.start,
                cmd.end,
                f"`{text}` fails in the pod (`{name}: command not found`, exit 127; fatal under `set -e`): delete it",
            )
