"""## What it does
Removes `module load singularity` (also `module add`, `ml singularity`,
`module load singularity/3.7.1`, `apptainer`, and `module unload` of them) wherever it
stands: top level, functions, conditionals, `&&` lists.  From a command that loads other
modules too, only the singularity word is removed (the rest is reported by
`module-load-other`).

## Why is this bad?
NodeSet pods have no Environment Modules: `module` fails with
`module: command not found` (exit 127), and a job under `set -e` dies there.  Apptainer
is preinstalled in the slurmd image and provides the `singularity` command.

## Example
```bash
module load singularity && srun singularity run --nv $SIF
```
Use instead:
```bash
srun singularity run --nv $SIF
```

## Fix safety
Safe.  A removed line goes with its newline; `A && B` keeps the other side; an emptied
if/loop/function body gets `:`; a blank-line run created by the removal collapses to
one.  A command inside a pipeline, a condition or `$(...)` is reported, not removed.
"""

from __future__ import annotations

from collections.abc import Iterator

from ..fix.edits import Edit
from ..model.context import Context
from ..model.modules import module_commands, removable
from .rule import Finding, Rule, Severity


class ModuleSingularity(Rule):
    code = "SM201"
    name = "module-singularity"
    severity = Severity.ERROR
    summary = "`module load singularity`: no module system in the pod, Apptainer is preinstalled"
    fix = "always"

    def check(self, ctx: Context) -> Iterator[Finding]:
        remove = ctx.profile.remove_modules
        for mc in module_commands(ctx):
            if mc.action not in ("load", "unload"):
                continue
            gone, kept = removable(mc, remove)
            if not gone:
                continue
            cmd = mc.command
            words = " ".join(a.value for a in gone)
            text = ctx.source.span_text(cmd.start, cmd.end)
            why = (
                "there are no Environment Modules in the pod; Apptainer is preinstalled in the slurmd "
                "image and provides `singularity`"
            )
            if not kept:
                yield self.finding(cmd.start, cmd.end, f"`{text}`: {why}; remove it", removals=[cmd.node])
                continue
            # remove only the singularity words, keep the command for the others
            edits = []
            for arg in gone:
                w = arg.word
                prev = _previous_end(cmd, w.start)
                edits.append(Edit(prev, w.end, ""))
            yield self.finding(cmd.start, cmd.end, f"`{text}`: {why}; remove {words} from it", edits=edits)


def _previous_end(cmd, start: int) -> int:  # type: ignore[no-untyped-def]
    prev = cmd.start
    for w in cmd.words:
        if w.end <= start:
            prev = max(prev, w.end)
    return prev
