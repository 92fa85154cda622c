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
    "(and `sacctmgr -P show qos|account|cluster`) from this folder instead of asking Slurm; files are "
    "recognised by content.",
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
        from ..output.report import counted

        lacks = doc["lacks"]
        no_db = [lack for lack in lacks if "runs no accounting" in lack]
        if no_db:  # one fact, not one line per list it empties
            kinds = ", ".join(lack.split(":")[0] for lack in no_db)
            click.echo(f"sbatch-migrate: note: no accounting (AccountingStorageType=none): no {kinds}", err=True)
        for lack in lacks:
            if lack not in no_db:
                click.echo(f"sbatch-migrate: note: {lack}", err=True)
        click.echo(
            f"{output}: {counted(len(doc['partitions']), 'partition')}, {counted(len(doc['nodes']), 'node')}, "
            f"Slurm {doc['slurm_version']}",
            err=True,
        )
    else:
        click.echo(text, nl=False)
