"""``cluster snapshot``: a cluster's facts, read from its own Slurm."""

from __future__ import annotations

import click

from .common import fail


@click.group("cluster")
def cluster_cmd() -> None:
    """Facts of a cluster, from its own Slurm (for profile generation)."""


@cluster_cmd.command("snapshot")
@click.option("-o", "--output", type=click.Path(dir_okay=False), help="Write the JSON here [stdout].")
@click.option(
    "--from-folder",
    type=click.Path(file_okay=False, exists=True),
    help="Read saved outputs of `scontrol show config`, `scontrol show partition -o`, `scontrol show node -o` "
    "(and `sacctmgr -nP show qos`) from this folder instead of asking Slurm; files are recognised by content.",
)
def snapshot_cmd(output: str | None, from_folder: str | None) -> None:
    """Partitions, nodes, features, GRES, limits, Slurm version and QOS of the cluster this
    machine reaches (SLURM_CONF honoured), as one JSON document."""
    import sys

    from ..output.report import json_text
    from ..site.snapshot import SnapshotError, take
    from ..site.snapshot import from_folder as read_folder

    try:
        doc = read_folder(from_folder) if from_folder else take()
    except SnapshotError as exc:
        fail(str(exc))
        sys.exit(2)
    text = json_text(doc, indent=2) + "\n"
    if output:
        from ..bulk.writer import atomic_write

        atomic_write(output, text.encode("utf-8"))
        for lack in doc["lacks"]:
            click.echo(f"sbatch-migrate: note: {lack}", err=True)
        click.echo(
            f"{output}: {len(doc['partitions'])} partitions, {len(doc['nodes'])} nodes, Slurm {doc['slurm_version']}",
            err=True,
        )
    else:
        click.echo(text, nl=False)
