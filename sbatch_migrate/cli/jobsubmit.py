"""``job-submit-lua``: the transitional job_submit.lua for the new cluster."""

from __future__ import annotations

import sys

import click

from .common import fail


@click.command("job-submit-lua")
@click.option("--profile", metavar="NAME|PATH", help="Rule profile (default: twcc-to-slinky).")
@click.option("--partition-map", multiple=True, metavar="OLD=NEW", help="Map a partition (repeatable).")
@click.option("--reject-unmigrated", is_flag=True, help="Refuse jobs that still name an old partition.")
@click.option("-o", "--output", type=click.Path(dir_okay=False), help="Write it here [stdout].")
def job_submit_lua_cmd(
    profile: str | None, partition_map: tuple[str, ...], reject_unmigrated: bool, output: str | None
) -> None:
    """A job_submit.lua that keeps the old partition names working during the transition
    (renamed as the profile maps them, the old implicit time limit set when a job gives no
    --time) and tells each user what to change."""
    from ..profile import ProfileError, load, parse_partition_map
    from ..site.jobsubmit import render

    try:
        prof = load(profile)
        extra = parse_partition_map(partition_map)
        if extra:
            prof = prof.with_partition_map(extra)
    except ProfileError as exc:
        fail(str(exc))
        sys.exit(2)
    text = render(prof, reject_unmigrated)
    if output:
        from ..bulk.writer import atomic_write

        atomic_write(output, text.encode("utf-8"))
    else:
        click.echo(text, nl=False)
