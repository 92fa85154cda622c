"""Every corpus case against its golden output and golden report."""

from __future__ import annotations

from pathlib import Path

import pytest

from sbatch_migrate.fix.engine import migrate
from sbatch_migrate.profile import load
from sbatch_migrate.read.source import Source

from .corpus import cases, expected_of, render

CASES = cases()


def test_corpus_is_big_enough() -> None:
    assert len(CASES) >= 30


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_golden(case: Path) -> None:
    output, report = render(case)
    assert output == expected_of(case).read_bytes(), "regenerate with: python -m tests.corpus (and review)"
    assert report == (case / "report.json").read_text()


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_golden_output_is_a_fixed_point(case: Path) -> None:
    expected = expected_of(case)
    again = migrate(Source.from_bytes(expected.read_bytes(), str(expected)), load())
    assert again.output == expected.read_bytes()
    assert not any(f.fixed for f in again.findings)


def test_every_rule_is_exercised_by_the_corpus() -> None:
    from sbatch_migrate.checks import RULES

    seen = set()
    for case in CASES:
        seen.update(
            f["code"] for f in __import__("json").loads((case / "report.json").read_text())["files"][0]["findings"]
        )
    # SM904 only fires on a tool bug; SM906 only with --validate (tests/test_slurm.py)
    missing = {r.code for r in RULES} - seen - {"SM904", "SM906"}
    assert not missing, f"no corpus case for {sorted(missing)}"
