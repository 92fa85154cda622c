"""``sbatch-migrate FILE...``: migrate job scripts one at a time (script, diff, report).

The options as click reads them; what the command does is :func:`.migrate_files.run`.
"""

from __future__ import annotations

from typing import Any

import click

from .common import rule_options
from .migrate_files import Request, UsageFault, run


@click.command("migrate")
@click.argument("files", nargs=-1, type=click.Path(dir_okay=True, allow_dash=True))
@click.option("--diff", "show_diff", is_flag=True, help="Print a unified diff instead of the script.")
@click.option("-i", "--in-place", is_flag=True, help="Rewrite the files (atomically).")
@click.option("-o", "--output", type=click.Path(dir_okay=False, writable=True), help="Write the script here.")
@click.option("--check", is_flag=True, help="Write nothing; exit 1 if a file would change or errors remain.")
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["text", "json", "sarif", "github", "gitlab"]),
    default="text",
    show_default=True,
    help="Report format; json, sarif, github and gitlab (Code Quality) go to stdout.",
)
@rule_options
@click.option("--config", "config_path", type=click.Path(dir_okay=False), help="Use this configuration file.")
@click.option("--isolated", is_flag=True, help="Ignore configuration files.")
@click.option("--job-scripts-only", is_flag=True, help="Skip files that are not job scripts (by content).")
@click.option("--max-size", default="1MiB", show_default=True, help="Refuse larger files (as bulk skips them).")
@click.option("--exit-zero", is_flag=True, help="Exit 0 even when errors remain or --check finds work.")
@click.option("--exit-non-zero-on-fix", is_flag=True, help="With -i: exit 1 when a file was changed.")
@click.option("--validate", is_flag=True, help="Ask the cluster: run `sbatch --test-only` on the migrated script.")
@click.option(
    "--stdin-filename",
    metavar="NAME",
    help="The name of the file read from stdin (-): for the report, the configuration beside it, "
    "per-file-ignores and whether it is Python (as editors and pre-commit pass it).",
)
@click.option("--statistics", is_flag=True, help="Count the findings per rule instead of listing them.")
@click.option(
    "--unsafe-fixes/--no-unsafe-fixes",
    default=None,
    help="Also apply the fixes that may change what a job asks for (rules whose fix is unsafe: "
    "docs/rules.md) [configuration's unsafe-fixes, else no].",
)
@click.option("--show-fixes", is_flag=True, help="List the fixes applied (or, with --check/--diff, available).")
@click.option(
    "--fail-on",
    type=click.Choice(["error", "warning", "info"]),
    default="error",
    show_default=True,
    help="Exit 1 when a finding of this severity or worse is left unfixed.",
)
@click.option("-q", "--quiet", is_flag=True, help="No text report.")
def migrate_cmd(**params: Any) -> None:
    """Migrate job scripts (FILE may be - for stdin)."""
    try:
        run(Request(**params))
    except UsageFault as exc:
        if exc.bad_value:
            raise click.BadParameter(str(exc)) from None
        raise click.UsageError(str(exc)) from None
