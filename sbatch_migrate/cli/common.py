"""What every command shares: error lines, rule options, code completion, sizes."""

from __future__ import annotations

from typing import Any

import click

from ..output.terminal import fail
from .migrate_files import size_of

__all__ = ["complete_codes", "fail", "parse_size", "rule_options"]


def rule_options(command: Any) -> Any:
    """--profile, --partition-map, --select, --ignore: the same on every command."""
    for option in reversed(
        (
            click.option("--profile", metavar="NAME|PATH", help="Rule profile (default: twcc-to-slinky)."),
            click.option("--partition-map", multiple=True, metavar="OLD=NEW", help="Map a partition (repeatable)."),
            click.option("--select", multiple=True, metavar="CODES", help="Only these rule codes or prefixes."),
            click.option("--ignore", multiple=True, metavar="CODES", help="Skip these rule codes or prefixes."),
        )
    ):
        command = option(command)
    return command


def complete_codes(ctx: click.Context, param: click.Parameter, incomplete: str) -> list[Any]:
    from click.shell_completion import CompletionItem

    from ..checks import RULES

    return [CompletionItem(r.code, help=r.summary) for r in RULES if r.code.startswith(incomplete.upper())]


def parse_size(value: str) -> int:
    size = size_of(value)
    if size is None:
        raise click.BadParameter(f"{value!r}: expected a size such as 1MiB or 512K")
    return size
