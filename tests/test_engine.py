"""The engine's safety nets: a fix that would break the script is withheld (SM904), fixes
that collide keep the first, nothing is edited inside a region that does not parse."""

from __future__ import annotations

import gc
import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from sbatch_migrate.checks.rule import Finding, Rule, Severity
from sbatch_migrate.fix.edits import Edit
from sbatch_migrate.fix.engine import migrate
from sbatch_migrate.model.context import Context
from sbatch_migrate.output.report import file_dict
from sbatch_migrate.profile import load
from sbatch_migrate.read.source import Source


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


def test_migrating_a_shell_script_makes_no_reference_cycles(monkeypatch: pytest.MonkeyPatch) -> None:
    """Bulk workers collect cycles rarely because of this (sbatch_migrate/bulk/campaign.py).
    Once warm: the import of a module a script needs first makes cycles, once, and so does
    a record class's compile of its ``__init__`` at its ``COMPILE_AFTER``-th instance
    (sbatch_migrate/record.py; at 1 here, so that it happens in the warm-up pass, not at
    whatever pass a class made once a pass reaches 64); a pass over the corpus then makes
    none."""
    from sbatch_migrate import record

    monkeypatch.setattr(record, "COMPILE_AFTER", 1)
    corpus = Path(__file__).resolve().parent.parent / "corpus"
    inputs = [p for p in sorted(corpus.glob("*/input.*")) if p.suffix != ".py"]
    profile = load()

    def one_pass() -> None:
        for p in inputs:
            result = migrate(Source.from_bytes(p.read_bytes(), str(p)), profile)
            json.dumps(file_dict(result, str(p)))

    one_pass()  # warm: imports, caches
    gc.collect()
    gc.disable()
    try:
        for _ in range(3):
            one_pass()
            assert gc.collect() == 0
    finally:
        gc.enable()
