"""## What it does
Renames TWCC partitions (`gtest`, `gp1d`, `gp2d`, `gp4d`, and whatever the profile
maps) to the NodeSet partition (`slinky`) wherever the script names one: `#SBATCH`
directives in every form sbatch accepts (`-p gtest`, `-pgtest`, `--partition gtest`,
`--part=gtest`, quoted values), `#PBS -q`, `srun`/`sbatch`/`salloc` options, and
`SBATCH_PARTITION` / `SALLOC_PARTITION` / `SLURM_PARTITION` assignments.

## Why is this bad?
On the Slinky cluster each NodeSet is a partition; the TWCC names do not exist there and
sbatch stops with `invalid partition specified: gtest`.

## Example
```bash
#SBATCH --partition=gtest,gp1d
```
Use instead:
```bash
#SBATCH --partition=slinky
```
A list whose names all map to one partition is deduplicated.

## Fix safety
Safe: only the value text is replaced; the option form and quoting are kept.  A value
written with mixed quotes or escapes is reported and left alone.
"""

from __future__ import annotations

from collections.abc import Iterator

from ..model.context import Context
from ..model.partitions import interpolated, mapped, sites
from ._partitions import rename_edit
from .rule import Finding, Rule, Severity


class PartitionRename(Rule):
    code = "SM101"
    name = "partition-rename"
    severity = Severity.ERROR
    summary = "TWCC partition name that does not exist on the target cluster"
    fix = "always"

    def check(self, ctx: Context) -> Iterator[Finding]:
        for site in sites(ctx):
            if interpolated(site) or site.origin is not None:
                continue
            assert site.value is not None
            new, unknown = mapped(site.value, ctx.profile)
            if unknown or ",".join(new) == site.value:
                continue
            edit = rename_edit(site, ",".join(new))
            msg = (
                f"partition {site.value} does not exist on the target cluster "
                f"({site.where}): rename it to {','.join(new)}"
            )
            if edit is None:
                yield self.finding(
                    site.start,
                    site.end,
                    msg + " (not rewritten: the quoting here is too unusual to keep)",
                )
            else:
                yield self.finding(site.start, site.end, msg, edits=[edit])
