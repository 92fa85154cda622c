"""``inventory``: what the new cluster must provide for the job scripts of a site."""

from __future__ import annotations

import contextlib
import os
import sys

import click

from ..bulk.writer import atomic_write
from .bulk import cache_folder, check_roots, open_session, run_bulk, tree_settings
from .common import fail, parse_size


@click.command("inventory")
@click.argument("roots", nargs=-1, required=True, type=click.Path())
@click.option("--format", "fmt", type=click.Choice(["markdown", "json"]), default="markdown", show_default=True)
@click.option("--helm-values", type=click.Path(dir_okay=False), help="Also write a Helm values fragment here.")
@click.option(
    "--chart-version",
    type=click.Choice(["0.4", "1.3"]),
    default="0.4",
    show_default=True,
    help="The Slinky slurm chart the Helm values are for: 0.4 (commit 42e10f7) or 1.3 (nodesetDefaults).",
)
@click.option(
    "--with-job-submit-lua",
    is_flag=True,
    help="Ship the transitional job_submit.lua to the controller in the Helm values (see job-submit-lua).",
)
@click.option("--profile", metavar="NAME|PATH", help="Rule profile (default: twcc-to-slinky).")
@click.option("--partition-map", multiple=True, metavar="OLD=NEW", help="Map a partition (repeatable).")
@click.option("-j", "--jobs", type=click.IntRange(1), default=os.cpu_count() or 1, show_default="all cores")
@click.option("--max-size", default="1MiB", show_default=True, help="Skip larger files.")
@click.option("--cache/--no-cache", default=True, show_default=True)
@click.option(
    "--cache-dir",
    type=click.Path(file_okay=False),
    help="[$XDG_CACHE_HOME/sbatch-migrate, else ~/.cache/sbatch-migrate]",
)
def inventory_cmd(
    roots: tuple[str, ...],
    fmt: str,
    helm_values: str | None,
    chart_version: str,
    with_job_submit_lua: bool,
    profile: str | None,
    partition_map: tuple[str, ...],
    jobs: int,
    max_size: str,
    cache: bool,
    cache_dir: str | None,
) -> None:
    """What the new cluster must provide for the job scripts under ROOTS (and Helm values)."""
    from ..bulk import campaign as bulk
    from ..site.helm import values
    from ..site.inventory import Inventory, to_json, to_markdown

    absolute = check_roots(roots)
    settings = tree_settings(profile, partition_map, (), ())
    opts = bulk.Options(
        roots=absolute,
        profile=settings.profile,
        rules=settings.rules_for("-"),
        jobs=jobs,
        max_size=parse_size(max_size),
        inventory=True,
        cache_dir=cache_folder(cache, cache_dir),
    )
    inv = Inventory(settings.profile)
    with contextlib.ExitStack() as stack:
        result = run_bulk(opts, open_session(stack, opts), on_record=inv.add)
    summary = inv.summary()
    click.echo(to_json(summary) if fmt == "json" else to_markdown(summary), nl=False)
    if helm_values:
        try:
            lua = None
            if with_job_submit_lua:
                from ..site.jobsubmit import render as render_lua

                lua = render_lua(settings.profile)
            atomic_write(helm_values, values(summary, settings.profile, lua, chart_version).encode())
        except OSError as exc:
            fail(f"{helm_values}: cannot write: {exc.strerror or exc}")
            sys.exit(2)
    unreadable = sum(n for k, n in result.counts.items() if k.startswith("unreadable"))
    click.echo(
        f"{summary['scripts']} job scripts of {summary['users']} users"
        + (f"; {unreadable} unreadable paths" if unreadable else "")
        + (f"; Helm values in {helm_values}" if helm_values else ""),
        err=True,
    )
