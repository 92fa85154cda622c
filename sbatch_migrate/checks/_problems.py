"""Reporting what the directive scanner found wrong, per problem kind."""

from __future__ import annotations

from collections.abc import Iterator

from ..model.context import Context
from .rule import Finding, Rule


def problem_findings(rule: Rule, ctx: Context, kinds: tuple[str, ...]) -> Iterator[Finding]:
    for unit in ctx.units():
        for p in unit.directives.problems:
            if p.code in kinds:
                where = " (in the job script written by this heredoc)" if unit.embedded else ""
                yield rule.finding(p.start, p.end, p.message + where)
