"""Bulk migration: discovery, dry run, writing with backups and restore, interruption and
resume (SIGKILL at random points), shards, cache, reports."""

from __future__ import annotations

import hashlib
import itertools
import json
import os
import pickle
import pwd
import random
import shutil
import signal
import sqlite3
import stat
import struct
import subprocess
import sys
import time
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bench.gen_homes import generate
from sbatch_migrate.bulk import campaign as bulk
from sbatch_migrate.bulk.cache import RACY_NS, dump_tally, spans, untally
from sbatch_migrate.bulk.campaign import in_shard
from sbatch_migrate.bulk.ownfolder import OwnFolder
from sbatch_migrate.bulk.reports import Tally, write_reports
from sbatch_migrate.bulk.walk import walk
from sbatch_migrate.checks import RULES
from sbatch_migrate.fix.engine import migrate
from sbatch_migrate.profile import load
from sbatch_migrate.read.source import Source

from .conftest import ROOT

ROOT_USER = os.geteuid() == 0


@pytest.fixture(autouse=True)
def _in_tmp(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Every test works in its own folder: a run's default backup and report folders
    (./sbatch-migrate-backups, ./sbatch-migrate-report) never land in the checkout."""
    monkeypatch.chdir(tmp_path)


def cli(
    *args: str, cwd: Path | None = None, env: dict[str, str] | None = None, preexec=None
) -> subprocess.CompletedProcess[str]:  # type: ignore[no-untyped-def]
    e = dict(os.environ, CI="true")
    e.update(env or {})
    return subprocess.run(
        [sys.executable, "-m", "sbatch_migrate", *args],
        capture_output=True,
        text=True,
        check=False,
        timeout=600,
        cwd=cwd,
        env=e,
        preexec_fn=preexec,
    )


def _one_job(tmp_path: Path, data: bytes = b"#!/bin/bash\n#SBATCH -p gtest\n") -> tuple[Path, Path]:
    """A tree (tmp_path/site) holding one job script; returns both."""
    site = tmp_path / "site"
    site.mkdir()
    job = site / "job.sh"
    job.write_bytes(data)
    return site, job


def _write_run(root: Path, tmp_path: Path, *extra: str) -> subprocess.CompletedProcess[str]:
    """bulk --write over ``root``, reports in tmp_path/r, backups in tmp_path/b."""
    report, backups = str(tmp_path / "r"), str(tmp_path / "b")
    return cli(
        "bulk", str(root), "--write", "--no-cache", "-q", "--report-dir", report, "--backup-dir", backups, *extra
    )


def snapshot(root: Path) -> dict[str, tuple[str, int, int, int]]:
    """Every regular file and symlink: content hash, mode, owner, group."""
    out = {}
    for dirpath, dirnames, names in os.walk(root):
        for name in names + [d for d in dirnames if os.path.islink(os.path.join(dirpath, d))]:
            p = os.path.join(dirpath, name)
            st = os.lstat(p)
            if stat.S_ISLNK(st.st_mode):
                out[p] = ("link:" + os.readlink(p), st.st_mode, st.st_uid, st.st_gid)
            else:
                out[p] = (hashlib.sha256(Path(p).read_bytes()).hexdigest(), st.st_mode, st.st_uid, st.st_gid)
    return out


def expected_output(path: Path) -> bytes:
    return migrate(Source.from_bytes(path.read_bytes(), str(path)), load()).output


@pytest.fixture
def homes(tmp_path: Path) -> tuple[Path, list[Path]]:
    root = tmp_path / "site"
    jobs = generate(root, users=6, files=120, seed=7, owners=ROOT_USER)
    return root, jobs


def test_dry_run_writes_nothing_and_reports(homes: tuple[Path, list[Path]], tmp_path: Path) -> None:
    root, jobs = homes
    before = snapshot(root)
    p = cli("bulk", str(root), "--jobs", "2", "--report-dir", str(tmp_path / "r"), "--no-cache")
    assert p.returncode == 0, p.stderr
    assert snapshot(root) == before
    summary = json.loads((tmp_path / "r" / "summary.json").read_text())
    # every generated job script is found, plus the python batch scripts and the .bashrc-free rest
    paths = {json.loads(line)["path"] for line in (tmp_path / "r" / "files.jsonl").read_text().splitlines()}
    assert {str(j) for j in jobs} <= paths
    statuses = summary["statuses"]
    assert statuses["symlink"] == 6 and statuses["binary"] > 0 and statuses["vcs-or-cache"] == 6
    assert not any(".git/" in p for p in paths)
    if ROOT_USER:
        assert set(summary["users"]) == {f"u{1000001 + i}" for i in range(6)}
    report = json.loads((tmp_path / "r" / "report.json").read_text())
    assert report["version"] == 1 and report["summary"]["job_scripts"] == summary["job_scripts"]
    md = (tmp_path / "r" / "report.md").read_text()
    assert md.startswith("# sbatch-migrate bulk report") and "## Needs a human" in md


def test_write_backup_restore_and_second_run(homes: tuple[Path, list[Path]], tmp_path: Path) -> None:
    root, jobs = homes
    expected = {j: expected_output(j) for j in jobs}
    modes = {j: os.lstat(j) for j in jobs}
    os.chmod(jobs[0], 0o751)
    modes[jobs[0]] = os.lstat(jobs[0])
    before = snapshot(root)
    backups = tmp_path / "backups"
    p = cli(
        "bulk", str(root), "--write", "--backup-dir", str(backups), "--report-dir", str(tmp_path / "r"), "--no-cache"
    )
    assert p.returncode == 0, p.stderr
    for j in jobs:
        assert j.read_bytes() == expected[j]
        st = os.lstat(j)
        assert (st.st_mode, st.st_uid, st.st_gid) == (modes[j].st_mode, modes[j].st_uid, modes[j].st_gid)
    assert not list(root.rglob("*.sbatch-migrate"))
    # the symlink target was never touched, and is still a symlink
    assert all(os.path.islink(p) for p in root.rglob("shared-job.sh"))
    # a second run changes nothing
    after = snapshot(root)
    p = cli(
        "bulk",
        str(root),
        "--write",
        "--backup-dir",
        str(tmp_path / "b2"),
        "--report-dir",
        str(tmp_path / "r2"),
        "--no-cache",
    )
    assert p.returncode == 0 and snapshot(root) == after
    assert json.loads((tmp_path / "r2" / "summary.json").read_text())["statuses"].get("written", 0) == 0
    # restore puts every original back, with mode and owner
    p = cli("restore", str(backups))
    assert p.returncode == 0, p.stderr
    assert snapshot(root) == before


def test_restore_leaves_files_changed_after_the_migration(homes: tuple[Path, list[Path]], tmp_path: Path) -> None:
    root, jobs = homes
    cli("bulk", str(root), "--write", "--backup-dir", str(tmp_path / "b"), "--report-dir", str(tmp_path / "r"))
    edited = jobs[0]
    edited.write_bytes(edited.read_bytes() + b"# edited by the user\n")
    p = cli("restore", str(tmp_path / "b"))
    assert f"{edited}: changed-since" in p.stderr
    assert edited.read_bytes().endswith(b"# edited by the user\n")


def test_file_changed_while_migrating_is_skipped(tmp_path: Path) -> None:
    from sbatch_migrate.bulk import campaign as bulk

    job = tmp_path / "job.sh"
    job.write_bytes((ROOT / "examples" / "hello_twcc.sh").read_bytes())
    st = os.stat(job)
    original = job.read_bytes()
    job.write_bytes(original + b"echo edited\n")  # the user saves while the tool works
    opts = bulk.Options(roots=[str(tmp_path)], profile=load(), rules=[], write=True)
    bulk._init_worker(opts)
    status, _ = bulk._write(bulk._folder(str(job)), str(job), original, b"migrated", st, opts)
    assert status == "skipped-changed"
    assert job.read_bytes() == original + b"echo edited\n"


@pytest.mark.skipif(not ROOT_USER, reason="needs root to drop to an unprivileged user")
def test_unreadable_files_and_folders_are_reported_not_fatal() -> None:
    import shutil
    import tempfile

    tmp = Path(tempfile.mkdtemp(prefix="sbatch-migrate-perm-"))  # pytest's own tmp is private to root
    try:
        _unreadable(tmp)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def _unreadable(tmp_path: Path) -> None:
    from sbatch_migrate.bulk import campaign as bulk

    root = tmp_path / "site"
    (root / "a").mkdir(parents=True)
    (root / "locked").mkdir()
    (root / "a" / "job.sh").write_text("#!/bin/bash\n#SBATCH -p gtest\n")
    (root / "a" / "secret.sh").write_text("#!/bin/bash\n#SBATCH -p gtest\n")
    os.chmod(root / "a" / "secret.sh", 0o000)
    os.chmod(root / "locked", 0o000)
    for p in (tmp_path, root, root / "a"):
        os.chmod(p, 0o755)
    from sbatch_migrate.checks import RULES

    opts = bulk.Options(roots=[str(root)], profile=load(), rules=list(RULES), jobs=1)
    read_fd, write_fd = os.pipe()
    pid = os.fork()
    if pid == 0:  # child: an unprivileged effective user, as an admin without root would run it
        try:
            os.setegid(65534)
            os.seteuid(65534)
            records: list[dict[str, object]] = []
            bulk.run(opts, on_record=records.append)
            os.write(write_fd, json.dumps(records).encode())
        except BaseException as exc:  # report it to the parent
            os.write(write_fd, json.dumps([{"path": "error", "status": repr(exc)}]).encode())
        finally:
            os._exit(0)
    os.close(write_fd)
    with os.fdopen(read_fd) as fh:
        records = json.loads(fh.read() or "[]")
    os.waitpid(pid, 0)
    by_path = {r["path"]: r for r in records}
    assert records, "the unprivileged run produced no records"
    assert by_path[str(root / "locked")]["status"] == "unreadable"
    assert by_path[str(root / "a" / "secret.sh")]["status"] == "unreadable"
    assert "Permission denied" in by_path[str(root / "a" / "secret.sh")]["detail"]
    assert by_path[str(root / "a" / "job.sh")]["status"] == "would-change"


def test_sigkill_at_random_points_then_resume(tmp_path: Path) -> None:
    """Kill writing runs at random moments; every file is always either its original or
    its complete migration (never lost, truncated or half-written), and --resume finishes."""
    root = tmp_path / "site"
    jobs = generate(root, users=8, files=600, seed=3)
    originals = {j: j.read_bytes() for j in jobs}
    expected = {j: expected_output(j) for j in jobs}
    rng = random.Random(11)
    report = tmp_path / "r"
    args = [
        "bulk",
        str(root),
        "--write",
        "--backup-dir",
        str(tmp_path / "b"),
        "--report-dir",
        str(report),
        "--jobs",
        "2",
        "--no-cache",
    ]
    env = dict(os.environ, CI="true")
    kills = 0
    for attempt in range(6):
        extra = ["--resume"] if attempt else []
        proc = subprocess.Popen(
            [sys.executable, "-m", "sbatch_migrate", *args, *extra],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )
        time.sleep(rng.uniform(0.15, 0.9))
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)  # the workers die too
            kills += 1
        proc.wait()
        for j in jobs:
            data = j.read_bytes()
            assert data in (originals[j], expected[j]), f"{j} is neither original nor migrated"
    assert kills >= 1
    p = cli(*args, "--resume")
    assert p.returncode == 0, p.stderr
    for j in jobs:
        assert j.read_bytes() == expected[j]
    assert not [p for p in root.rglob("*") if p.name.endswith(".sbatch-migrate")]
    lines = (report / "files.jsonl").read_text().splitlines()
    paths = [json.loads(line)["path"] for line in lines]
    assert len(paths) == len(set(paths)), "a file was recorded twice"
    # the resumed run's reports count the records of the killed runs too, as a reading of
    # the whole journal does
    summary = json.loads((report / "summary.json").read_text())
    with OwnFolder.open(tmp_path / "again") as again, OwnFolder.open(report, create=False) as shard:
        assert write_reports(again, [(shard, "files.jsonl")]) == summary
    assert summary["files_seen"] == len(lines)
    doc = json.loads((report / "report.json").read_text())
    assert len(doc["files"]) == summary["job_scripts"] == sum(1 for line in lines if '"findings"' in line)
    # every rewritten file has its backup: restore brings all originals back
    p = cli("restore", str(tmp_path / "b"))
    assert p.returncode == 0, p.stderr
    for j in jobs:
        assert j.read_bytes() == originals[j]


def test_shards_split_every_file_exactly_once(homes: tuple[Path, list[Path]], tmp_path: Path) -> None:
    root, _ = homes
    n = 4
    for k in range(n):
        p = cli(
            "bulk",
            str(root),
            "--shard",
            f"{k}/{n}",
            "--report-dir",
            str(tmp_path / "r" / f"shard-{k}"),
            "--no-cache",
            "-q",
        )
        assert p.returncode == 0, p.stderr
    seen: list[str] = []
    for k in range(n):
        for line in (tmp_path / "r" / f"shard-{k}" / "files.jsonl").read_text().splitlines():
            path = json.loads(line)["path"]
            assert in_shard(path, (k, n))
            seen.append(path)
    assert len(seen) == len(set(seen))
    whole = cli("bulk", str(root), "--report-dir", str(tmp_path / "whole"), "--no-cache", "-q")
    assert whole.returncode == 0
    all_paths = {json.loads(x)["path"] for x in (tmp_path / "whole" / "files.jsonl").read_text().splitlines()}
    assert set(seen) == all_paths
    p = cli("merge-reports", str(tmp_path / "r"))
    assert p.returncode == 0, p.stderr
    merged = json.loads((tmp_path / "r" / "summary.json").read_text())
    single = json.loads((tmp_path / "whole" / "summary.json").read_text())
    assert merged["job_scripts"] == single["job_scripts"] and merged["rules"] == single["rules"]
    assert merged["users"] == single["users"] or merged["statuses"] == single["statuses"]


def _shard_reports(root: Path, reports: Path, n: int, *extra: str) -> None:
    for k in range(n):
        args = ["bulk", str(root), "--shard", f"{k}/{n}", "--report-dir", str(reports / f"shard-{k}")]
        p = cli(*args, "--no-cache", "-q", *extra)
        assert p.returncode == 0, p.stderr


def test_merge_refuses_missing_unfinished_or_foreign_shards(homes: tuple[Path, list[Path]], tmp_path: Path) -> None:
    """A merged report with a shard missing (its array task never ran) or unfinished (it
    hit its time limit) would show users ready who are not: merge-reports says so and
    stops, unless --partial, when every report says what it lacks."""
    root, _ = homes
    reports = tmp_path / "r"
    _shard_reports(root, reports, 3)
    assert cli("merge-reports", str(reports)).returncode == 0
    # a shard missing
    (reports / "shard-1").rename(tmp_path / "shard-1")
    p = cli("merge-reports", str(reports))
    assert p.returncode == 2 and "shard 1 of 3 is missing" in p.stderr and "--partial" in p.stderr
    p = cli("merge-reports", str(reports), "--partial")
    assert p.returncode == 0 and "warning: shard 1 of 3 is missing" in p.stderr
    summary = json.loads((reports / "summary.json").read_text())
    assert summary["incomplete"] == ["shard 1 of 3 is missing (did its array task run?)"]
    assert "**Incomplete:** shard 1 of 3 is missing" in (reports / "report.md").read_text()
    assert json.loads((reports / "report.json").read_text())["summary"]["incomplete"]
    (tmp_path / "shard-1").rename(reports / "shard-1")
    # a shard whose run did not finish
    state = reports / "shard-2" / "run.json"
    state.write_text(json.dumps({**json.loads(state.read_text()), "finished": False}))
    p = cli("merge-reports", str(reports))
    assert p.returncode == 2 and "shard-2: its run did not finish" in p.stderr
    state.write_text(json.dumps({**json.loads(state.read_text()), "finished": True}))
    # a shard of another command (another partition map), or of another split
    other = tmp_path / "other"
    _shard_reports(root, other, 3, "--partition-map", "gtest=x")
    shutil.rmtree(reports / "shard-0")
    shutil.copytree(other / "shard-0", reports / "shard-0")
    p = cli("merge-reports", str(reports), "--partial")
    assert p.returncode == 2 and "started with another profile" in p.stderr
    shutil.rmtree(reports / "shard-0")
    _shard_reports(root, tmp_path / "four", 4)
    shutil.copytree(tmp_path / "four" / "shard-0", reports / "shard-0")
    p = cli("merge-reports", str(reports))
    assert p.returncode == 2 and "splits into 3 and 4 are mixed" in p.stderr
    (tmp_path / "a-file").write_text("")
    p = cli("merge-reports", str(tmp_path / "four"), "--out", str(tmp_path / "a-file" / "sub"))
    assert p.returncode == 2 and "--out" in p.stderr and "cannot write there" in p.stderr


def test_an_interrupted_run_is_not_marked_finished(homes: tuple[Path, list[Path]], tmp_path: Path) -> None:
    root, _ = homes
    opts = bulk.Options(roots=[str(root)], profile=load(), rules=list(RULES), report_dir=tmp_path / "r")
    seen = 0

    def stop_after_50(n: int) -> None:
        nonlocal seen
        seen += n
        if seen >= 50:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        bulk.run(opts, progress=stop_after_50)
    assert json.loads((tmp_path / "r" / "run.json").read_text())["finished"] is False
    opts.resume = True
    counted: list[int] = []
    bulk.run(opts, progress=counted.append)
    assert json.loads((tmp_path / "r" / "run.json").read_text())["finished"] is True
    # the progress bar's length is what the walk finds: the resumed run counts every file
    assert sum(counted) == sum(1 for _ in walk([str(root)], opts.max_size)) > seen


def test_roots_inside_other_roots_are_looked_at_once(tmp_path: Path) -> None:
    site = tmp_path / "site"
    (site / "u1").mkdir(parents=True)
    job = site / "u1" / "job.sh"
    job.write_text("#!/bin/bash\n#SBATCH -p gtest\n")
    (tmp_path / "alias").symlink_to(site)  # a root that is a symlink is reported, not walked
    p = cli(
        "bulk",
        str(site / "u1"),
        str(site),
        str(job),
        str(site),
        str(tmp_path / "alias"),
        "--no-cache",
        "--report-dir",
        str(tmp_path / "r"),
    )
    assert p.returncode == 0, p.stderr
    assert f"note: {site / 'u1'} is inside {site}: its files are looked at once" in p.stderr
    records = [json.loads(x) for x in (tmp_path / "r" / "files.jsonl").read_text().splitlines()]
    assert sorted((r["path"], r["status"]) for r in records) == [
        (str(tmp_path / "alias"), "symlink"),
        (str(job), "would-change"),
    ]
    assert json.loads((tmp_path / "r" / "run.json").read_text())["roots"] == [str(site), str(tmp_path / "alias")]


def test_backups_and_reports_inside_the_tree_are_never_migrated(tmp_path: Path) -> None:
    """`cd /home && sbatch-migrate bulk . --write`, twice: the default backup and report
    folders are inside the tree.  The second run must not migrate the first run's backups
    (restore would then find them not matching their manifest), nor its reports."""
    site = tmp_path / "site"
    (site / "u1").mkdir(parents=True)
    jobs = []
    for i in range(30):
        job = site / "u1" / f"job{i}.sh"
        job.write_bytes(b"#!/bin/bash\n#SBATCH -p gtest\nmodule load singularity\nsrun true\n")
        jobs.append(job)
    original = jobs[0].read_bytes()
    first = cli("bulk", ".", "--write", "--no-cache", "-q", cwd=site)
    assert first.returncode == 0, first.stderr
    backups = site / "sbatch-migrate-backups"
    saved = {p: p.read_bytes() for p in backups.rglob("*") if p.is_file()}
    assert len([p for p in saved if "/files/" in str(p)]) == 30
    second = cli("bulk", ".", "--write", "--no-cache", "-q", cwd=site)
    assert second.returncode == 0, second.stderr
    assert {p: p.read_bytes() for p in backups.rglob("*") if p.is_file()} == saved
    statuses = json.loads((site / "sbatch-migrate-report" / "summary.json").read_text())["statuses"]
    assert statuses == {"sbatch-migrate-folder": 2, "unchanged": 30}
    restored = cli("restore", str(backups))
    assert restored.returncode == 0, restored.stderr
    assert all(j.read_bytes() == original for j in jobs)


def test_restore_undoes_two_runs_that_rewrote_the_same_file(tmp_path: Path) -> None:
    """A second run with another partition map rewrites the migrated file again; restore
    of the whole backup folder brings back the very original."""
    site = tmp_path / "site"
    (site / "u1").mkdir(parents=True)
    job = site / "u1" / "job.sh"
    original = b"#!/bin/bash\n#SBATCH -p gtest\nmodule load singularity\nsrun true\n"
    job.write_bytes(original)
    common = ["bulk", str(site), "--write", "--no-cache", "-q", "--backup-dir", str(tmp_path / "b")]
    assert cli(*common, "--report-dir", str(tmp_path / "r1")).returncode == 0
    once = job.read_bytes()
    time.sleep(1.1)  # run ids are stamped to the second
    assert cli(*common, "--report-dir", str(tmp_path / "r2"), "--partition-map", "slinky=gpu").returncode == 0
    assert job.read_bytes() not in (original, once)
    p = cli("restore", str(tmp_path / "b"))
    assert p.returncode == 0, p.stderr
    assert job.read_bytes() == original


def test_a_report_folder_in_use_by_another_run_is_refused(tmp_path: Path) -> None:
    import fcntl

    site = tmp_path / "site"
    site.mkdir()
    (site / "job.sh").write_text("#!/bin/bash\n#SBATCH -p gtest\n")
    report = tmp_path / "r"
    assert cli("bulk", str(site), "--report-dir", str(report), "--no-cache", "-q").returncode == 0
    journal = (report / "files.jsonl").read_bytes()
    with open(report / ".lock", "w") as held:  # what a run under way holds
        fcntl.flock(held, fcntl.LOCK_EX)
        p = cli("bulk", str(site), "--report-dir", str(report), "--no-cache", "-q", "--write")
    assert p.returncode == 2 and "in use by another sbatch-migrate run" in p.stderr
    assert (report / "files.jsonl").read_bytes() == journal
    assert (site / "job.sh").read_text() == "#!/bin/bash\n#SBATCH -p gtest\n"
    assert cli("bulk", str(site), "--report-dir", str(report), "--no-cache", "-q").returncode == 0


def test_a_report_folder_without_locks_still_works(tmp_path: Path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """NFS without a lock service answers ENOLCK: the run goes on, unguarded."""
    import errno
    import fcntl

    def no_locks(fd: int, op: int) -> None:
        raise OSError(errno.ENOLCK, "No locks available")

    monkeypatch.setattr(fcntl, "flock", no_locks)
    with bulk.report_lock(tmp_path / "r"):
        pass


def test_markdown_report_keeps_odd_file_names_inside_their_code_spans(tmp_path: Path) -> None:
    """File names are the users' own: a backtick, a pipe, HTML or a newline in one must not
    end its code span, the list or the table of report.md (rendered here as CommonMark)."""
    from markdown_it import MarkdownIt

    site = tmp_path / "site"
    site.mkdir()
    names = ["plain.sh", "tick`s.sh", "``double.sh", "pipe|and<img src=x onerror=alert(1)>.sh", "new\nline.sh"]
    for name in names:
        (site / name).write_text("#!/bin/bash\n#SBATCH -p nosuchpartition\n")
    p = cli("bulk", str(site), "--no-cache", "-q", "--report-dir", str(tmp_path / "r"))
    assert p.returncode == 0, p.stderr
    text = (tmp_path / "r" / "report.md").read_text()
    tokens = MarkdownIt("commonmark").enable("table").parse(text)
    assert not [tok for tok in tokens if tok.type.startswith("html")]
    inline = [tok for tok in tokens if tok.type == "inline"]
    spans = [child.content for tok in inline for child in tok.children or [] if child.type == "code_inline"]
    assert sorted(spans) == sorted(str(site / n).replace("\n", "\\n") for n in names)
    headings = [tokens[i + 1].content for i, tok in enumerate(tokens) if tok.type == "heading_open"]
    assert headings == [
        "sbatch-migrate bulk report",
        "Needs a human",
        f"{pwd.getpwuid(os.getuid()).pw_name}: 5 file(s) with errors",
        "Findings by rule",
        "Users",
    ]
    assert sum(1 for tok in tokens if tok.type == "list_item_open") == 4 + 5  # the totals, then one per file


@pytest.mark.parametrize("option", ["--report-dir", "--backup-dir", "--out-dir"])
def test_an_unwritable_folder_of_the_run_is_a_usage_error(tmp_path: Path, option: str) -> None:
    site = tmp_path / "site"
    site.mkdir()
    (site / "job.sh").write_text("#!/bin/bash\n#SBATCH -p gtest\n")
    blocker = tmp_path / "a-file"
    blocker.write_text("")
    extra = ["--report-dir", str(tmp_path / "r")] if option != "--report-dir" else []
    p = cli("bulk", str(site), "--write", "--no-cache", *extra, option, str(blocker / "sub"))
    assert p.returncode == 2
    assert f"{option} {blocker / 'sub'}: cannot write there" in p.stderr and "Traceback" not in p.stderr
    assert (site / "job.sh").read_text() == "#!/bin/bash\n#SBATCH -p gtest\n"


def test_file_names_that_are_not_utf8_are_migrated_reported_cached_and_restored(tmp_path: Path) -> None:
    """Big5 file and folder names from an old system: Python holds their bytes as lone
    surrogates, which UTF-8 cannot encode.  The run must not crash on them; the records
    name them so that they read back to the same bytes."""
    site = tmp_path / "site"
    folder = os.fsencode(site / "u1") + b"/\xb3\xe6\xa4\xe5"  # Big5 for a two-character name
    os.makedirs(folder)
    names = [
        folder + b"/job.sh",
        os.fsencode(site / "u1") + b"/\xa7@\xb7~.sh",
        os.fsencode(site / "u1") + b"/bad\xff.sh",
    ]
    original = b"#!/bin/bash\n#SBATCH -p gtest\nmodule load singularity\n"
    for name in names:
        with open(name, "wb") as fh:
            fh.write(original)
    args = ["bulk", str(site), "--cache-dir", str(tmp_path / "cache"), "--backup-dir", str(tmp_path / "b")]
    for attempt, extra in enumerate([[], ["--write"], ["--write"]]):
        p = cli(*args, *extra, "--report-dir", str(tmp_path / f"r{attempt}"))
        assert p.returncode == 0, p.stderr
        report = tmp_path / f"r{attempt}"
        for name in ("files.jsonl", "report.json", "summary.json", "report.md", "report.html"):
            (report / name).read_bytes().decode("utf-8")  # all valid UTF-8
        records = [json.loads(line) for line in (report / "files.jsonl").read_text().splitlines()]
        assert sorted(os.fsencode(r["path"]) for r in records) == sorted(names)
        assert {r["status"] for r in records} == [{"would-change"}, {"written"}, {"unchanged"}][attempt]
        assert len(json.loads((report / "report.json").read_text())["files"]) == 3
    assert all(open(n, "rb").read() != original for n in names)
    p = cli("restore", str(tmp_path / "b"))
    assert p.returncode == 0, p.stderr
    assert all(open(n, "rb").read() == original for n in names)


@given(st.text(alphabet=st.characters(codec=None, exclude_categories=())))
def test_json_text_is_always_utf8_and_reads_back(text: str) -> None:
    from sbatch_migrate.output.report import json_text

    line = json_text({"path": text})
    line.encode("utf-8")
    assert json.loads(line) == {"path": text}
    if not any(0xD800 <= ord(c) <= 0xDFFF for c in text):
        assert line == json.dumps({"path": text}, ensure_ascii=False)  # readable as it is


_JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(alphabet=st.characters(codec=None, exclude_categories=())),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner, max_size=3),
    max_leaves=12,
)


@settings(deadline=None)
@given(st.dictionaries(st.text(alphabet=st.characters(codec=None, exclude_categories=())), _JSON_VALUES, max_size=6))
def test_summary_json_layout_reads_back_as_the_same_data(obj: dict) -> None:
    from sbatch_migrate.output.report import json_outline

    text = json_outline(obj)
    text.encode("utf-8")  # writable as UTF-8, even with a name that is not
    assert json.loads(text) == obj
    # one line per key, and one per entry of an object (a user, a rule) between its braces
    # (JSON text holds no raw newline inside a string)
    per_key = [len(v) + 2 if isinstance(v, dict) and v else 1 for v in obj.values()]
    assert text.count("\n") + 1 == (sum(per_key) + 2 if obj else 1)


_NAMES = st.text(alphabet=st.characters(codec=None, exclude_categories=()), min_size=1, max_size=8)


@settings(deadline=None)
@given(
    st.lists(
        st.tuples(
            _NAMES | st.sampled_from(["</script>", "u1", "陳"]),  # user
            _NAMES | st.sampled_from(["/home/u1/job.sh", "</script><b>", "/home/\udcb3\\"]),  # path
            st.sampled_from(["written", "would-change", "unchanged", "error", "changed-meanwhile"]),
            st.lists(st.sampled_from([("SM101", "partition-rename", "error"), ("SM301", "ucx-fabric", "warning")])),
            st.booleans(),
        ),
        max_size=12,
    )
)
def test_the_reports_written_a_piece_at_a_time_are_the_whole_texts(records: list) -> None:  # type: ignore[type-arg]
    """summary.json, the summary in report.json and report.html, and report.md are written a
    user's entry at a time from a lazy user table: the same text as rendering the whole
    summary at once, with names that are not UTF-8 and names that could close a <script>."""
    from sbatch_migrate.bulk.reports import Aggregate, html_page, markdown
    from sbatch_migrate.output.report import json_outline, json_pieces, json_text

    agg = Aggregate()
    for user, path, status, findings, fixed in records:
        found = [
            {"code": c, "rule": r, "severity": sev, "fixed": fixed, "line": 1, "message": "m"} for c, r, sev in findings
        ]
        agg.add({"path": path, "user": user, "status": status, "changed": fixed, "findings": found, "detail": "d"})
    lazy, whole = agg.summary(lazy=True), agg.summary()
    assert "".join(json_pieces(lazy)) == json_text(whole)
    assert json.loads("".join(json_pieces(lazy))) == whole
    assert json_outline(lazy) == json_outline(whole) and json.loads(json_outline(lazy)) == whole
    assert markdown(lazy) == markdown(whole)
    page = html_page(lazy, agg.drill_down())
    assert page == html_page(whole, agg.drill_down())
    assert page.count("</script>") == html_page({}, None).count("</script>")  # no name closed it


def test_a_hard_linked_file_is_replaced_and_its_other_names_reported(tmp_path: Path) -> None:
    site = tmp_path / "site"
    site.mkdir()
    job = site / "job.sh"
    original = b"#!/bin/bash\n#SBATCH -p gtest\n"
    job.write_bytes(original)
    elsewhere = tmp_path / "job-link.sh"  # outside the tree
    os.link(job, elsewhere)
    p = cli("bulk", str(site), "--write", "--no-cache", "-q", "--report-dir", str(tmp_path / "r"))
    assert p.returncode == 0, p.stderr
    [record] = _records(tmp_path / "r").values()
    assert record["status"] == "written" and "2 hard links" in str(record["detail"])
    assert elsewhere.read_bytes() == original and job.read_bytes() != original


def test_extended_attributes_survive_the_rewrite_and_the_restore(tmp_path: Path) -> None:
    """A replaced file is a new inode: its ACL (an extended attribute) and other
    attributes are set on it again, or the file is not replaced."""
    site, job = _one_job(tmp_path)
    try:
        os.setxattr(job, "user.project", b"GOV109999")
    except OSError:
        pytest.skip("this file system keeps no extended attributes")
    # a POSIX ACL giving user 1234 read access (what `setfacl -m u:1234:r` stores)
    entries = [(0x01, 6, -1), (0x02, 4, 1234), (0x04, 4, -1), (0x10, 4, -1), (0x20, 0, -1)]
    acl = struct.pack("<I", 2) + b"".join(
        struct.pack("<HHI", tag, perm, ident & 0xFFFFFFFF) for tag, perm, ident in entries
    )
    try:
        os.setxattr(job, "system.posix_acl_access", acl)
        kept = {"user.project": b"GOV109999", "system.posix_acl_access": acl}
    except OSError:  # a file system without ACLs: the user attribute shows the same
        kept = {"user.project": b"GOV109999"}
    args = ["bulk", str(site), "--write", "--no-cache", "-q", "--backup-dir", str(tmp_path / "b")]
    assert cli(*args, "--report-dir", str(tmp_path / "r")).returncode == 0
    assert b"slinky" in job.read_bytes() and {k: os.getxattr(job, k) for k in kept} == kept
    assert cli("restore", str(tmp_path / "b")).returncode == 0
    assert b"gtest" in job.read_bytes() and {k: os.getxattr(job, k) for k in kept} == kept


def test_file_system_layout_attributes_are_not_copied(tmp_path: Path) -> None:
    """trusted.* (Lustre keeps a file's striping as trusted.lov / lustre.lov) describes
    where the data lies: a new file gets its folder's layout, and copying it could only fail."""
    site, job = _one_job(tmp_path)
    try:
        os.setxattr(job, "trusted.lov", b"layout")
        os.setxattr(job, "user.keep", b"1")
    except OSError:
        pytest.skip("cannot set trusted.* attributes here (needs root and a file system keeping them)")
    p = _write_run(site, tmp_path)
    assert p.returncode == 0, p.stderr
    assert b"slinky" in job.read_bytes()
    assert os.listxattr(job) == ["user.keep"]


def test_a_file_whose_attributes_cannot_be_kept_is_not_replaced(tmp_path: Path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    site = tmp_path / "site"
    site.mkdir()
    job = site / "job.sh"
    original = b"#!/bin/bash\n#SBATCH -p gtest\n"
    job.write_bytes(original)
    try:
        os.setxattr(job, "user.acl-like", b"x")
    except OSError:
        pytest.skip("this file system keeps no extended attributes")
    [candidate] = list(walk([str(site)], 1 << 20))

    def refuse(*args: object) -> None:
        raise OSError(95, "Operation not supported")

    monkeypatch.setattr(os, "setxattr", refuse)
    bulk._init_worker(bulk.Options(roots=[str(site)], profile=load(), rules=list(RULES), write=True))
    outcome = bulk.process(candidate)
    assert outcome.status == "write-failed" and "user.acl-like" in outcome.line
    assert job.read_bytes() == original and sorted(os.listdir(site)) == ["job.sh"]


def test_restore_of_an_unknown_run_or_folder_is_an_error(tmp_path: Path) -> None:
    site = tmp_path / "site"
    site.mkdir()
    (site / "job.sh").write_text("#!/bin/bash\n#SBATCH -p gtest\n")
    backups = tmp_path / "b"
    assert (
        cli(
            "bulk",
            str(site),
            "--write",
            "--no-cache",
            "-q",
            "--backup-dir",
            str(backups),
            "--report-dir",
            str(tmp_path / "r"),
        ).returncode
        == 0
    )
    [run] = [p.name for p in backups.iterdir() if p.is_dir()]
    p = cli("restore", str(backups), "--run", "20990101-000000-abcdef")
    assert p.returncode == 2 and f"no run 20990101-000000-abcdef there (runs: {run})" in p.stderr
    p = cli("restore", str(site))
    assert p.returncode == 2 and "no backups of a bulk --write run there" in p.stderr
    assert (site / "job.sh").read_text() == "#!/bin/bash\n#SBATCH -p slinky\n"
    assert cli("restore", str(backups), "--run", run).returncode == 0
    assert (site / "job.sh").read_text() == "#!/bin/bash\n#SBATCH -p gtest\n"


def test_fifo_is_skipped_not_opened(tmp_path: Path) -> None:
    root = tmp_path / "site"
    root.mkdir()
    os.mkfifo(root / "pipe.sh")  # opening it would block forever
    (root / "job.sh").write_text("#!/bin/bash\n#SBATCH -p gtest\n")
    p = cli("bulk", str(root), "--no-cache", "--report-dir", str(tmp_path / "r"), "-q")
    assert p.returncode == 0, p.stderr
    statuses = json.loads((tmp_path / "r" / "summary.json").read_text())["statuses"]
    assert statuses == {"special-file": 1, "would-change": 1}


def test_file_replaced_by_a_fifo_after_the_walk_is_not_waited_on(tmp_path: Path) -> None:
    """The walk saw a regular file; by the time a worker opens it, it is a FIFO."""
    path = tmp_path / "job.sh"
    path.write_text("#!/bin/bash\n#SBATCH -p gtest\n")
    [candidate] = list(walk([str(tmp_path)], 1 << 20))
    path.unlink()
    os.mkfifo(path)
    bulk._init_worker(bulk.Options(roots=[str(tmp_path)], profile=load(), rules=list(RULES)))

    def hung(signum: int, frame: object) -> None:
        raise TimeoutError("the worker waited on the FIFO")

    previous = signal.signal(signal.SIGALRM, hung)
    signal.alarm(5)  # a blocking open would hang here: fail instead
    try:
        outcome = bulk.process(candidate)
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)
    assert outcome.status == "not-a-regular-file"


def test_binary_files_are_read_no_further_than_their_first_block(tmp_path: Path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """A data file with a NUL early on costs one block; one whose only NUL comes late, or
    a text file, is read whole (and the late NUL still makes it binary)."""
    early = tmp_path / "weights.dat"
    early.write_bytes(b"#SBATCH -p gtest\n\x00" + b"x" * 400_000)
    late = tmp_path / "late.sh"
    late.write_bytes(b"#!/bin/bash\n#SBATCH -p gtest\n" + b"#" * 20_000 + b"\x00\n")
    text = tmp_path / "notes.sh"
    text.write_bytes(b"#!/bin/bash\n#SBATCH -p gtest\n" + b"# note\n" * 30_000)
    bulk._init_worker(bulk.Options(roots=[str(tmp_path)], profile=load(), rules=list(RULES)))
    read: dict[str, int] = {}
    real_read = os.read

    def counting_read(fd: int, n: int) -> bytes:
        chunk = real_read(fd, n)
        name = os.readlink(f"/proc/self/fd/{fd}")
        read[name] = read.get(name, 0) + len(chunk)
        return chunk

    monkeypatch.setattr(bulk.os, "read", counting_read)
    by_name = {Path(c.path).name: c for c in walk([str(tmp_path)], 1 << 20)}
    assert bulk.process(by_name["weights.dat"]).status == "binary"
    assert bulk.process(by_name["late.sh"]).status == "binary"
    assert bulk.process(by_name["notes.sh"]).status == "would-change"
    assert read[str(early)] == bulk.SNIFF
    assert read[str(late)] == late.stat().st_size
    assert read[str(text)] == text.stat().st_size


def _swap_for_symlink(folder: Path, to: Path) -> Path:
    """What a user racing a root run does: their folder becomes a symlink elsewhere."""
    real = folder.with_name(folder.name + ".real")
    folder.rename(real)
    folder.symlink_to(to)
    return real


def _site_with_decoy(tmp_path: Path) -> tuple[Path, Path, Path, bytes]:
    """A tree with one job script, and outside it a folder (think /etc/profile.d) holding
    a file of the same name that a migration would change."""
    root = tmp_path / "home"
    jobs = root / "u1" / "jobs"
    jobs.mkdir(parents=True)
    (jobs / "job.sh").write_bytes(b"#!/bin/bash\n#SBATCH -p gtest\nmodule load singularity\n")
    outside = tmp_path / "elsewhere" / "jobs"
    outside.mkdir(parents=True)
    decoy = b"#!/bin/bash\n#SBATCH -p gp1d\nmodule load singularity\nsrun true\n"
    (outside / "job.sh").write_bytes(decoy)
    return root, jobs, outside, decoy


@pytest.mark.parametrize("swapped", ["u1", "u1/jobs"])
def test_folder_swapped_for_a_symlink_after_the_walk_is_not_followed(tmp_path: Path, swapped: str) -> None:
    root, _, outside, decoy = _site_with_decoy(tmp_path)
    [candidate] = list(walk([str(root)], 1 << 20))
    _swap_for_symlink(root / swapped, outside if swapped == "u1/jobs" else outside.parent)  # same relative path
    bulk._init_worker(bulk.Options(roots=[str(root)], profile=load(), rules=list(RULES), write=True))
    outcome = bulk.process(candidate)
    assert outcome.status == "symlink" and "not followed" in outcome.line
    assert (outside / "job.sh").read_bytes() == decoy
    assert sorted(os.listdir(outside)) == ["job.sh"]  # no temporary file either


def test_folder_swapped_while_the_file_is_migrated_cannot_redirect_the_write(tmp_path: Path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    root, jobs, outside, decoy = _site_with_decoy(tmp_path)
    [candidate] = list(walk([str(root)], 1 << 20))
    expected = expected_output(jobs / "job.sh")
    from sbatch_migrate.fix import engine

    real_migrate = engine.migrate
    moved: list[Path] = []

    def migrate_then_swap(*args, **kwargs):  # type: ignore[no-untyped-def]
        result = real_migrate(*args, **kwargs)
        moved.append(_swap_for_symlink(jobs, outside))  # between the read and the write
        return result

    monkeypatch.setattr(engine, "migrate", migrate_then_swap)  # campaign imports it when a file needs it
    bulk._init_worker(bulk.Options(roots=[str(root)], profile=load(), rules=list(RULES), write=True))
    outcome = bulk.process(candidate)
    assert moved and (outside / "job.sh").read_bytes() == decoy
    assert sorted(os.listdir(outside)) == ["job.sh"]
    # the write went to the file that was read, in its own (renamed) folder
    assert outcome.status == "written"
    assert (moved[0] / "job.sh").read_bytes() == expected != decoy


def test_restore_does_not_follow_a_folder_swapped_for_a_symlink(tmp_path: Path) -> None:
    from sbatch_migrate.bulk.backup import restore

    root, jobs, outside, _ = _site_with_decoy(tmp_path)
    backups = tmp_path / "backups"
    opts = bulk.Options(roots=[str(root)], profile=load(), rules=list(RULES), write=True, backup_dir=backups)
    assert bulk.run(opts).counts == {"written": 1}
    migrated = (jobs / "job.sh").read_bytes()
    (outside / "job.sh").write_bytes(migrated)  # so that restore would take it for the migrated file
    _swap_for_symlink(jobs, outside)
    [result] = list(restore(backups))
    assert result.status == "error" and "symlink" in result.detail
    assert (outside / "job.sh").read_bytes() == migrated
    assert sorted(os.listdir(outside)) == ["job.sh"]


def test_a_run_in_process_leaves_no_descriptor_open(homes: tuple[Path, list[Path]], tmp_path: Path) -> None:
    root, _ = homes
    opts = bulk.Options(roots=[str(root)], profile=load(), rules=list(RULES), report_dir=tmp_path / "r")
    bulk.run(opts)  # the first run opens what stays open for the process (the parser ...)
    before = sorted(os.listdir("/proc/self/fd"))
    for _ in range(3):
        assert bulk.run(opts).counts["would-change"] > 0
    assert sorted(os.listdir("/proc/self/fd")) == before


@pytest.mark.parametrize(
    ("changed", "named"),
    [
        (["--write"], "--write"),
        (["--partition-map", "gtest=other"], "profile"),
        (["--shard", "1/2"], "--shard"),
        (["--max-size", "2KiB"], "--max-size"),
    ],
)
def test_resume_with_other_options_is_refused(
    homes: tuple[Path, list[Path]], tmp_path: Path, changed: list[str], named: str
) -> None:
    """A dry run's files are recorded as done: resumed with --write they would be skipped
    and never written.  A resume must continue the same run, else it says so and stops."""
    root, _ = homes
    before = snapshot(root)
    report = tmp_path / "r"
    args = ["bulk", str(root), "--no-cache", "--report-dir", str(report), "-q"]
    assert cli(*args).returncode == 0
    journal = (report / "files.jsonl").read_bytes()
    p = cli(*args, *changed, "--resume")
    assert p.returncode == 2
    assert "--resume" in p.stderr and named in p.stderr and "Traceback" not in p.stderr
    assert snapshot(root) == before and (report / "files.jsonl").read_bytes() == journal
    p = cli(*args[:-1], "--resume")  # the same options: fine (and the summary says what was done before)
    assert p.returncode == 0 and "0 files in" in p.stderr
    assert f"(and {len(journal.splitlines())} recorded before the run resumed)" in p.stderr


@pytest.mark.parametrize("bad", ["3", "4/4", "-1/2", "a/b"])
def test_bad_shard_is_a_usage_error(bad: str, tmp_path: Path) -> None:
    p = cli("bulk", str(tmp_path), "--shard", bad)
    assert p.returncode == 2 and "K/N" in p.stderr


def _records(report: Path) -> dict[str, dict[str, object]]:
    return {r["path"]: r for r in (json.loads(x) for x in (report / "files.jsonl").read_text().splitlines())}


def _age(paths: list[Path]) -> None:
    """Make files look written a minute ago (so that cache entries are not racy)."""
    old = time.time_ns() - 60 * 10**9
    for p in paths:
        os.utime(p, ns=(old, old), follow_symlinks=False)


def test_cache_serves_unchanged_files_and_same_contents(homes: tuple[Path, list[Path]], tmp_path: Path) -> None:
    root, jobs = homes
    _age([p for p in root.rglob("*") if p.is_file() and not p.is_symlink()])
    cache = tmp_path / "cache"
    first = cli("bulk", str(root), "--report-dir", str(tmp_path / "r1"), "--cache-dir", str(cache), "-q")
    assert first.returncode == 0
    before = _records(tmp_path / "r1")
    touched, edited, copied = jobs[0], jobs[1], jobs[2]
    os.utime(touched, ns=(time.time_ns(), time.time_ns()))  # same content, new stat data
    # new content, same size, and the old mtime put back: only ctime tells
    old = os.stat(edited)
    size = len(edited.read_bytes())
    short = b"#!/bin/bash\n#SBATCH -p gtest\n"
    edited.write_bytes(short + b"#" * (size - len(short) - 1) + b"\n")
    os.utime(edited, ns=(old.st_atime_ns, old.st_mtime_ns))
    copy = copied.parent / "copy-of-job.sh"
    copy.write_bytes(copied.read_bytes())
    second = cli("bulk", str(root), "--report-dir", str(tmp_path / "r2"), "--cache-dir", str(cache), "-q")
    assert second.returncode == 0
    after = _records(tmp_path / "r2")
    # unchanged files: from the cache, record for record
    for path, record in after.items():
        if path in (str(touched), str(edited), str(copy)) or "findings" not in record:
            continue
        assert record.pop("cached") is True and record == before[path]
    # touched: from the cache by content; copied: the same, under its own path
    assert after[str(touched)].pop("cached") is True and after[str(touched)] == before[str(touched)]
    assert after[str(copy)]["cached"] is True
    assert after[str(copy)]["findings"] == before[str(copied)]["findings"]
    # edited in place with its mtime restored: migrated again, the edit is seen
    assert "cached" not in after[str(edited)]
    assert [f["code"] for f in after[str(edited)]["findings"]] == ["SM101"]
    s1 = json.loads((tmp_path / "r1" / "summary.json").read_text())
    s2 = json.loads((tmp_path / "r2" / "summary.json").read_text())
    assert s2["job_scripts"] == s1["job_scripts"] + 1


def test_files_that_are_not_job_scripts_are_kept_by_stat_data_and_not_hashed(tmp_path: Path) -> None:
    """The cache keeps a binary file or a file that is not a job script by its stat data
    alone, in its folder's row: unchanged, it is answered from the cache; touched or
    copied, it is read and its kind tested again (no digest to find it by); made a job
    script in place with its mtime put back, it is migrated.  Only job scripts have rows
    of their own, and digests."""
    root = tmp_path / "home"
    (root / "a").mkdir(parents=True)
    notes, blob, job = root / "a" / "notes.txt", root / "a" / "data.bin", root / "a" / "job.sh"
    notes.write_bytes(b"# srun and sbatch, in prose\n" + b"x" * 300 + b"\n")
    blob.write_bytes(b"\x00\x01srun" * 50)
    job.write_bytes(b"#!/bin/bash\n#SBATCH -p gtest\nsrun hostname\n")
    _age([notes, blob, job])
    time.sleep(RACY_NS / 1e9 + 0.1)  # their ctime too: a racy entry is checked by content
    cache = tmp_path / "cache"
    run = lambda name: cli("bulk", str(root), "--report-dir", str(tmp_path / name), "--cache-dir", str(cache), "-q")  # noqa: E731
    assert run("r1").returncode == 0
    first = _records(tmp_path / "r1")
    assert [first[str(p)]["status"] for p in (notes, blob, job)] == ["not-a-job-script", "binary", "would-change"]
    with sqlite3.connect(cache / "results.sqlite") as db:
        hashed = {os.fsdecode(p) for (p,) in db.execute("select path from results where digest != '-'")}
        rows = {os.fsdecode(p) for (p,) in db.execute("select path from results")}
        ((files,),) = db.execute("select files from folders where path = ?", (os.fsencode(root / "a"),)).fetchall()
    assert hashed == rows == {str(job)}
    assert {(name, status) for _, entries in json.loads(files) for name, *_, status, _ in entries} == {
        ("notes.txt", "not-a-job-script"),
        ("data.bin", "binary"),
    }
    # a new file in the folder: the folder is not answered whole, its files by stat data
    (root / "a" / "new.txt").write_bytes(b"hello\n")
    assert run("r2").returncode == 0
    second = _records(tmp_path / "r2")
    for p in (notes, blob, job):
        assert second[str(p)].pop("cached") is True and second[str(p)] == first[str(p)]
    # touched, copied, and a prose file turned into a job script with its mtime put back
    os.utime(notes, ns=(time.time_ns(), time.time_ns()))
    (root / "a" / "copy.bin").write_bytes(blob.read_bytes())
    old = os.stat(root / "a" / "new.txt")
    (root / "a" / "new.txt").write_bytes(b"#!/bin/bash\n#SBATCH -p gtest\n")
    os.utime(root / "a" / "new.txt", ns=(old.st_atime_ns, old.st_mtime_ns))
    assert run("r3").returncode == 0
    third = _records(tmp_path / "r3")
    assert "cached" not in third[str(notes)] and third[str(notes)] == first[str(notes)]
    copy = third[str(root / "a" / "copy.bin")]
    assert "cached" not in copy and copy["status"] == "binary"
    assert third[str(root / "a" / "new.txt")]["status"] == "would-change"
    assert third[str(job)].pop("cached") is True and third[str(job)] == first[str(job)]
    # kept by the folder's row the second run wrote, which answered it by its stat data
    assert third[str(blob)].pop("cached") is True and third[str(blob)] == first[str(blob)]


@pytest.mark.parametrize(
    "options",
    [["--partition-map", "gtest=other"], ["--ignore", "SM101"]],
)
def test_cache_is_not_used_across_profiles_or_rules(tmp_path: Path, options: list[str]) -> None:
    """Results depend on the profile (a --partition-map too) and the rules: a run with
    others never gets the cached results of the first."""
    root = tmp_path / "site" / "u1"
    root.mkdir(parents=True)
    job = root / "job.sh"
    job.write_bytes(b"#!/bin/bash\n#SBATCH -p gtest\nsrun true\n")
    _age([job])
    args = ["bulk", str(root.parent), "--cache-dir", str(tmp_path / "cache"), "-q"]
    assert cli(*args, "--report-dir", str(tmp_path / "r1")).returncode == 0
    assert cli(*args, "--report-dir", str(tmp_path / "r2"), *options).returncode == 0
    first, second = _records(tmp_path / "r1")[str(job)], _records(tmp_path / "r2")[str(job)]
    assert "cached" not in second
    assert second != first
    # and the same options again: served from the cache
    assert cli(*args, "--report-dir", str(tmp_path / "r3"), *options).returncode == 0
    third = _records(tmp_path / "r3")[str(job)]
    assert third.pop("cached") is True and third == second


@pytest.mark.parametrize(
    ("first", "second", "data"),
    [
        # a Makefile's recipes, and the same bytes as a job script
        ("a/Makefile", "b/job", b"#SBATCH -p gtest\nall:\n\tsrun -p gtest x\n"),
        # a Python launcher (no shebang: by its name), and the same bytes read as bash
        ("a/launch.py", "b/launch.PY", b"import subprocess\nsubprocess.run(['sbatch', '-p', 'gtest', 'j.sh'])\n"),
    ],
)
def test_cache_reuses_a_result_only_for_the_same_bytes_under_a_name_that_reads_them_alike(
    tmp_path: Path, first: str, second: str, data: bytes
) -> None:
    """The same bytes are not always the same result: a Makefile is read by its own
    grammar, a file named ``job`` as a job script; ``x.py`` is Python, ``x.PY`` bash.  A
    file touched since the last run (read again, looked up by content) gets its own
    result, not the one stored for the other name."""
    root = tmp_path / "site"
    for name in (first, second):
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_bytes(data)
    _age([root / first, root / second])
    cache = tmp_path / "cache"
    fresh = _options(root, tmp_path / "r0", None, 1)
    bulk.run(fresh)
    expected = _records(tmp_path / "r0")
    assert expected[str(root / first)]["findings"] != expected[str(root / second)]["findings"]
    bulk.run(_options(root, tmp_path / "r1", cache, 1))
    os.utime(root / second, ns=(time.time_ns() - 10**10, time.time_ns() - 10**10))  # same bytes, new stat data
    bulk.run(_options(root, tmp_path / "r2", cache, 1))
    again = _records(tmp_path / "r2")
    for name in (first, second):
        record = again[str(root / name)]
        record.pop("cached", None)
        assert record == expected[str(root / name)]


def test_cache_entries_of_files_written_just_now_are_checked_by_content(tmp_path: Path) -> None:
    """A file changed in the clock tick its entry was written in would keep its stat data:
    such racy entries are not trusted on stat data alone."""
    root = tmp_path / "site"
    root.mkdir()
    job = root / "job.sh"
    job.write_bytes(b"#!/bin/bash\n#SBATCH -p gtest\n")
    cache = tmp_path / "cache"
    for report in ("r1", "r2"):
        p = cli("bulk", str(root), "--report-dir", str(tmp_path / report), "--cache-dir", str(cache), "-q")
        assert p.returncode == 0
    # the second run read the file (racy entry) and found its content in the cache
    [record] = _records(tmp_path / "r2").values()
    assert record["cached"] is True and record["status"] == "would-change"


_names = st.text(st.characters(blacklist_characters="\x1e\x1f"), min_size=1, max_size=12)


@given(st.lists(st.text(alphabet=st.characters(blacklist_characters="\n"), max_size=30), max_size=20))
def test_a_folders_record_spans_find_each_record_in_its_text(lines: list[str]) -> None:
    text = "\n".join(lines)
    assert [text[start:end] for start, end in spans(lines)] == lines


@given(
    st.one_of(
        st.none(),
        st.builds(
            Tally,
            st.just("/home/u1/job.sh"),
            _names,
            st.booleans(),
            st.lists(
                st.tuples(
                    _names,
                    _names,
                    st.sampled_from(["error", "warning", "info"]),
                    st.booleans(),
                    st.sampled_from(["", "/home", "/work"]),  # a decision's group: a top folder
                )
            ).map(tuple),
            # the cache keeps only finished states (CACHEABLE): no NOT_DONE detail
            status=st.sampled_from(["unchanged", "would-change"]).map(lambda s: ""),
            detail=st.just(""),
            job_script=st.just(True),
        ),
    )
)
def test_cached_tally_round_trips(tally: Tally | None) -> None:
    assert untally("/home/u1/job.sh", dump_tally(tally)) == tally


def test_out_dir_mirror(homes: tuple[Path, list[Path]], tmp_path: Path) -> None:
    root, jobs = homes
    before = snapshot(root)
    p = cli("bulk", str(root), "--out-dir", str(tmp_path / "m"), "--no-cache", "-q")
    assert p.returncode == 0
    assert snapshot(root) == before
    for j in jobs:
        assert (tmp_path / "m" / str(j).lstrip("/")).read_bytes() == expected_output(j)


def test_emit_array_job(tmp_path: Path) -> None:
    p = cli("bulk", "/home", "--write", "--emit-array-job", "8", "--report-dir", str(tmp_path / "r"))
    assert p.returncode == 0
    script = p.stdout
    assert script.startswith("#!/bin/bash\n") and "#SBATCH --array=0-7" in script
    assert '--shard "${SLURM_ARRAY_TASK_ID}/8" --resume' in script and "--write" in script and "/home" in script
    assert subprocess.run(["bash", "-n"], input=script, text=True, check=False).returncode == 0


def test_missing_root_is_an_error(tmp_path: Path) -> None:
    for command in ("bulk", "inventory"):
        p = cli(command, str(tmp_path / "nope"))
        assert p.returncode == 2 and "nope: No such file or directory" in p.stderr


def test_keep_mtime(tmp_path: Path) -> None:
    root = tmp_path / "site"
    root.mkdir()
    job = root / "job.sh"
    job.write_bytes((ROOT / "examples" / "hello_twcc.sh").read_bytes())
    os.utime(job, ns=(1_600_000_000_000_000_000, 1_600_000_000_000_000_000))
    p = cli(
        "bulk",
        str(root),
        "--write",
        "--keep-mtime",
        "--no-cache",
        "--backup-dir",
        str(tmp_path / "b"),
        "--report-dir",
        str(tmp_path / "r"),
        "-q",
    )
    assert p.returncode == 0, p.stderr
    assert b"--partition=slinky" in job.read_bytes()
    assert os.stat(job).st_mtime_ns == 1_600_000_000_000_000_000


def test_unusable_cache_is_a_clear_error_and_an_old_layout_is_rebuilt(tmp_path: Path) -> None:
    root = tmp_path / "site"
    root.mkdir()
    (root / "job.sh").write_bytes(b"#!/bin/bash\n#SBATCH -p gtest\n")
    bad = tmp_path / "bad" / "results.sqlite"
    bad.parent.mkdir()
    bad.write_bytes(b"this is not a database" * 100)
    p = cli("bulk", str(root), "--cache-dir", str(bad.parent), "-q")
    assert p.returncode == 2 and "cache" in p.stderr and "--no-cache" in p.stderr
    assert "Traceback" not in p.stderr
    old = tmp_path / "old" / "results.sqlite"
    old.parent.mkdir()
    db = sqlite3.connect(old)
    db.execute("create table results (path text primary key, size integer)")  # an earlier layout
    db.commit()
    db.close()
    p = cli("bulk", str(root), "--cache-dir", str(old.parent), "--report-dir", str(tmp_path / "r"), "-q")
    assert p.returncode == 0, p.stderr
    assert [r["status"] for r in _records(tmp_path / "r").values()] == ["would-change"]


def test_a_file_given_as_the_root_is_written_and_restored(tmp_path: Path) -> None:
    job = tmp_path / "job.sh"
    original = b"#!/bin/bash\n#SBATCH -p gtest\nmodule load singularity\n"
    job.write_bytes(original)
    p = _write_run(job, tmp_path)
    assert p.returncode == 0, p.stderr
    assert [r["status"] for r in _records(tmp_path / "r").values()] == ["written"]
    assert job.read_bytes() == b"#!/bin/bash\n#SBATCH -p slinky\n"
    assert cli("restore", str(tmp_path / "b")).returncode == 0
    assert job.read_bytes() == original


@pytest.mark.parametrize("option", ["--report-dir", "--backup-dir", "--out-dir"])
@pytest.mark.parametrize("where", ["the root", "above the root"])
def test_an_own_folder_holding_the_tree_is_refused(tmp_path: Path, option: str, where: str) -> None:
    """Marked as the tool's own, such a folder would hide the tree from this run and every
    later one."""
    site = tmp_path / "home"
    (site / "u1").mkdir(parents=True)
    (site / "u1" / "job.sh").write_text("#!/bin/bash\n#SBATCH -p gtest\n")
    folder = site if where == "the root" else tmp_path
    extra = ["--write"] if option == "--backup-dir" else []
    p = cli("bulk", str(site), "--no-cache", *extra, option, str(folder))
    assert p.returncode == 2 and f"{option} {folder} holds the tree {site}" in p.stderr
    assert not (folder / ".sbatch-migrate-folder").exists()
    inside = site / "reports"  # inside the tree is fine: it is left out of the walk
    p = cli("bulk", str(site), "--no-cache", "-q", "--report-dir", str(inside))
    assert p.returncode == 0 and json.loads((inside / "summary.json").read_text())["job_scripts"] == 1


@pytest.mark.skipif(not ROOT_USER, reason="files made by root are what is tested")
def test_root_owned_files_in_a_home_count_for_that_home_user(tmp_path: Path) -> None:
    """Files an administrator restored or placed (owned by root) in /home/NAME/ count for
    NAME in the per-user report, not for root."""
    job = tmp_path / "home" / "u1234567" / "job.sh"
    job.parent.mkdir(parents=True)
    job.write_text("#!/bin/bash\n#SBATCH -p gtest\n")
    loose = tmp_path / "shared" / "job.sh"
    loose.parent.mkdir()
    loose.write_text("#!/bin/bash\n#SBATCH -p gtest\n")
    p = cli(
        "bulk",
        str(tmp_path / "home"),
        str(tmp_path / "shared"),
        "--no-cache",
        "-q",
        "--report-dir",
        str(tmp_path / "r"),
    )
    assert p.returncode == 0, p.stderr
    users = {r["path"]: r["user"] for r in _records(tmp_path / "r").values()}
    assert users == {str(job): "u1234567", str(loose): "root"}


def test_a_file_that_became_a_symlink_is_named_as_such(tmp_path: Path) -> None:
    """Between the listing and the read: the file itself was swapped for a symlink (not a
    folder on its path)."""
    site, job = _one_job(tmp_path)
    [candidate] = list(walk([str(site)], 1 << 20))
    job.unlink()
    job.symlink_to("/etc/passwd")
    bulk._init_worker(bulk.Options(roots=[str(site)], profile=load(), rules=list(RULES)))
    record = json.loads(bulk.process(candidate).line)
    assert record["status"] == "symlink"
    assert record["detail"].startswith("the file is a symlink now (it was a regular file")


class _Broken:
    """A rule with a bug."""

    code, name, summary, fix = "SM999", "broken", "raises", "never"

    def check(self, ctx: object) -> object:
        raise RuntimeError("a bug")


def test_an_internal_error_counts_against_its_user(tmp_path: Path) -> None:
    """A bug costs the file, not the run; but the file is not done: its user is not ready
    and the report lists it for a human."""
    from sbatch_migrate.checks.rule import Severity

    _Broken.severity = Severity.ERROR  # type: ignore[attr-defined]
    site, _ = _one_job(tmp_path)
    opts = bulk.Options(roots=[str(site)], profile=load(), rules=[_Broken], report_dir=tmp_path / "r")  # type: ignore[list-item]
    result = bulk.run(opts)
    assert result.counts == {"error": 1}
    summary = result.aggregate.summary()
    assert summary["files_not_done"] == 1 and summary["users_ready"] == 0
    [stats] = summary["users"].values()
    assert stats["ready"] is False and stats["unfinished"][0]["status"] == "error"
    assert "internal error: RuntimeError: a bug" in stats["unfinished"][0]["detail"]


def test_a_folder_swapped_for_a_symlink_after_listing_is_not_walked(tmp_path: Path) -> None:
    """The walk lists each folder through a descriptor opened from its parent's: a folder
    a user swaps for a symlink (to /, to a root-only folder) once its parent was listed is
    reported, and nothing behind the link is listed."""
    site = tmp_path / "site"
    (site / "a").mkdir(parents=True)
    (site / "b").mkdir()
    (site / "a" / "x.sh").write_bytes(b"#!/bin/bash\n")
    (site / "b" / "y.sh").write_bytes(b"#!/bin/bash\n")
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    for i in range(5):
        (elsewhere / f"secret{i}.sh").write_bytes(b"#!/bin/bash\n")
    seen = []
    for item in walk([str(site)], 1 << 20):
        seen.append(item)
        if item.path == str(site / "a" / "x.sh"):  # site is listed; b is next
            os.rename(site / "b", tmp_path / "b-moved")
            (site / "b").symlink_to(elsewhere)
    paths = [i.path for i in seen]
    assert not [p for p in paths if "secret" in p]
    assert any(i.path == str(site / "b") and i.reason.startswith("symlink") for i in seen if hasattr(i, "reason"))


def test_the_walk_reaches_any_depth_with_few_descriptors(tmp_path: Path) -> None:
    deep = tmp_path / "t"
    for _ in range(300):
        deep = deep / "d"
    subprocess.run(["mkdir", "-p", str(deep)], check=True)
    (deep / "job.sh").write_bytes(b"#!/bin/bash\n")
    (tmp_path / "t" / "top.sh").write_bytes(b"#!/bin/bash\n")
    before = len(os.listdir("/proc/self/fd"))
    found = []
    for item in walk([str(tmp_path / "t")], 1 << 20):
        found.append(item.path)
        assert len(os.listdir("/proc/self/fd")) - before <= 70
    assert str(deep / "job.sh") in found and str(tmp_path / "t" / "top.sh") in found
    assert len(os.listdir("/proc/self/fd")) == before
    subprocess.run(["rm", "-rf", str(tmp_path / "t")], check=True)


@pytest.mark.parametrize("path", ["/work/a\x1eb/x.sif", "/wo\x1frk/x", "/\x1e/x", "relative/x", "/"])
def test_a_hostile_path_cannot_break_the_cached_tally(path: str) -> None:
    """An unmounted path's group (its top folder) goes into the cache's tally text: a
    separator byte in a script's path must not split it."""
    from sbatch_migrate.bulk.reports import tally_of

    record = {
        "path": "/home/u1/job.sh",
        "user": "u1",
        "status": "would-change",
        "changed": True,
        "findings": [
            {"code": "SM601", "rule": "path-not-mounted", "severity": "error", "fixed": False, "subject": path}
        ],
    }
    tally = tally_of(record)
    assert tally is not None
    assert untally("/home/u1/job.sh", dump_tally(tally)) == tally._replace(status="")  # the cache keeps status apart


def test_bulk_applies_unsafe_fixes_only_when_asked_and_caches_them_apart(tmp_path: Path) -> None:
    profile = tmp_path / "site.toml"
    builtin = (Path(__file__).resolve().parent.parent / "rules" / "twcc-to-slinky.toml").read_text()
    profile.write_text(builtin.replace("add_time = false", "add_time = true"))
    root = tmp_path / "home" / "u1"
    root.mkdir(parents=True)
    job = root / "job.sh"
    job.write_text("#!/bin/bash\n#SBATCH -p gp1d\nhostname\n")
    _age([job])
    cache = tmp_path / "cache"
    base = ("bulk", str(tmp_path / "home"), "--profile", str(profile), "--cache-dir", str(cache), "-q")
    assert cli(*base, "--out-dir", str(tmp_path / "safe"), "--report-dir", str(tmp_path / "r1")).returncode == 0
    [rec] = _records(tmp_path / "r1").values()
    assert [f["unsafe_fix"] for f in rec["findings"] if f["code"] == "SM103"] == [True]  # type: ignore[attr-defined]
    assert cli(*base, "--unsafe-fixes", "--report-dir", str(tmp_path / "r2")).returncode == 0
    [rec] = _records(tmp_path / "r2").values()
    assert "cached" not in rec  # another kind of result: not the safe run's from the cache
    assert [f["fixed"] for f in rec["findings"] if f["code"] == "SM103"] == [True]  # type: ignore[attr-defined]
    assert job.read_text() == "#!/bin/bash\n#SBATCH -p gp1d\nhostname\n"  # a dry run
    mirrored = (tmp_path / "safe" / str(job).lstrip("/")).read_text()
    assert mirrored == "#!/bin/bash\n#SBATCH -p slinky\nhostname\n"


def test_a_copy_answered_from_the_cache_has_a_diff_of_its_own(tmp_path: Path) -> None:
    """A file that needs a human carries its diff in its record; a copy of it (same
    content, its own path) answered from the cache gets the diff under its own name, not
    the name of the file the result was stored for."""
    root = tmp_path / "homes"
    (root / "a").mkdir(parents=True)
    (root / "b").mkdir()
    job = b"#!/bin/bash\n#SBATCH -p gtest\nmodule load cuda/11.0 singularity/3.7.1 openmpi\nsrun hostname\n"
    (root / "a" / "job.sh").write_bytes(job)
    (root / "b" / "job.sh").write_bytes(job)
    cache = tmp_path / "cache"
    for run in ("r1", "r2"):
        p = cli("bulk", str(root), "--report-dir", str(tmp_path / run), "--cache-dir", str(cache), "-q")
        assert p.returncode == 0, p.stderr
        for path, record in _records(tmp_path / run).items():
            name = path.lstrip("/")
            assert record["diff"].startswith(f"--- a/{name}\n+++ b/{name}\n"), (run, path)


def _options(root: Path, report: Path, cache: Path | None, jobs: int, **more: object) -> bulk.Options:
    """A bulk run over ``root`` with every rule, its reports in ``report``."""
    return bulk.Options(
        roots=[str(root)], profile=load(), rules=list(RULES), jobs=jobs, report_dir=report, cache_dir=cache, **more
    )  # type: ignore[arg-type]


def test_an_unchanged_folder_is_answered_whole_from_the_cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A folder whose listing (names, kinds, each file's stat data and owner) is the same
    as when its records were stored is answered whole: the same records, counted the same;
    a folder with one file changed, a --write run over a folder with files to write, and a
    folder with a file written just now (racy) are not."""
    from sbatch_migrate.bulk import cache as cache_module

    monkeypatch.setattr(cache_module, "RACY_NS", 0)  # files of a test are all written just now
    root = tmp_path / "site"
    for folder in ("a", "b", "b/c"):
        (root / folder).mkdir(parents=True)
    (root / "a" / "job.sh").write_bytes(b"#!/bin/bash\n#SBATCH -p gtest\nsrun x\n")
    (root / "a" / "ok.sh").write_bytes(b"#!/bin/bash\n#SBATCH -p slinky\nsrun x\n")
    (root / "a" / "notes.txt").write_bytes(b"just text\n")
    (root / "b" / "data.bin").write_bytes(b"\x00\x01")
    (root / "b" / "link").symlink_to("../a/job.sh")
    (root / "b" / "c" / "run.sh").write_bytes(b"#!/bin/bash\nmodule load singularity\n")
    (root / "big").mkdir()  # more files than a part takes: done in pieces, stored whole
    for i in range(bulk._PART + 10):
        (root / "big" / f"{i}.txt").write_bytes(b"text %d\n" % i)
    (root / "big" / "j.sh").write_bytes(b"#!/bin/bash\n#SBATCH -p gtest\n")
    (root / "mixed").mkdir()  # a large folder, its job scripts last: pieces with job scripts
    for i in range(2 * bulk._PART):
        (root / "mixed" / f"a{i:04d}.txt").write_bytes(b"text %d\n" % i)
    for i in range(20):
        (root / "mixed" / f"j{i:02d}.sh").write_bytes(b"#!/bin/bash\n#SBATCH -p gtest\nsrun %d\n" % i)
    answered: list[str] = []
    original = cache_module.ContentCache.folder

    def spy(self: cache_module.ContentCache, folder: str, *args: object) -> object:
        hit = original(self, folder, *args)  # type: ignore[arg-type]
        if hit is not None:
            answered.append(os.path.relpath(folder, root))
        return hit

    monkeypatch.setattr(cache_module.ContentCache, "folder", spy)

    def run(name: str, cache: bool = True, write: bool = False) -> dict[str, dict[str, object]]:
        answered.clear()
        opts = _options(
            root, tmp_path / name, tmp_path / "cache" if cache else None, 1, write=write,
            backup_dir=tmp_path / "backups" if write else None,
        )  # fmt: skip
        bulk.run(opts)
        return {p: {k: v for k, v in r.items() if k != "cached"} for p, r in _records(tmp_path / name).items()}

    fresh = run("r0", cache=False)
    assert run("r1") == fresh and answered == []
    again = run("r2")
    assert again == fresh and sorted(answered) == [".", "a", "b", "b/c", "big", "mixed"]
    assert all(r.get("cached") for r in _records(tmp_path / "r2").values() if r["status"] != "symlink")
    (root / "a" / "notes.txt").write_bytes(b"other text\n")
    changed = run("r3")
    assert "a" not in answered and "b/c" in answered
    assert changed == run("r3-fresh", cache=False)
    run("r4", write=True)  # a/job.sh and b/c/run.sh are written: their folders are not answered whole
    assert "a" not in answered and "b/c" not in answered and "b" in answered
    assert (root / "a" / "job.sh").read_bytes() == b"#!/bin/bash\n#SBATCH -p slinky\nsrun x\n"
    monkeypatch.setattr(cache_module, "RACY_NS", 10**12)  # everything written in the last 1000 s: racy
    racy = run("r5")
    assert answered == ["."]  # it holds no file (its folders are in its fingerprint): nothing racy
    assert racy == run("r5-fresh", cache=False)


def test_a_folder_listed_again_with_a_file_added_finds_its_other_files_in_its_row(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The files read and not migrated are kept by their stat data in their folder's row:
    a folder with a file added is not answered whole, but each of its other files is
    answered by its stat data from the row (a large folder's pieces too), and the folder's
    new row keeps them (a third run, with one more file, still finds them).  A file changed
    in place is read again.  The records are those of a run without a cache."""
    from sbatch_migrate.bulk import cache as cache_module

    monkeypatch.setattr(cache_module, "RACY_NS", 0)  # files of a test are all written just now
    root = tmp_path / "site"
    (root / "small").mkdir(parents=True)
    (root / "big").mkdir()
    for i in range(5):
        (root / "small" / f"n{i}.txt").write_bytes(b"text %d\n" % i)
    (root / "small" / "data.bin").write_bytes(b"\x00\x01")
    (root / "small" / "job.sh").write_bytes(b"#!/bin/bash\n#SBATCH -p gtest\nsrun x\n")
    for i in range(2 * bulk._PART + 7):  # in pieces
        (root / "big" / f"{i:04d}.txt").write_bytes(b"text %d\n" % i)

    def run(name: str, cache: bool = True) -> dict[str, dict[str, object]]:
        bulk.run(_options(root, tmp_path / name, tmp_path / "cache" if cache else None, 1))
        return _records(tmp_path / name)

    run("r1")
    for n, folder in enumerate(("small", "big")):
        (root / folder / f"new{n}.txt").write_bytes(b"new\n")
    (root / "small" / "n0.txt").write_bytes(b"changed\n")
    second = run("r2")
    fresh = {p: r for p, r in run("r2-fresh", cache=False).items()}
    new = {str(root / "small" / "new0.txt"), str(root / "big" / "new1.txt"), str(root / "small" / "n0.txt")}
    for path, record in second.items():
        assert record.pop("cached", False) is (path not in new), path
        assert record == fresh[path]
    (root / "big" / "newer.txt").write_bytes(b"newer\n")
    third = run("r3")
    assert all(r.get("cached") for p, r in third.items() if not p.endswith("newer.txt"))
    assert "cached" not in third[str(root / "big" / "newer.txt")]


def test_a_large_folder_is_shared_out_and_the_records_come_in_the_same_order(tmp_path: Path) -> None:
    """A folder with more files than a part takes is done in several parts (its files
    beyond a part's are a part of their own, before the folders after it); every file
    has one record, and the journal is the same, line for line, with one worker or two."""
    root = tmp_path / "site"
    (root / "big" / "sub").mkdir(parents=True)
    (root / "after").mkdir()
    for i in range(bulk._PART * 2 + 37):
        (root / "big" / f"j{i:04d}.sh").write_bytes(b"#!/bin/bash\n#SBATCH -p gtest\nsrun %d\n" % i)
    (root / "big" / "link").symlink_to("j0000.sh")
    (root / "big" / "sub" / "x.sh").write_bytes(b"#!/bin/bash\nsrun x\n")
    (root / "after" / "y.sh").write_bytes(b"#!/bin/bash\nsrun y\n")
    journals = []
    for jobs in ("1", "2"):
        report = tmp_path / f"r{jobs}"
        p = cli("bulk", str(root), "--report-dir", str(report), "--no-cache", "-q", "-j", jobs)
        assert p.returncode == 0, p.stderr
        journals.append((report / "files.jsonl").read_text())
    assert journals[0] == journals[1]
    paths = [json.loads(line)["path"] for line in journals[0].splitlines()]
    files = sorted(str(p) for p in root.rglob("*") if p.is_file() or p.is_symlink())
    assert sorted(paths) == files and len(paths) == len(set(paths))


def test_a_part_ends_at_what_its_files_cost_and_a_folder_of_job_scripts_goes_in_small_pieces(tmp_path: Path) -> None:
    """A part takes files up to a cost, not a count: a job script migrated costs
    ``_MIGRATED`` files more than one only read.  A folder of job scripts is cut into pieces
    of as many job scripts as the part managed (so that no part takes 50 times as long as
    the others and the other worker waits for it), a folder of text files into pieces of
    ``_PART``; every entry is done once, in order."""
    from sbatch_migrate.bulk import campaign

    root = tmp_path / "site"
    (root / "jobs").mkdir(parents=True)
    (root / "text").mkdir()
    for i in range(100):
        (root / "jobs" / f"j{i:03d}.sh").write_bytes(b"#!/bin/bash\n#SBATCH -p gtest\nsrun %d\n" % i)
    for i in range(bulk._PART * 2 + 5):
        (root / "text" / f"t{i:04d}.txt").write_bytes(b"text %d\n" % i)
    bulk._init_worker(bulk.Options(roots=[str(root)], profile=load(), rules=list(RULES)))
    per_job = 1 + campaign._MIGRATED
    for folder, per_file, files in (("jobs", per_job, 100), ("text", 1, bulk._PART * 2 + 5)):
        part = bulk.walk_part(str(root), [str(root / folder)])
        first = part.folders[0].hit
        assert first is not None
        done = sum(first.statuses.values())
        assert done == -(-bulk._PART // per_file)  # files up to the budget, the last one crossing it
        sizes = [len(bulk._entries(p)) for p in part.more]
        assert sizes[:-1] == [bulk._PART // per_file] * (len(sizes) - 1) and sizes[-1] <= bulk._PART // per_file
        paths = [json.loads(line)["path"] for line in first.lines.splitlines()]
        for piece in part.more:
            later = bulk.walk_part(str(root), [], piece)
            assert later.more == [] and later.rest == []
            assert later.folders[0].hit is not None
            paths += [json.loads(line)["path"] for line in later.folders[0].hit.lines.splitlines()]
        assert paths == sorted(str(p) for p in (root / folder).iterdir()) and len(paths) == files
    bulk._end_here()


@settings(deadline=None)
@given(
    st.lists(
        st.sampled_from(
            ['{"path": "a", "status": "binary"}', '{"path": "b", "findings": [], "x": 1}', '{"p": "\\u00e9"}']
        )
        | st.text(alphabet='ab"{}: \\n', max_size=30).map(lambda t: t.replace("\n", "")),
        max_size=20,
    ),
    st.booleans(),
    st.integers(min_value=1, max_value=64),
)
def test_the_job_records_cut_from_blocks_are_the_lines_holding_the_key(
    lines: list[str], newline_at_end: bool, size: int
) -> None:
    """report.json's job-script records, found by searching blocks of the records file for
    the key: the same lines, in the same order, as testing every line, whatever the block
    size (a line longer than a block, a last line without its newline)."""
    import io

    from sbatch_migrate.bulk.reports import _job_records

    data = "\n".join(lines).encode() + (b"\n" if newline_at_end and lines else b"")
    expected = [line.rstrip(b"\n") for line in io.BytesIO(data).readlines() if b'"findings": ' in line]
    got = [line for block in _job_records(io.BytesIO(data), size) for line in block]
    assert got == expected


@given(
    st.lists(
        st.tuples(st.text(max_size=5), st.integers(0, 2**63), st.integers(0, 2**63)).map(
            lambda t: bulk.Candidate(t[0], t[1], t[2], t[2], t[1], 0)
        )
        | st.text(max_size=5).map(lambda p: bulk.Skipped(p, "symlink")),
        max_size=12,
    ),
    st.integers(0, 12),
)
def test_entries_sent_as_rows_come_back_as_they_were_and_are_cut_alike(items: list, files: int) -> None:  # type: ignore[type-arg]
    """A large folder's entries go between processes as plain tuples: they come back as the
    same Candidates and Skippeds, and a part cut from the rows holds the same entries as
    one cut from the entries."""
    rows = bulk._rows(items)
    assert all(type(r) is tuple for r in rows)
    back = bulk._entries(bulk._piece(items))
    assert back == items and [type(i) for i in back] == [type(i) for i in items]
    now, rest = bulk._cut(items, files)
    assert bulk._cut(rows, files) == (bulk._rows(now), bulk._rows(rest))
    # the pieces a folder's entries are cut into hold them all, in order, each up to
    # ``files`` files (at least one), and the files of each piece but the last are ``files``
    size = max(files, 1)
    pieces = [bulk._entries(p) for p in bulk._pieces(items, size)]
    assert [i for p in pieces for i in p] == items
    counts = [sum(1 for i in p if isinstance(i, bulk.Candidate)) for p in pieces]
    assert all(n == size for n in counts[:-1]) and all(n <= size for n in counts)
    assert all(p for p in pieces) and (pieces == []) == (items == [])


@given(
    st.text(alphabet=st.characters(codec=None, exclude_categories=()), max_size=12) | st.just('/home/\udcb3\\\n"x'),
    st.text(max_size=6) | st.just("陳"),
    st.sampled_from(["binary", "not-a-job-script"]),
)
def test_a_plain_record_from_its_template_is_the_record_json_makes(path: str, user: str, status: str) -> None:
    """The record of a file that is not migrated, written from a template, is the text
    (and the outcome) the general path makes: quotes, control characters, names that are
    not UTF-8 (\\u escapes)."""
    fast = bulk.plain_outcome(path, user, status, (1, 2, 3, 4), "d")
    assert fast == bulk.outcome({"path": path, "user": user, "status": status}, (1, 2, 3, 4), "d")
    assert json.loads(fast.line) == {"path": path, "user": user, "status": status}


@settings(deadline=None, max_examples=40)
@given(
    st.lists(
        st.tuples(
            st.sampled_from(["file", "big", "dir", "skipdir", "link", "fifo", "temp", "marker"]),
            st.text(alphabet="ab.é_-", min_size=1, max_size=6),
        ),
        max_size=10,
        unique_by=lambda t: t[1],
    )
)
def test_a_listing_fingerprint_is_its_entries_text_hashed(entries: list[tuple[str, str]]) -> None:
    """A folder's fingerprint is the hash of one text: the folder, each entry's path and
    what was found of it (a file's size, times, inode and owner; a skip's reason), the
    subfolders: the text the cache's stored folders were made with, whatever the folder
    holds."""
    import tempfile

    from sbatch_migrate.bulk.walk import Candidate, Chain, list_folder

    with tempfile.TemporaryDirectory() as tmp:
        top = os.path.join(tmp, "f")
        os.mkdir(top)
        for kind, name in entries:
            path = os.path.join(top, "n" + name)
            if kind in ("file", "big", "temp"):
                if kind == "temp":
                    path = os.path.join(top, f".{name}.abcdefgh.sbatch-migrate")
                with open(path, "wb") as fh:
                    fh.write(b"x" * (100 if kind == "big" else 3))
            elif kind == "dir":
                os.mkdir(path)
            elif kind == "skipdir":
                os.makedirs(os.path.join(top, "__pycache__"), exist_ok=True)
            elif kind == "link":
                os.symlink("/", path)
            elif kind == "fifo":
                os.mkfifo(path)
            elif kind == "marker":  # a folder by the marker's name: a marker no run made
                os.makedirs(os.path.join(top, ".sbatch-migrate-folder"), exist_ok=True)
        chain = Chain(tmp)
        try:
            listing = list_folder(top, chain, 50)
        finally:
            chain.close()
        if not listing.fingerprint:  # the tool's own folder: not fingerprinted
            return
        text = "\0".join(
            f"{i.path}\0{i.size} {i.mtime_ns} {i.ctime_ns} {i.ino} {i.uid}"
            if isinstance(i, Candidate)
            else f"{i.path}\0{i.reason}"
            for i in listing.items
        )
        listed = f"{top}\0{text}\0/{chr(0).join(listing.subdirs)}".encode("utf-8", "surrogateescape")
        assert listing.fingerprint == hashlib.blake2b(listed, digest_size=16).digest()
        assert all(type(i) is Candidate for i in listing.items if len(i) == 6)


def test_a_file_that_kills_its_worker_costs_that_file_only(tmp_path: Path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """The worker migrating one file dies each time (as a crash in a parser would kill
    it): the parts it had are done again one file at a time in a worker of their own, so
    that file alone is recorded as an error, every other file of the tree as usual, and
    the run ends (the workers fork from this process, with the patch in place)."""
    site = tmp_path / "site"
    for d in range(4):
        (site / f"d{d}").mkdir(parents=True)
        for i in range(30):
            (site / f"d{d}" / f"j{i}.sh").write_bytes(b"#!/bin/bash\n#SBATCH -p gtest\nsrun true %d\n" % i)
    killer = site / "d2" / "j7.sh"
    real = bulk._process

    def crashing(c):  # type: ignore[no-untyped-def]
        if c.path == str(killer):
            os._exit(70)
        return real(c)

    monkeypatch.setattr(bulk, "_process", crashing)
    opts = bulk.Options(roots=[str(site)], profile=load(), rules=list(RULES), jobs=2, report_dir=tmp_path / "r")
    result = bulk.run(opts)
    records = [json.loads(line) for line in (tmp_path / "r" / "files.jsonl").read_text().splitlines()]
    assert sorted(r["path"] for r in records) == sorted(str(p) for p in site.rglob("*.sh"))
    errors = [r for r in records if r["status"] == "error"]
    assert [r["path"] for r in errors] == [str(killer)]
    assert "died" in errors[0]["detail"] and "twice" in errors[0]["detail"]
    assert {r["status"] for r in records if r["path"] != str(killer)} == {"would-change"}
    assert result.worker_deaths == 2  # in the pool, then in the worker of its own


@settings(max_examples=60, deadline=None)
@given(st.integers(0, 2**32), st.integers(0, 150), st.lists(st.integers(0, 150), max_size=6))
def test_merged_part_aggregates_equal_one_aggregate_of_every_file(seed: int, n: int, cuts: list[int]) -> None:
    """What the workers count per part, merged in the main process, is what counting every
    file in one aggregate gives: totals, per user (with the bounded lists of blocking and
    unfinished files), decisions, and the drill-down the HTML page shows."""
    from sbatch_migrate.bulk import reports
    from sbatch_migrate.bulk.reports import Aggregate, tally_of

    def record(user: int, i: int, status: str, findings: list[tuple[str, bool]]) -> dict[str, object]:
        r: dict[str, object] = {"path": f"/work/u{user}/d{i % 3}/job{i:02d}.sh", "user": f"u{user}", "status": status}
        if status in ("would-change", "unchanged"):
            r["changed"] = status == "would-change"
            r["findings"] = [
                {"code": c, "rule": c.lower(), "severity": "error" if c != "SM301" else "warning", "line": n,
                 "message": f"m{n}", "fixed": fixed, "subject": f"/work/u{user}/x"}
                for n, (c, fixed) in enumerate(findings)
            ]  # fmt: skip
        elif status != "not-a-job-script":
            r["detail"] = "why"
        return r

    rng = random.Random(seed)
    picked = rng.sample([(u, i) for u in range(6) for i in range(70)], n)
    statuses = ["would-change", "unchanged", "would-change", "error", "unreadable", "not-a-job-script"]
    codes = ["SM101", "SM601", "SM903", "SM301"]
    records = [
        record(u, i, rng.choice(statuses), [(rng.choice(codes), rng.random() < 0.3) for _ in range(rng.randrange(4))])
        for u, i in picked
    ]
    with pytest.MonkeyPatch.context() as mp:  # limits that these few files reach
        mp.setattr(reports, "DETAIL_FILES", 9)
        mp.setattr(reports, "DETAIL_PER_USER", 3)
        mp.setattr(reports, "BLOCKING_PER_USER", 4)
        whole = Aggregate()
        for r in records:
            whole.add(r)
        merged, offered, stored = Aggregate(), Aggregate(), Aggregate()
        bounds = sorted({0, len(records), *(c for c in cuts if c <= len(records))})
        for start, end in itertools.pairwise(bounds):
            part = Aggregate()
            for r in records[start:end]:
                part.add(r)
            merged.merge(pickle.loads(pickle.dumps(part)))  # as it comes from a worker
            # as the workers count a part: no details, the files to show offered (cut)
            counted = Aggregate()
            offers = []
            for r in records[start:end]:
                t = tally_of(r)
                if counted.add_tally(str(r["status"]), t) and t is not None:
                    offers.append(((t.user, t.path), json.dumps(r)))
            offered.merge(pickle.loads(pickle.dumps(counted)))
            for key, line in reports.first_details(offers):
                offered.offer(key, line)
            # as the cache keeps a folder: its counts as JSON, read back
            stored.merge_counts(json.loads(json.dumps(counted.counts())))
            for key, line in offers:
                stored.offer(key, line)
        for agg in (merged, offered, stored):
            assert agg.summary() == whole.summary()
            assert agg.drill_down() == whole.drill_down()
            assert agg.detail_keys == whole.detail_keys
        assert len(whole.detail_keys) <= 9


def test_a_run_with_a_cache_starts_workers_for_files_to_read(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """With -j 2 and a cache, the first parts the cache answers are done in the main
    process: a re-run over a small unchanged tree forks no worker, over a larger one it
    starts them once _LOCAL_RECORDS records are answered; the first run, and a re-run
    that meets a folder of new files, start them at the first part with files to read
    and hand them the rest.  The records are those of a run without a cache every time."""
    from sbatch_migrate.bulk import cache as cache_module

    monkeypatch.setattr(cache_module, "RACY_NS", 0)  # files of a test are all written just now
    root = tmp_path / "site"
    for d in range(12):
        (root / f"d{d:02d}").mkdir(parents=True)
        for i in range(30):
            blocked = b"module load cuda\n" if i % 3 == 0 else b""  # an error left: the drill-down shows it
            (root / f"d{d:02d}" / f"j{i}.sh").write_bytes(
                b"#!/bin/bash\n#SBATCH -p gtest\n%ssrun true %d\n" % (blocked, i)
            )
            (root / f"d{d:02d}" / f"n{i}.txt").write_bytes(b"notes %d\n" % i)
    pools: list[int] = []

    class Counted(bulk.Pool):
        def __init__(self, jobs: int, *args: object, **kwargs: object) -> None:
            pools.append(jobs)
            super().__init__(jobs, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(bulk, "Pool", Counted)

    def run(name: str, cache: bool = True) -> dict[str, dict[str, object]]:
        pools.clear()
        opts = _options(root, tmp_path / name, tmp_path / "cache" if cache else None, 2)
        agg = bulk.run(opts).aggregate
        counted[name] = (agg.summary(), agg.drill_down())
        return {p: {k: v for k, v in r.items() if k != "cached"} for p, r in _records(tmp_path / name).items()}

    counted: dict[str, tuple[object, object]] = {}

    fresh = run("r0", cache=False)
    assert pools == [2]
    assert run("r1") == fresh and pools == [2]  # the first run: every file read
    assert run("r2") == fresh and pools == []  # all answered from the cache: no worker
    assert counted["r2"] == counted["r1"] == counted["r0"]  # counted the same from the cache
    assert counted["r0"][1]["needing"] == 120 and counted["r0"][1]["shown"] == 20  # type: ignore[index]
    with monkeypatch.context() as few:  # a larger tree: workers once that many records are answered
        few.setattr(bulk, "_LOCAL_RECORDS", 200)
        assert run("r2-large") == fresh and pools == [2]
        assert counted["r2-large"] == counted["r0"]
        assert all(r.get("cached") for r in _records(tmp_path / "r2-large").values())
    assert all(r.get("cached") for r in _records(tmp_path / "r2").values())
    for i in range(40):  # a folder of new files, late in the walk
        (root / "d09" / f"new{i}.sh").write_bytes(b"#!/bin/bash\n#SBATCH -p gtest\nsrun new %d\n" % i)
    changed = run("r3")
    assert pools == [2] and changed == run("r3-fresh", cache=False)
    read = {p for p, r in _records(tmp_path / "r3").items() if not r.get("cached")}
    assert read == {str(root / "d09" / f"new{i}.sh") for i in range(40)}  # only the new files were read


def test_records_come_in_the_same_order_whatever_jobs(tmp_path: Path) -> None:
    """files.jsonl holds the same lines in the same order with one worker or two, and with
    a cache or without (a first run, then one answered from it), on a tree of large
    folders (handed out in pieces) among small ones."""
    root = tmp_path / "site"
    for d in range(3):
        big = root / f"big{d}"
        big.mkdir(parents=True)
        for i in range(3 * bulk._PART + 17):
            (big / f"f{i:04d}.sh" if i % 7 == 0 else big / f"f{i:04d}.txt").write_bytes(
                b"#!/bin/bash\n#SBATCH -p gtest\nsrun %d\n" % i if i % 7 == 0 else b"text %d\n" % i
            )
        for s in range(12):
            small = root / f"d{d}" / f"s{s}" / "deeper"
            small.mkdir(parents=True)
            (small / "job.sh").write_bytes(b"#!/bin/bash\n#SBATCH -p gtest\nmodule load cuda\n")
    journals = []
    for name, jobs, cache in (
        ("j1", 1, None),
        ("j2", 2, None),
        ("j2c", 2, tmp_path / "cache"),
        ("j2c2", 2, tmp_path / "cache"),
    ):
        bulk.run(_options(root, tmp_path / name, cache, jobs))
        lines = (tmp_path / name / "files.jsonl").read_text().splitlines()
        journals.append([json.dumps({k: v for k, v in json.loads(line).items() if k != "cached"}) for line in lines])
    assert len(journals[0]) == 3 * (3 * bulk._PART + 17) + 36
    assert journals[1] == journals[0] and journals[2] == journals[0] and journals[3] == journals[0]
