"""Flagging environment variables the profile lists (`[[variables.flag]]`)."""

from __future__ import annotations

from collections.abc import Iterator

from ..rule import Context, Finding, Rule
from ..shell import Assignment


def assignments(ctx: Context) -> Iterator[Assignment]:
    """Every assignment, export and `VAR=1 cmd` prefix in every unit."""
    for unit in ctx.units():
        if unit.shell is None:
            continue
        yield from unit.shell.assignments
        for cmd in unit.shell.commands:
            yield from cmd.env


class VariableRule(Rule):
    """Base of the rules whose variables come from the profile."""

    def check(self, ctx: Context) -> Iterator[Finding]:
        wanted = [v for v in ctx.profile.variables if v.code == self.code]
        if not wanted:
            return
        every = ctx.profile.variables
        for a in assignments(ctx):
            first = next((v for v in every if v.matches(a.name)), None)
            if first is None or first.code != self.code:
                continue
            value = a.value.text if a.value is not None else ""
            verb = "exports" if a.exported else "sets"
            yield self.finding(a.start, a.end, f"{verb} {a.name}={value}: {first.why}")
