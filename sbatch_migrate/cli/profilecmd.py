"""``profile init``: a profile from two cluster snapshots."""

from __future__ import annotations

import json
import sys
from typing import Any

import click

from .common import fail


@click.group("profile")
def profile_cmd() -> None:
    """Profiles made from the clusters themselves."""


def _snapshot(path: str) -> dict[str, Any]:
    import os

    from ..site.snapshot import SnapshotError, from_folder

    try:
        if os.path.isdir(path):
            return from_folder(path)
        with open(path, encoding="utf-8") as fh:
            doc: dict[str, Any] = json.load(fh)
        if not isinstance(doc, dict) or "partitions" not in doc or "nodes" not in doc:
            raise SnapshotError(f"{path}: not a snapshot (run `sbatch-migrate cluster snapshot`)")
        return doc
    except (OSError, ValueError) as exc:
        fail(f"{path}: {getattr(exc, 'strerror', None) or exc}")
        sys.exit(2)
    except SnapshotError as exc:
        fail(str(exc))
        sys.exit(2)


@profile_cmd.command("init")
@click.option("--from", "old", required=True, metavar="SNAPSHOT|FOLDER", help="The old cluster (TWCC).")
@click.option(
    "--to", "new", metavar="SNAPSHOT|FOLDER", help="The new cluster (Slinky) [the built-in profile's target]."
)
@click.option("-o", "--output", type=click.Path(dir_okay=False), help="Write the profile here [stdout].")
@click.option("--name", default="generated", show_default=True, help="The profile's name.")
def init_cmd(old: str, new: str | None, output: str | None, name: str) -> None:
    """A profile from two snapshots: the partition map (old -> new, with why), the old
    partitions' time limits, the new cluster's Slurm release, GRES and node shape."""
    from ..profile import ProfileError, load, parse
    from ..site.profilegen import from_profile, render

    try:
        text = render(_snapshot(old), _snapshot(new) if new else from_profile(load()), name)
    except ValueError as exc:
        fail(str(exc))
        sys.exit(2)
    try:
        parse(text.encode("utf-8"), "<generated>")  # every command must take it
    except ProfileError as exc:
        fail(f"the generated profile does not load (please report it): {exc}")
        sys.exit(2)
    if output:
        from ..bulk.writer import atomic_write

        atomic_write(output, text.encode("utf-8"))
        click.echo(f"{output}: profile {name!r} written; read it and edit it", err=True)
    else:
        click.echo(text, nl=False)
