"""``rules`` and ``explain``: the rules and their documentation."""

from __future__ import annotations

import sys

import click

from ..checks import RULES, lookup
from .common import complete_codes, fail


@click.command("rules")
def rules_cmd() -> None:
    """List the rules: code, name, severity, fix, summary."""
    for r in RULES:
        click.echo(f"{r.code}  {r.name:<28} {r.severity.value:<8} fix:{r.fix:<10} {r.summary}")


@click.command("explain")
@click.argument("code", shell_complete=complete_codes)
def explain_cmd(code: str) -> None:
    """Show a rule's documentation (by code or name)."""
    rule = lookup(code)
    if rule is None:
        fail(f"no rule {code!r} (see `sbatch-migrate rules`)")
        sys.exit(2)
    click.echo(f"{rule.code} {rule.name} ({rule.severity.value}; fix: {rule.fix})\n")
    click.echo(rule.doc())
