"""A worker's records of the contents it migrated lately (bulk/memo.py): a copy of a
script is answered with the record migrating it would make, under its own path and user."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from sbatch_migrate.bulk import campaign as bulk
from sbatch_migrate.bulk.memo import Recent
from sbatch_migrate.checks import RULES
from sbatch_migrate.fix import engine
from sbatch_migrate.output.report import json_text
from sbatch_migrate.profile import load
from sbatch_migrate.read.source import Source

from .test_bulk import cli

SIMPLE = b"#!/bin/bash\n#SBATCH -p gtest\nmodule load singularity\nsrun singularity run --nv x.sif true\n"
# changed, with an error left for a human: its record carries a diff naming the file
NEEDS_HUMAN = b"#!/bin/bash\n#SBATCH -p gtest\nmodule load cuda/11.0 singularity/3.7.1 openmpi\nsrun hostname\n"
UNCHANGED = b"#!/bin/bash\n#SBATCH -p slinky\nsrun hostname\n"


def _record(path: str, user: str = "u1", diff: bool = False) -> dict[str, Any]:
    out: dict[str, Any] = {"path": path, "user": user, "changed": True, "findings": [], "status": "would-change"}
    if diff:
        name = path.lstrip("/")
        out["diff"] = f"--- a/{name}\n+++ b/{name}\n@@ -1 +1 @@\n-a\n+b\n"
    return out


def test_a_kept_record_is_made_the_record_of_the_file_asking() -> None:
    recent = Recent()
    kept = _record("/home/u1/a/job.sh", diff=True)
    recent.put("d1", json_text(kept))
    got = recent.get("d1", "/home/u2/b/job.sh", "u2")
    assert got is not None
    assert list(got) == list(kept)  # the keys in their order: the JSON text is the same shape
    assert (got["path"], got["user"]) == ("/home/u2/b/job.sh", "u2")
    assert got["diff"] == "--- a/home/u2/b/job.sh\n+++ b/home/u2/b/job.sh\n@@ -1 +1 @@\n-a\n+b\n"
    assert kept["path"] == "/home/u1/a/job.sh" and kept["diff"].startswith("--- a/home/u1/")  # left as it was
    assert recent.get("d2", "/x", "u") is None


def test_a_diff_whose_header_is_not_its_files_is_not_reused() -> None:
    recent = Recent()
    odd = _record("/home/u1/job.sh") | {"diff": "--- a/elsewhere\n+++ b/elsewhere\n"}
    recent.put("d", json_text(odd))
    assert recent.get("d", "/home/u2/job.sh", "u2") is None


def test_the_contents_met_last_are_kept_and_large_records_are_not() -> None:
    one = len(json_text(_record("/a")))
    recent = Recent(budget=2 * one, largest=one)
    for d in ("a", "b"):
        recent.put(d, json_text(_record(f"/{d}")))
    assert recent.get("a", "/x", "u") is not None  # a, met again, moves to the back
    recent.put("c", json_text(_record("/c")))  # b, met least lately, goes
    assert [recent.get(d, "/x", "u") is not None for d in "abc"] == [True, False, True]
    assert recent.used == 2 * one
    recent.put("big", json_text(_record("/big/" + "x" * one)))
    assert recent.get("big", "/x", "u") is None
    recent.put("c", json_text(_record("/c")))  # kept again: counted once
    assert recent.used == 2 * one


def _tree(root: Path) -> None:
    """The same bytes in several homes and under several names (a name key of its own:
    ``job`` and ``job.sh`` differ), beside files that are not job scripts."""
    for user in ("u1", "u2", "u3"):
        for project in ("p1", "p2"):
            folder = root / user / project
            folder.mkdir(parents=True)
            (folder / "job.sh").write_bytes(SIMPLE)
            (folder / "job").write_bytes(SIMPLE)
            (folder / "fix-me.sh").write_bytes(NEEDS_HUMAN)
            (folder / "done.sh").write_bytes(UNCHANGED)
            (folder / "notes.txt").write_bytes(b"singularity notes\n")
        (root / user / "own.sh").write_bytes(SIMPLE.replace(b"true", user.encode()))


def _run(root: Path, report: Path, jobs: int) -> tuple[bytes, Any]:
    """The run's records (files.jsonl) and what its reports count of them."""
    opts = bulk.Options(roots=[str(root)], profile=load(), rules=list(RULES), jobs=jobs, report_dir=report)
    result = bulk.run(opts)
    assert result.records_file is not None
    return (report / result.records_file).read_bytes(), result.aggregate.counts()


@pytest.mark.parametrize("jobs", [1, 2])
def test_copies_answered_from_the_memo_have_the_records_a_fresh_migration_makes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, jobs: int
) -> None:
    root = tmp_path / "home"
    _tree(root)
    fresh = _run(root, tmp_path / "with", jobs)
    with monkeypatch.context() as m:
        m.setattr(bulk, "Recent", lambda: Recent(budget=0))  # nothing kept: every copy migrated
        assert _run(root, tmp_path / "without", jobs) == fresh
    records = [json.loads(line) for line in (tmp_path / "with" / "files.jsonl").read_text().splitlines()]
    fix_me = [r for r in records if r["path"].endswith("/fix-me.sh")]
    assert len(fix_me) == 6
    for r in fix_me:  # each copy's diff under its own name
        name = r["path"].lstrip("/")
        assert r["diff"].startswith(f"--- a/{name}\n+++ b/{name}\n")


def test_each_content_is_migrated_once_a_worker(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    root = tmp_path / "home"
    _tree(root)
    seen: list[bytes] = []
    real = engine.migrate

    def counted(source, *args, **kwargs):  # type: ignore[no-untyped-def]
        if source.path.startswith(f"{root}/"):  # (not the engine's warm-up)
            seen.append(source.data)
        return real(source, *args, **kwargs)

    monkeypatch.setattr(engine, "migrate", counted)
    _run(root, tmp_path / "r", 1)
    # SIMPLE as job.sh and as job (two name keys), NEEDS_HUMAN, UNCHANGED, three own.sh
    assert sorted(seen) == sorted(
        [SIMPLE, SIMPLE, NEEDS_HUMAN, UNCHANGED, *(SIMPLE.replace(b"true", u) for u in (b"u1", b"u2", b"u3"))]
    )


def test_a_write_run_writes_every_copy(tmp_path: Path) -> None:
    """--write acts on each file: a copy of a script another file of the run was migrated
    from is written too (only records that need no write are reused)."""
    root = tmp_path / "home"
    _tree(root)
    p = cli(
        "bulk",
        str(root),
        "--write",
        "--no-cache",
        "-q",
        "-j",
        "2",
        "--report-dir",
        str(tmp_path / "r"),
        "--backup-dir",
        str(tmp_path / "b"),
    )
    assert p.returncode in (0, 1), p.stderr
    migrated = engine.migrate(Source.from_bytes(SIMPLE, "job.sh"), load()).output
    for user in ("u1", "u2", "u3"):
        for project in ("p1", "p2"):
            assert (root / user / project / "job.sh").read_bytes() == migrated
            assert (root / user / project / "done.sh").read_bytes() == UNCHANGED
    statuses = {
        json.loads(x)["path"]: json.loads(x)["status"]
        for x in (tmp_path / "r" / "files.jsonl").read_text().splitlines()
    }
    assert [s for p, s in statuses.items() if p.endswith("/job.sh")] == ["written"] * 6
    assert [s for p, s in statuses.items() if p.endswith("/done.sh")] == ["unchanged"] * 6
