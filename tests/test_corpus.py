"""Every corpus case against its golden output and golden report."""

from __future__ import annotations

from pathlib import Path

import pytest

from sbatch_migrate.fix.engine import migrate
from sbatch_migrate.read.source import Source

from .corpus import cases, expected_of, path_of, profile_of, render

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
    name = path_of(case)  # read as the input was (a config's format goes by its name)
    again = migrate(Source.from_bytes(expected.read_bytes(), name), profile_of(case))
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
    # (SM909: valid Python libcst cannot read, tests/test_python.py)
    missing = {r.code for r in RULES} - seen - {"SM904", "SM906", "SM909"}
    assert not missing, f"no corpus case for {sorted(missing)}"


def test_rule_codes_and_names_are_unique() -> None:
    """A code is what users suppress, select and look up: two rules may never share one."""
    from sbatch_migrate.checks import RULES

    codes = [r.code for r in RULES]
    names = [r.name for r in RULES]
    assert len(set(codes)) == len(codes), sorted(c for c in codes if codes.count(c) > 1)
    assert len(set(names)) == len(names), sorted(n for n in names if names.count(n) > 1)
