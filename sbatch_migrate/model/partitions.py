"""Where a script names a partition: directives, Slurm client options, environment
(read once per script by the partition rules)."""

from __future__ import annotations

import re
from collections.abc import Iterator

from ..profile import Profile
from ..record import NamedTuple
from .context import Context
from .facts import Unit
from .launch import value_text

PARTITION_VARIABLES = ("SBATCH_PARTITION", "SALLOC_PARTITION", "SLURM_PARTITION")


class PartitionSite(NamedTuple):
    value: str | None  # the partition text, None when not known statically
    raw: str | None  # raw text of the value where it is written, when editable here
    raw_start: int
    start: int  # span to report
    end: int
    where: str  # "#SBATCH --partition", "srun -p", "SBATCH_PARTITION=" ...
    unit: Unit
    origin: str | None = None  # "$PART" when the value came through a variable


def mapped(value: str, profile: Profile) -> tuple[list[str], list[str]]:
    """(new names, unknown names) for a comma-separated partition list."""
    names = [n for n in value.split(",")]
    unknown = [n for n in names if profile.target_of(n) is None]
    new: list[str] = []
    for n in names:
        target = profile.target_of(n) or n
        if target not in new:
            new.append(target)
    return new, unknown


def sites(ctx: Context) -> list[PartitionSite]:
    """Every place the script names a partition (computed once per script)."""
    found: list[PartitionSite] = ctx.cached("partition-sites", lambda: list(_sites(ctx)))
    return found


def _sites(ctx: Context) -> Iterator[PartitionSite]:
    source = ctx.source
    py = ctx.facts.python
    if py is not None:
        for s in py.partitions:
            yield PartitionSite(s.value, s.raw, s.raw_start, s.start, s.end, s.where, ctx.facts.main, s.origin)
    for unit in ctx.units():
        for use in unit.directives.partitions:
            where = f"#{use.kind} {use.written}"
            if use.value is not None and ("$" in use.value or "`" in use.value):
                if unit.expands:  # the driver's bash expands it while writing the script
                    yield PartitionSite(
                        _expand(use.value, unit), None, use.start, use.start, use.end, where, unit, use.value
                    )
                continue  # sbatch reads it literally: directive-variable reports it
            raw = source.span_text(use.value_start, use.value_end) if use.value_start is not None else None
            yield PartitionSite(use.value, raw, use.value_start or use.start, use.start, use.end, where, unit)
        if unit.shell is None:
            continue
        for cmd in unit.shell.commands:
            for a in cmd.env:
                if a.name in PARTITION_VARIABLES:
                    yield _assignment_site(a, unit)
            call = ctx.slurm_call(cmd)
            if call is None:
                continue
            for opt in call.options:
                if opt.name != "partition" or opt.value_arg is None:
                    continue
                arg = opt.value_arg
                assert arg is not None
                word = arg.word
                where = f"{call.program} {opt.written}"
                if not arg.direct:
                    origin = word.text
                    yield PartitionSite(
                        opt.value if word.value is not None else None,
                        None,
                        word.start,
                        word.start,
                        word.end,
                        where,
                        unit,
                        origin,
                    )
                    continue
                located = value_text(opt)
                if located is None:
                    yield PartitionSite(opt.value, None, word.start, word.start, word.end, where, unit)
                    continue
                raw, offset = located
                yield PartitionSite(opt.value, raw, word.start + offset, word.start, word.end, where, unit)
        for a in unit.shell.assignments:
            if a.name in PARTITION_VARIABLES:
                yield _assignment_site(a, unit)


_VAR = re.compile(r"\$(?:\{(\w+)\}|(\w+))")


def _expand(text: str, unit: Unit) -> str | None:
    """Expand $VAR / ${VAR} with the driver's constants at the heredoc; None if unknown."""
    env = unit.heredoc.env if unit.heredoc is not None else {}
    if "`" in text or "$(" in text:
        return None
    missing = False

    def sub(m: re.Match[str]) -> str:
        nonlocal missing
        value = env.get(m.group(1) or m.group(2))
        if isinstance(value, str):
            return value
        missing = True
        return m.group(0)

    out = _VAR.sub(sub, text)
    return None if missing else out


def _assignment_site(a, unit: Unit) -> PartitionSite:  # type: ignore[no-untyped-def]
    word = a.value
    where = f"{a.name}="
    if word is None or word.value is None:
        return PartitionSite(None, None, a.start, a.start, a.end, where, unit, word.text if word else None)
    if not word.is_literal:
        return PartitionSite(word.value, None, word.start, a.start, a.end, where, unit, word.text)
    return PartitionSite(word.value, word.text, word.start, a.start, a.end, where, unit)


def interpolated(site: PartitionSite) -> bool:
    """The value holds shell syntax sbatch or bash resolves later ($VAR, $(...)), or a
    Python template's {...}."""
    if site.value is None or "$" in site.value or "`" in site.value:
        return True
    return site.unit.template and "{" in site.value and "}" in site.value
