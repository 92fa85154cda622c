"""Flagging environment variables the profile lists (`[[variables.flag]]`)."""

from __future__ import annotations

from collections.abc import Iterator

from ..fix.edits import replace_value
from ..model.context import Context
from ..model.launch import LAUNCH_ENV_KEYWORDS
from ..model.variables import assignments
from ..profile import VariableRule as VariableSpec
from ..read.shell import Assignment
from .rule import Finding, Rule


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
