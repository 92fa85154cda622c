"""Every variable a script sets for its job: assignments, exports, `VAR=1 cmd` prefixes,
and what launchers and directives pass on; read once per script by the variable rules and
by the inventory's fabric list."""

from __future__ import annotations

from collections.abc import Iterator

from ..read.shell import Assignment
from .context import Context
from .launch import export_items, launch_env


def assignments(ctx: Context) -> list[Assignment]:
    """Every assignment, export and `VAR=1 cmd` prefix in every unit, and what launchers
    pass to what they run (`mpirun -x VAR=1`, `mpirun --mca btl ^openib`,
    `srun --export=ALL,VAR=1`, `env VAR=1 cmd`, `#SBATCH --export=ALL,VAR=1`); found once
    per script for every rule that reads them."""
    found: list[Assignment] = ctx.cached("assignments", lambda: list(_assignments(ctx)))
    return found


def _assignments(ctx: Context) -> Iterator[Assignment]:
    if ctx.facts.python is not None:
        yield from ctx.facts.python.assignments
    data = ctx.source.parse_bytes
    for unit in ctx.units():
        for opt in unit.directives.options:
            if opt.kind == "SBATCH" and opt.name == "export" and opt.in_block and opt.value:
                assert opt.value_start is not None and opt.value_end is not None
                plain = data[opt.value_start : opt.value_end] == opt.value.encode()
                yield from export_items(opt.value, opt.value_start, opt.value_end, plain, "#SBATCH --export", None)
        if unit.shell is None:
            continue
        yield from unit.shell.assignments
        for cmd in unit.shell.commands:
            yield from cmd.env
            yield from launch_env(cmd)
