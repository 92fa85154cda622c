"""## What it does
Reports lines that start the module system: `source /etc/profile.d/modules.sh`,
`. /usr/share/lmod/lmod/init/bash`, `eval $(modulecmd bash ...)`, or a hand-written
`module() { ... }` function.  The list of paths is in the profile (`[modules] init`).
`source /etc/profile` is not reported: every image has that file (it just no longer sets
up `module`, and the `module` commands after it are reported by their own rules).

## Why is this bad?
Those files do not exist in the NodeSet pod (`No such file or directory`), and what they
set up is gone.

## Example
```bash
source /etc/profile.d/modules.sh
```
Delete the line once the module loads are gone.

## Fix safety
No fix: such a file may set up other things the job needs; a person decides.
"""

from __future__ import annotations

from collections.abc import Iterator

from ..model.context import Context
from ..model.modules import starts_module_system
from .rule import Finding, Rule, Severity


class ModuleInit(Rule):
    code = "SM205"
    name = "module-init"
    severity = Severity.WARNING
    summary = "module system initialisation: the file does not exist in the pod"

    def check(self, ctx: Context) -> Iterator[Finding]:
        patterns = ctx.profile.module_init
        for unit in ctx.units():
            if unit.shell is None:
                continue
            for cmd in unit.shell.commands:
                name = cmd.name.value if cmd.name is not None else None
                if name not in ("source", ".", "eval") or not cmd.argv:
                    continue
                text = ctx.source.span_text(cmd.start, cmd.end)
                hit = False
                if name in ("source", ".") and len(cmd.argv) > 1:
                    hit = starts_module_system(cmd.argv[1].value, patterns)
                elif name == "eval":
                    hit = "modulecmd" in text or "lmod" in text.lower()
                if hit:
                    yield self.finding(
                        cmd.start,
                        cmd.end,
                        f"`{text}` starts the module system, which the pod does not have "
                        "(the file is missing there): delete it",
                    )
            for node in unit.shell.functions:
                fname = node.child_by_field_name("name")
                if fname is not None and fname.text in (b"module", b"ml"):
                    yield self.finding(
                        node.start_byte,
                        fname.end_byte,
                        "a hand-written `module` function calls the module system, which the "
                        "pod does not have: delete it",
                    )
