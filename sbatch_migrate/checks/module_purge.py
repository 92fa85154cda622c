"""## What it does
Removes `module purge` / `ml purge`.

## Why is this bad?
There is no module system in the NodeSet pod, so there is nothing to purge, and the
command itself fails with `module: command not found` (exit 127; fatal under `set -e`).

## Example
```bash
module purge
module load singularity
```
Both lines go (see `module-singularity`).

## Fix safety
Safe, with the same removal rules as `module-singularity`.  Disable it in the profile
(`[modules] remove_purge = false`) to only report it.
"""

from __future__ import annotations

from collections.abc import Iterator

from ..model.context import Context
from ..model.modules import module_commands
from .rule import Finding, Rule, Severity


class ModulePurge(Rule):
    code = "SM202"
    name = "module-purge"
    severity = Severity.WARNING
    summary = "`module purge` fails in the pod (no module system)"
    fix = "always"

    def check(self, ctx: Context) -> Iterator[Finding]:
        for mc in module_commands(ctx):
            if mc.action != "purge":
                continue
            cmd = mc.command
            text = ctx.source.span_text(cmd.start, cmd.end)
            msg = f"`{text}`: there are no Environment Modules in the pod, nothing to purge"
            if ctx.profile.remove_purge:
                yield self.finding(cmd.start, cmd.end, f"{msg}; remove it", removals=[cmd.node])
            else:
                yield self.finding(cmd.start, cmd.end, f"{msg}; remove it")
