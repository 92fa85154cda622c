"""Flagging environment variables the profile lists (`[[variables.flag]]`)."""

from __future__ import annotations

from collections.abc import Iterator

from ..fix.edits import replace_value
from ..model.launch import LAUNCH_ENV_KEYWORDS, export_items, launch_env
from ..profile import VariableRule as VariableSpec
from ..read.shell import Assignment
from .rule import Context, Finding, Rule


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


def flagged(ctx: Context) -> list[tuple[Assignment, VariableSpec]]:
    """Each assignment of a variable the profile flags, with the first entry that matches
    it (matched once per script for all the variable rules)."""
    found: list[tuple[Assignment, VariableSpec]] = ctx.cached("flagged-variables", lambda: list(_flagged(ctx)))
    return found


def _flagged(ctx: Context) -> Iterator[tuple[Assignment, VariableSpec]]:
    every = ctx.profile.variables
    for a in assignments(ctx):
        first = next((v for v in every if v.matches(a.name)), None)
        if first is not None:
            yield a, first


class VariableRule(Rule):
    """Base of the rules whose variables come from the profile."""

    def check(self, ctx: Context) -> Iterator[Finding]:
        for a, first in flagged(ctx):
            if first.code != self.code:
                continue
            value = a.value.text if a.value is not None else ""
            if a.keyword in LAUNCH_ENV_KEYWORDS:
                verb = f"`{a.keyword}` passes"
            else:
                verb = "exports" if a.exported else "sets"
            message = f"{verb} {a.name}={value}: {first.why}"
            new = dict(first.rewrite).get(a.name)
            edit = None
            if new is not None and a.value is not None and a.value.is_literal and a.value.value != new:
                edit = replace_value(a.value.text, a.value.start, new)
            if edit is not None:
                yield self.finding(a.start, a.end, f"{message}; the profile sets it to {new}", edits=[edit])
            else:
                yield self.finding(a.start, a.end, message)
