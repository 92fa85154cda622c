"""Slurm option tables and getopt_long-style option resolution.

The tables in ``data/`` were read off Slurm 22.05's ``src/common/slurm_opt.c`` (the
authority the facts point to; ``--help`` hides some options).  Resolution follows GNU
getopt_long as Slurm calls it: exact long names win, otherwise an unambiguous prefix is
accepted; short options may be grouped and may carry their argument attached.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache, lru_cache
from importlib import resources
from typing import Literal

ArgKind = Literal["required", "optional", "none"]


@dataclass(frozen=True)
class OptionSpec:
    long: str  # without the leading "--"
    short: str  # one letter or ""
    arg: ArgKind


@dataclass(frozen=True)
class OptionTable:
    program: str
    by_long: dict[str, OptionSpec]
    by_short: dict[str, OptionSpec]

    def lookup_long(self, name: str) -> OptionSpec | list[OptionSpec] | None:
        """An exact or unambiguous-prefix match; a list when ambiguous; None if unknown."""
        spec = self.by_long.get(name)
        if spec is not None:
            return spec
        matches = [s for n, s in self.by_long.items() if n.startswith(name)]
        if len(matches) == 1:
            return matches[0]
        return matches or None

    def close_matches(self, name: str) -> list[str]:
        return list(_close_matches(tuple(self.by_long), name))


@lru_cache(maxsize=4096)
def _close_matches(names: tuple[str, ...], name: str) -> tuple[str, ...]:
    """Known names close to a misspelt one (the same typos recur across thousands of scripts)."""
    import difflib

    return tuple(difflib.get_close_matches(name, names, n=3, cutoff=0.7))


@cache
def table(program: str) -> OptionTable:
    """The option table of ``sbatch``, ``srun`` or ``salloc``."""
    text = resources.files("sbatch_migrate.read.data").joinpath(f"{program}-options.tsv").read_text()
    by_long: dict[str, OptionSpec] = {}
    by_short: dict[str, OptionSpec] = {}
    for line in text.splitlines():
        if not line or line.startswith("#") or line.startswith("long\t"):
            continue
        long, short, arg = line.split("\t")
        spec = OptionSpec(long.removeprefix("--"), short.removeprefix("-"), arg)  # type: ignore[arg-type]
        by_long[spec.long] = spec
        if spec.short:
            by_short[spec.short] = spec
    return OptionTable(program, by_long, by_short)


# #PBS and #BSUB lines are translated by sbatch (src/sbatch/xlate.c); only the letters
# matter here: which take an argument, and which name the partition (queue).
PBS_SHORT_WITH_ARG = frozenset("aAcCejJklmMNopqrStuvW")
PBS_SHORT_FLAGS = frozenset("hIVz")
BSUB_SHORT_WITH_ARG = frozenset("ceJmMnoqW")
BSUB_SHORT_FLAGS = frozenset("x")
