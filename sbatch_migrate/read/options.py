"""Slurm option tables and getopt_long-style option resolution.

The tables in ``data/`` (``<program>-options-<release>.tsv``) were read off each
release's ``src/common/slurm_opt.c`` by ``scripts/option_tables.py`` (the authority;
``--help`` hides some options).  Which release applies is the target cluster's
(``[target] slurm_version`` of the profile): the engine sets it for the run
(:func:`release`), and every reading of options in that run uses its tables.
Resolution follows GNU getopt_long as Slurm calls it: exact long names win, otherwise an
unambiguous prefix is accepted; short options may be grouped and may carry their
argument attached.
"""

from __future__ import annotations

import os
from contextvars import ContextVar
from functools import cache, lru_cache

from ..record import record

TYPE_CHECKING = False  # typing is not imported at run time (docs/design.md: a one-file run)
if TYPE_CHECKING:
    from typing import Literal

DEFAULT_RELEASE = "25.11"  # the Slinky images' Slurm
_RELEASE: ContextVar[str] = ContextVar("slurm_release", default=DEFAULT_RELEASE)
_DATA = os.path.join(os.path.dirname(os.path.abspath(__file__)), "data")  # installed as files (a wheel)


@cache
def releases() -> tuple[str, ...]:
    """The Slurm releases there are tables for, oldest first."""
    names = os.listdir(_DATA)
    found = {n.removeprefix("sbatch-options-").removesuffix(".tsv") for n in names if n.startswith("sbatch-options-")}
    return tuple(sorted(found, key=lambda v: tuple(int(x) for x in v.split("."))))


def release_of(version: str) -> str | None:
    """The table release for a version as a site names it (``25.11``, ``25.11.4``,
    ``slurm 25.11.4``); None when there is no table for it."""
    parts = version.strip().split()[-1].split(".") if version.strip() else []
    key = ".".join(parts[:2])
    return key if key in releases() else None


def current() -> str:
    """The release whose rules apply now."""
    return _RELEASE.get()


def at_least(version: str) -> bool:
    """Does the release in use have what ``version`` introduced?"""
    return tuple(int(x) for x in current().split(".")) >= tuple(int(x) for x in version.split("."))


class release:  # a function to its callers: ``with release("25.11"):``
    """Read options with ``version``'s tables (and directive rules) inside the block.  A
    class, not ``contextlib.contextmanager``: importing contextlib is 2% of a one-file run."""

    __slots__ = ("_token", "_version")

    def __init__(self, version: str) -> None:
        self._version = version

    def __enter__(self) -> None:
        self._token = _RELEASE.set(self._version)

    def __exit__(self, *exc: object) -> None:
        _RELEASE.reset(self._token)


if TYPE_CHECKING:
    ArgKind = Literal["required", "optional", "none"]


@record(frozen=True)
class OptionSpec:
    long: str  # without the leading "--"
    short: str  # one letter or ""
    arg: ArgKind


@record(frozen=True)
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


def table(program: str) -> OptionTable:
    """The option table of ``sbatch``, ``srun`` or ``salloc`` in the release in use."""
    return _table(program, _RELEASE.get())


@cache
def _table(program: str, version: str) -> OptionTable:
    with open(os.path.join(_DATA, f"{program}-options-{version}.tsv"), encoding="utf-8") as fh:
        text = fh.read()
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


# Pyxis (NVIDIA's enroot SPANK plugin) adds these to srun, sbatch and salloc where a site
# runs it: they are not Slurm's own, and without the plugin they are unrecognized.
PYXIS_OPTIONS = frozenset(
    {
        "container-image",
        "container-mounts",
        "container-workdir",
        "container-name",
        "container-save",
        "container-mount-home",
        "no-container-mount-home",
        "container-remap-root",
        "no-container-remap-root",
        "container-entrypoint",
        "no-container-entrypoint",
        "container-entrypoint-log",
        "container-writable",
        "container-readonly",
        "container-env",
    }
)
