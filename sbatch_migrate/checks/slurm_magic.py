"""## What it does
Rewrites the old `#SLURM` directive prefix to `#SBATCH`.

## Why is this bad?
sbatch still reads `#SLURM` lines but prints `Change from #SLURM to #SBATCH in your
script` on every submission, and newer releases may drop it.

## Example
```bash
#SLURM --nodes=1
```
Use instead: `#SBATCH --nodes=1`.

Not for a line where the word goes on (`#SLURMD_OPTIONS=""`, `#SLURM_NTASKS=4`): a
comment about a variable, which a rename would not make a directive (sbatch reads it as
one and rejects it: SM001 directive-syntax says so).

## Fix safety
Safe: sbatch reads both the same way.
"""

from __future__ import annotations

from collections.abc import Iterator

from ..fix.edits import Edit
from ..model.context import Context
from .rule import Finding, Rule, Severity


class SlurmMagic(Rule):
    code = "SM007"
    name = "slurm-magic"
    severity = Severity.WARNING
    summary = "#SLURM prefix: use #SBATCH"
    fix = "always"

    def check(self, ctx: Context) -> Iterator[Finding]:
        source = ctx.source.parse_bytes
        for unit in ctx.units():
            for line in unit.directives.lines:
                # `#SLURMD_OPTIONS=...`: another word, a rename would not make it a directive
                # (sbatch rejects it either way: directive-syntax says so)
                if line.kind == "SLURM" and line.in_block and not _word_goes_on(source, line.start + len("#SLURM")):
                    yield self.finding(
                        line.start,
                        line.end,
                        "#SLURM is the old prefix: use #SBATCH",
                        edits=[Edit(line.start, line.start + len("#SLURM"), "#SBATCH")],
                    )


def _word_goes_on(data: bytes, at: int) -> bool:
    """``#SLURM`` goes on as one word (``#SLURM_JOB_ID``), as :mod:`..read.kind` reads it."""
    return data[at : at + 1].isalnum() or data[at : at + 1] == b"_"
