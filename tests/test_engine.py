"""The engine's safety nets: a fix that would break the script is withheld (SM904), fixes
that collide keep the first, nothing is edited inside a region that does not parse."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from sbatch_migrate import shell
from sbatch_migrate.edits import Edit
from sbatch_migrate.engine import _edited_tree, migrate
from sbatch_migrate.profile import load
from sbatch_migrate.rule import Context, Finding, Rule, Severity
from sbatch_migrate.source import Source


class BreaksFi(Rule):
    """A rule with a bug: it deletes the `fi` of every if statement."""

    code = "SM999"
    name = "breaks-fi"
    severity = Severity.WARNING
    summary = "test only"

    def check(self, ctx: Context) -> Iterator[Finding]:
        data = ctx.source.parse_bytes
        at = data.find(b"\nfi")
        if at != -1:
            yield self.finding(at + 1, at + 3, "delete fi", edits=[Edit(at + 1, at + 3, "")])


class Twice(Rule):
    """Two fixes of the same text."""

    code = "SM998"
    name = "twice"
    severity = Severity.WARNING
    summary = "test only"

    def check(self, ctx: Context) -> Iterator[Finding]:
        yield self.finding(0, 2, "first", edits=[Edit(0, 2, "#!")])
        yield self.finding(0, 2, "second", edits=[Edit(1, 2, "?")])


def test_fix_that_breaks_bash_is_withheld() -> None:
    data = b"#!/bin/bash\nif true; then\n  echo hi\nfi\n"
    result = migrate(Source.from_bytes(data, "j.sh"), load(), [BreaksFi])
    assert result.output == data
    assert [f.code for f in result.findings] == ["SM999", "SM904"]
    assert not any(f.fixed for f in result.findings)


def test_fix_that_breaks_python_is_withheld() -> None:
    data = b"import os\nif True:\n    pass\nfi = 1\n"  # deleting `fi` leaves ` = 1`: not Python
    result = migrate(Source.from_bytes(data, "l.py"), load(), [BreaksFi])
    assert result.output == data and "SM904" in [f.code for f in result.findings]


def test_colliding_fixes_keep_the_first() -> None:
    data = b"#!/bin/bash\necho\n"
    result = migrate(Source.from_bytes(data, "j.sh"), load(), [Twice])
    first, second = result.findings
    assert first.fixed and not second.fixed and "another fix" in second.message
    assert result.output == data


def _corpus_bash() -> list[Path]:
    root = Path(__file__).resolve().parent.parent / "corpus"
    return sorted(p for p in root.glob("*/input.*") if p.suffix != ".py")


@pytest.mark.parametrize("path", _corpus_bash(), ids=lambda p: p.parent.name)
def test_incremental_reparse_equals_a_fresh_parse(path: Path) -> None:
    """The safety net re-parses the migrated text incrementally (the input's tree told
    about the edits): the tree must be exactly the one a fresh parse gives."""
    source = Source.from_bytes(path.read_bytes(), str(path))
    result = migrate(source, load())
    if not result.changed or result.facts.shell is None:
        return
    new = Source.from_bytes(result.output, str(path)).parse_bytes
    old_tree = _edited_tree(source, result.facts.shell.tree, result.edits, new)
    fresh = shell.parse(new)
    if old_tree is None:
        assert not source.is_identity or b"\r\n" in source.data
        return
    incremental = shell.parse(new, old_tree=old_tree)
    assert str(incremental.root_node) == str(fresh.root_node)
    assert incremental.root_node.end_byte == fresh.root_node.end_byte == len(new)
