"""Root over hostile homes: each attack a user whose home is processed could make, run for
real with throwaway users (``useradd``) against the real command line, as root.

What a hostile user must not be able to make root do (docs/bulk.md): write or create a
file outside the tool's own folders and the job scripts it migrates, lose a save the user
makes while the run rewrites the file, hang the run, hide a home, or read the reports.
Every test here failed on the code before these guarantees (checked by running this module
against that checkout with PYTHONPATH); they drive only the command line for that reason.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import stat
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

pytestmark = pytest.mark.skipif(
    os.geteuid() != 0 or shutil.which("useradd") is None, reason="needs root and useradd (throwaway users)"
)

JOB = b"#!/bin/bash\n#SBATCH -p gtest\nmodule load singularity\nsrun singularity run --nv /work/x.sif true\n"


class User:
    def __init__(self, name: str, home: Path):
        self.name = name
        self.home = home
        import pwd

        entry = pwd.getpwnam(name)
        self.uid, self.gid = entry.pw_uid, entry.pw_gid

    def run(self, *cmd: str, **kw: Any) -> subprocess.CompletedProcess[str]:
        """A command as this user (no supplementary groups), in their home."""
        return subprocess.run(
            list(cmd),
            user=self.uid,
            group=self.gid,
            extra_groups=[],
            cwd=self.home,
            capture_output=True,
            text=True,
            check=False,
            env={"PATH": "/usr/bin:/bin", "HOME": str(self.home)},
            **kw,
        )

    def sh(self, script: str) -> subprocess.CompletedProcess[str]:
        p = self.run("/bin/bash", "-c", script)
        assert p.returncode == 0, p.stderr
        return p

    def own(self, path: Path) -> None:
        os.lchown(path, self.uid, self.gid)


@pytest.fixture(scope="module")
def base() -> Iterator[Path]:
    """A folder every throwaway user can reach (tmp_path is root's own, 0700)."""
    folder = Path(tempfile.mkdtemp(prefix="sm-hostile-", dir="/tmp"))
    folder.chmod(0o755)
    yield folder
    shutil.rmtree(folder, ignore_errors=True)


@pytest.fixture(scope="module")
def users(base: Path) -> Iterator[dict[str, User]]:
    made: dict[str, User] = {}
    tag = uuid.uuid4().hex[:6]
    try:
        for who in ("alice", "bob"):
            name = f"sm{who[:3]}{tag}"
            home = base / "home" / name
            home.mkdir(parents=True)
            subprocess.run(["useradd", "-M", "-N", "-d", str(home), "-s", "/bin/bash", name], check=True)
            made[who] = User(name, home)
            made[who].own(home)
            home.chmod(0o755)
        yield made
    finally:
        for u in made.values():
            subprocess.run(["userdel", u.name], check=False, capture_output=True)


@pytest.fixture
def alice(users: dict[str, User], base: Path) -> Iterator[User]:
    """alice, with a fresh home holding two job scripts of hers."""
    u = users["alice"]
    for child in u.home.iterdir():
        subprocess.run(["chattr", "-i", str(child)], check=False, capture_output=True)
        shutil.rmtree(child) if child.is_dir() and not child.is_symlink() else child.unlink()
    for name in ("a.sh", "b.sh"):
        (u.home / name).write_bytes(JOB)
        u.own(u.home / name)
    yield u


@pytest.fixture
def vault(base: Path) -> Iterator[Path]:
    """A root-only folder standing for /etc, /root, /etc/cron.d: nothing may appear or
    change in it."""
    folder = base / f"vault-{uuid.uuid4().hex[:6]}"
    folder.mkdir(mode=0o700)
    (folder / "passwd").write_text("root:x:0:0::/root:/bin/bash\n")
    yield folder
    shutil.rmtree(folder, ignore_errors=True)


def vault_state(vault: Path) -> dict[str, tuple[bytes, int]]:
    return {p.name: (p.read_bytes(), p.stat().st_mode) for p in vault.iterdir()}


def cli(*args: str, cwd: Path | None = None, timeout: float = 300, umask: int | None = None) -> Any:
    env = dict(os.environ, CI="true")
    return subprocess.run(
        [sys.executable, "-m", "sbatch_migrate", *args],
        capture_output=True,
        text=True,
        check=False,
        timeout=timeout,
        cwd=cwd,
        env=env,
        preexec_fn=(lambda: os.umask(umask)) if umask is not None else None,
    )


def one_line_error(p: Any) -> None:
    assert p.returncode == 2, (p.returncode, p.stderr)
    assert "Traceback" not in p.stderr
    assert p.stderr.startswith("sbatch-migrate: error: ")


# -- 1. restore trusts only its own runs ------------------------------------------------
def _plant_run(backups: Path, target: Path, root: str = "/") -> None:
    """A run folder as restore reads it, in the layout of either version: its manifest
    names a file outside every tree, set-id bits and root as owner."""
    run = backups / "20990101-000000-evil00"
    payload = b"#!/bin/sh\nid > /tmp/pwned\n"
    import hashlib

    meta = {
        "path": str(target),
        "sha256_before": hashlib.sha256(payload).hexdigest(),
        "sha256_after": hashlib.sha256(b"").hexdigest(),
        "mode": 0o4755,
        "uid": 0,
        "gid": 0,
        "mtime_ns": 0,
        "root": root,
    }
    old = run / "files" / str(target).lstrip("/")
    old.parent.mkdir(parents=True)
    old.write_bytes(payload)
    (run / "meta" / (str(target).lstrip("/") + ".json")).parent.mkdir(parents=True)
    (run / "meta" / (str(target).lstrip("/") + ".json")).write_text(json.dumps(meta))
    key = hashlib.sha256(os.fsencode(str(target))).hexdigest()
    (run / "files" / key[:2]).mkdir()
    (run / "files" / key[:2] / key).write_bytes(payload)
    (run / "meta" / key[:2]).mkdir()
    (run / "meta" / key[:2] / (key + ".json")).write_text(json.dumps(meta))
    (run / "run.json").write_text(json.dumps({"layout": 2, "run_id": run.name, "roots": [root]}))


def test_restore_of_a_backup_folder_a_user_made_creates_nothing(alice: User, vault: Path) -> None:
    """The default ./sbatch-migrate-backups when root runs from alice's folder: alice made
    it first, with a run that names a set-uid file in a root-only folder."""
    backups = alice.home / "sbatch-migrate-backups"
    _plant_run(backups, vault / "evil")
    subprocess.run(["chown", "-R", f"{alice.uid}:{alice.gid}", str(backups)], check=True)
    before = vault_state(vault)
    p = cli("restore", "sbatch-migrate-backups", cwd=alice.home)
    assert vault_state(vault) == before and not (vault / "evil").exists()
    one_line_error(p)
    assert "owned by" in p.stderr


def test_restore_of_a_world_writable_backup_folder_creates_nothing(base: Path, vault: Path) -> None:
    """A backup folder root made under umask 000: anyone could have planted the run."""
    backups = base / f"b-{uuid.uuid4().hex[:6]}"
    backups.mkdir()
    backups.chmod(0o777)
    _plant_run(backups, vault / "evil", root=str(vault))
    for dirpath, dirnames, names in os.walk(backups):
        for n in dirnames + names:
            os.chmod(os.path.join(dirpath, n), 0o777 if n in dirnames else 0o666)
    p = cli("restore", str(backups))
    assert not (vault / "evil").exists()
    one_line_error(p)
    assert "writable by others" in p.stderr


def test_restore_puts_back_only_what_a_run_wrote(alice: User, base: Path, vault: Path) -> None:
    """A real run's backups, tampered with as root could be tricked into (a manifest copied
    from elsewhere naming a file outside the run's roots): refused; a file that is gone is
    not created; a file that changed owner is left; set-id bits never come back."""
    backups, reports = base / f"b-{uuid.uuid4().hex[:6]}", base / f"r-{uuid.uuid4().hex[:6]}"
    (alice.home / "a.sh").chmod(0o4755)
    p = cli(
        "bulk",
        str(alice.home),
        "--write",
        "--no-cache",
        "-q",
        "--backup-dir",
        str(backups),
        "--report-dir",
        str(reports),
    )
    assert p.returncode == 0, p.stderr
    assert (alice.home / "a.sh").read_bytes() != JOB
    # a manifest that points outside the run's roots (its name matches its path)
    import hashlib

    (run,) = [d for d in backups.iterdir() if d.is_dir()]
    target = vault / "passwd"
    key = hashlib.sha256(os.fsencode(str(target))).hexdigest()
    (run / "files" / key[:2]).mkdir(exist_ok=True)
    (run / "files" / key[:2] / key).write_bytes(b"evil::0:0::/:/bin/sh\n")
    (run / "meta" / key[:2]).mkdir(exist_ok=True)
    meta = {
        "path": str(target),
        "sha256_before": hashlib.sha256(b"evil::0:0::/:/bin/sh\n").hexdigest(),
        "sha256_after": hashlib.sha256(target.read_bytes()).hexdigest(),
        "mode": 0o644,
        "uid": 0,
        "gid": 0,
        "mtime_ns": 0,
        "root": str(alice.home),
    }
    (run / "meta" / key[:2] / (key + ".json")).write_text(json.dumps(meta))
    for p_ in (run / "files" / key[:2] / key, run / "meta" / key[:2] / (key + ".json")):
        p_.chmod(0o600)
    before = vault_state(vault)
    # b.sh is gone, and a.sh now belongs to bob
    (alice.home / "b.sh").unlink()
    p = cli("restore", str(backups))
    assert p.returncode == 1, p.stderr
    assert "manifest not trusted" in p.stderr and "not under a root of the run" in p.stderr
    assert "not there any more: not created" in p.stderr
    assert vault_state(vault) == before
    assert not (alice.home / "b.sh").exists()
    assert (alice.home / "a.sh").read_bytes() == JOB  # restored, over the file that was there
    assert stat.S_IMODE((alice.home / "a.sh").stat().st_mode) == 0o755  # without its set-uid bit
    assert (alice.home / "a.sh").stat().st_uid == alice.uid


def test_restore_leaves_a_file_that_changed_owner(alice: User, users: dict[str, User], base: Path) -> None:
    backups, reports = base / f"b-{uuid.uuid4().hex[:6]}", base / f"r-{uuid.uuid4().hex[:6]}"
    p = cli(
        "bulk",
        str(alice.home),
        "--write",
        "--no-cache",
        "-q",
        "--backup-dir",
        str(backups),
        "--report-dir",
        str(reports),
    )
    assert p.returncode == 0, p.stderr
    migrated = (alice.home / "a.sh").read_bytes()
    users["bob"].own(alice.home / "a.sh")
    p = cli("restore", str(backups))
    assert p.returncode == 1 and "a.sh: refused: owned by" in p.stderr
    assert (alice.home / "a.sh").read_bytes() == migrated
    assert (alice.home / "b.sh").read_bytes() == JOB


# -- 2. the tool's own folders ----------------------------------------------------------
@pytest.mark.parametrize("name", ["run.json", "report.md", ".lock", ".sbatch-migrate-folder", "files.jsonl"])
def test_a_report_folder_a_user_made_is_refused(alice: User, vault: Path, name: str) -> None:
    """alice made the report folder, with NAME a symlink into a root-only folder: even a
    dry run would write through it."""
    folder = alice.home / "reports"
    alice.sh(f"mkdir {folder} && ln -s {vault}/passwd {folder}/{name}")
    before = vault_state(vault)
    p = cli("bulk", str(alice.home), "--no-cache", "-q", "--report-dir", str(folder))
    assert vault_state(vault) == before
    one_line_error(p)
    assert f"--report-dir {folder}: owned by {alice.name}" in p.stderr


def test_symlinks_in_the_tools_own_folders_are_never_followed(alice: User, base: Path, vault: Path) -> None:
    """A folder of root's (0700, so no user could have put them there now) holding
    symlinks from an earlier mishap: they are replaced or refused, never followed."""
    reports = base / f"r-{uuid.uuid4().hex[:6]}"
    reports.mkdir(mode=0o700)
    for name in ("run.json", "report.md", "summary.json", "report.html", "report.json"):
        (reports / name).symlink_to(vault / "passwd")
    before = vault_state(vault)
    p = cli("bulk", str(alice.home), "--no-cache", "-q", "--report-dir", str(reports))
    assert p.returncode == 0, p.stderr
    assert vault_state(vault) == before
    assert (
        not (reports / "run.json").is_symlink()
        and json.loads((reports / "summary.json").read_text())["job_scripts"] == 2
    )
    (reports / "files.jsonl").unlink()
    (reports / "files.jsonl").symlink_to(vault / "passwd")
    p = cli("bulk", str(alice.home), "--no-cache", "-q", "--report-dir", str(reports))
    assert vault_state(vault) == before
    assert "Traceback" not in p.stderr


def test_a_symlink_in_the_out_dir_mirror_is_not_followed(alice: User, base: Path, vault: Path) -> None:
    """The mirror of alice's folder made as a symlink to a root-only folder (by alice,
    when she could write the out-dir; by anyone, for a root-made one): the copy of her
    script must not land in it."""
    out = alice.home / "out"
    alice.sh(f"mkdir -p {out}{alice.home.parent}")
    os.symlink(vault, f"{out}{alice.home}")
    before = vault_state(vault)
    p = cli("bulk", str(alice.home), "--no-cache", "-q", "--out-dir", str(out))
    assert vault_state(vault) == before
    one_line_error(p)
    # the same mirror made by root (the folder is root's now): the copy fails, the run goes on
    root_out = base / f"o-{uuid.uuid4().hex[:6]}"
    (root_out / str(alice.home.parent).lstrip("/")).mkdir(parents=True, mode=0o700)
    os.symlink(vault, root_out / str(alice.home).lstrip("/"))
    for p_ in [root_out, *root_out.rglob("*")]:
        if not p_.is_symlink():
            p_.chmod(0o700)
    p = cli(
        "bulk",
        str(alice.home),
        "--no-cache",
        "-q",
        "--out-dir",
        str(root_out),
        "--report-dir",
        str(base / f"r-{uuid.uuid4().hex[:6]}"),
    )
    assert "Traceback" not in p.stderr
    assert vault_state(vault) == before and not (vault / "a.sh").exists()


def test_a_cache_folder_a_user_made_or_a_symlinked_database_is_refused(alice: User, base: Path, vault: Path) -> None:
    cache = alice.home / "cache"
    alice.sh(f"mkdir {cache}")
    p = cli("bulk", str(alice.home), "-q", "--cache-dir", str(cache))
    one_line_error(p)
    assert "--cache-dir" in p.stderr and "owned by" in p.stderr
    assert not (cache / "results.sqlite").exists()
    mine = base / f"c-{uuid.uuid4().hex[:6]}"
    mine.mkdir(mode=0o700)
    (mine / "results.sqlite").symlink_to(vault / "db.sqlite")
    p = cli("bulk", str(alice.home), "-q", "--cache-dir", str(mine))
    assert not (vault / "db.sqlite").exists()
    one_line_error(p)


# -- 3. no lost update ------------------------------------------------------------------
def test_a_save_during_the_run_is_never_lost(alice: User, base: Path) -> None:
    """alice appends to her scripts while root rewrites them: every line she wrote must be
    in the file afterwards (before or after the migration), however the two interleave."""
    folder = alice.home / "jobs"
    alice.sh(f"mkdir {folder}")
    n = 1500
    for i in range(n):
        (folder / f"j{i}.sh").write_bytes(JOB)
        alice.own(folder / f"j{i}.sh")
    writer = subprocess.Popen(
        [
            "/bin/bash",
            "-c",
            f"cd {folder}; k=0; while [ ! -e {base}/stop-{alice.name} ]; do "
            f'for i in $(seq 0 {n - 1}); do echo "# alice $k" >> j$i.sh; done; k=$((k+1)); done; echo $k',
        ],
        user=alice.uid,
        group=alice.gid,
        extra_groups=[],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        time.sleep(0.3)
        p = cli(
            "bulk",
            str(folder),
            "--write",
            "--no-cache",
            "-q",
            "-j",
            "2",
            "--backup-dir",
            str(base / f"b-{uuid.uuid4().hex[:6]}"),
            "--report-dir",
            str(base / f"r-{uuid.uuid4().hex[:6]}"),
        )
        assert p.returncode in (0, 1) and "Traceback" not in p.stderr, p.stderr
    finally:
        (base / f"stop-{alice.name}").touch()
        out, _ = writer.communicate(timeout=60)
        (base / f"stop-{alice.name}").unlink()
    rounds = int(out.strip())
    assert rounds > 2
    lost = {}
    for i in range(n):
        text = (folder / f"j{i}.sh").read_text()
        seen = [int(m) for m in re.findall(r"^# alice (\d+)$", text, re.M)]
        # the writer ends a round only after appending to every file
        if seen != list(range(rounds)):
            lost[i] = (len(seen), rounds)
    assert not lost, f"{len(lost)} of {n} files lost lines alice wrote: {list(lost.items())[:5]}"
    # and the migration did happen to most of them
    migrated = sum(b"module load singularity" not in (folder / f"j{i}.sh").read_bytes() for i in range(n))
    assert migrated > 0


# -- 4. a dead worker -------------------------------------------------------------------
LAUNCHER = Path(__file__).resolve().parent.parent / "corpus" / "py_subprocess_argv" / "input.py"


@pytest.mark.parametrize(("jobs", "victim"), [(2, "worker"), (3, "worker"), (3, "reader")])
def test_a_killed_worker_does_not_hang_the_run(base: Path, tmp_path: Path, jobs: int, victim: str) -> None:
    """Nor a killed Python reader (bulk/pyreader.py, with 3 workers or more: forked
    before them): the workers read their Python launchers themselves."""
    site = tmp_path / "site"
    launcher = LAUNCHER.read_bytes()
    for u in range(4):
        (site / f"u{u}").mkdir(parents=True)
        for i in range(1500):
            (site / f"u{u}" / f"j{i}.sh").write_bytes(JOB.replace(b"true", b"true %d" % i))
            if i % 50 == 0:
                (site / f"u{u}" / f"submit{i}.py").write_bytes(launcher.replace(b"eval.sh", b"eval%d.sh" % i))
    reports = tmp_path / "r"
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "sbatch_migrate",
            "bulk",
            str(site),
            "--no-cache",
            "-q",
            "-j",
            str(jobs),
            "--report-dir",
            str(reports),
        ],
        stderr=subprocess.PIPE,
        text=True,
        env=dict(os.environ, CI="true"),
    )
    killed = False
    processes = jobs + (jobs >= 3)  # the workers, and the reader forked before them
    deadline = time.monotonic() + 30
    while not killed and time.monotonic() < deadline and proc.poll() is None:
        children = _children(proc.pid)
        if len(children) >= processes:
            time.sleep(0.2)
            os.kill(int(children[0] if victim == "reader" else children[-1]), signal.SIGKILL)
            killed = True
        time.sleep(0.05)
    assert killed, f"the run ended before a {victim} could be killed"
    try:
        _, err = proc.communicate(timeout=120)
    except subprocess.TimeoutExpired:
        proc.kill()
        pytest.fail(f"the run hung after its {victim} was killed")
    assert proc.returncode == 0, err
    assert ("a worker process died" in err) == (victim == "worker")
    records = [json.loads(line) for line in (reports / "files.jsonl").read_text().splitlines()]
    assert len({r["path"] for r in records}) == len(records) == 6000 + 4 * 30
    launchers = [r for r in records if r["path"].endswith(".py")]
    assert {r["status"] for r in launchers} == {"would-change"}
    assert all(any(f["code"] == "SM101" for f in r["findings"]) for r in launchers)


def _children(pid: int) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(fields[1]) == pid:
                found.append(int(entry.name))
    return sorted(found)


# -- 5. reports are the administrator's -------------------------------------------------
def test_tool_folders_and_files_are_private_whatever_the_umask(alice: User, base: Path) -> None:
    tag = uuid.uuid4().hex[:6]
    folders = [base / f"r-{tag}", base / f"b-{tag}", base / f"o-{tag}", base / f"c-{tag}"]
    p = cli(
        "bulk",
        str(alice.home),
        "--write",
        "-q",
        "--report-dir",
        str(folders[0]),
        "--backup-dir",
        str(folders[1]),
        "--out-dir",
        str(folders[2]),
        "--cache-dir",
        str(folders[3]),
        umask=0,
    )
    assert p.returncode == 0, p.stderr
    for top in folders:
        for path in [top, *top.rglob("*")]:
            mode = stat.S_IMODE(path.lstat().st_mode)
            want = 0o700 if path.is_dir() else 0o600
            assert mode == want, f"{path}: {mode:04o}"
    # alice cannot read them
    r = alice.run("cat", str(folders[0] / "report.json"))
    assert r.returncode != 0


def test_report_group_shares_the_reports_read_only(alice: User, base: Path) -> None:
    import grp

    group = grp.getgrgid(alice.gid).gr_name
    reports = base / f"r-{uuid.uuid4().hex[:6]}"
    p = cli("bulk", str(alice.home), "--no-cache", "-q", "--report-dir", str(reports), "--report-group", group, umask=0)
    assert p.returncode == 0, p.stderr
    assert stat.S_IMODE(reports.stat().st_mode) == 0o750 and reports.stat().st_gid == alice.gid
    assert stat.S_IMODE((reports / "report.md").stat().st_mode) == 0o640
    r = subprocess.run(
        ["cat", str(reports / "report.md")], user=65534, group=alice.gid, capture_output=True, check=False
    )
    assert r.returncode == 0


# -- 6. a home cannot hide itself --------------------------------------------------------
def test_a_marker_a_user_made_does_not_hide_their_home(alice: User, base: Path) -> None:
    alice.sh("touch .sbatch-migrate-folder")
    reports = base / f"r-{uuid.uuid4().hex[:6]}"
    p = cli("bulk", str(alice.home.parent), "--no-cache", "-q", "--report-dir", str(reports))
    assert p.returncode == 0, p.stderr
    summary = json.loads((reports / "summary.json").read_text())
    assert summary["job_scripts"] >= 2 and alice.name in summary["users"]
    assert summary["statuses"].get("foreign-marker") == 1


# -- 7. failures are not success ---------------------------------------------------------
def test_a_file_that_cannot_be_written_counts_against_its_user(alice: User, base: Path) -> None:
    target = alice.home / "a.sh"
    if subprocess.run(["chattr", "+i", str(target)], capture_output=True, check=False).returncode:
        pytest.skip("no immutable attribute on this file system")
    try:
        reports = base / f"r-{uuid.uuid4().hex[:6]}"
        p = cli(
            "bulk",
            str(alice.home),
            "--write",
            "--no-cache",
            "-q",
            "--report-dir",
            str(reports),
            "--backup-dir",
            str(base / f"b-{uuid.uuid4().hex[:6]}"),
        )
    finally:
        subprocess.run(["chattr", "-i", str(target)], check=False)
    summary = json.loads((reports / "summary.json").read_text())
    assert summary["users"][alice.name]["ready"] is False
    assert p.returncode == 1
    assert summary["files_not_done"] == 1
    md = (reports / "report.md").read_text()
    assert "Nothing: every error was fixed" not in md and "not migrated (write-failed)" in md


# -- 8. recovery paths -------------------------------------------------------------------
def test_resume_after_a_damaged_run_state_is_a_one_line_error(alice: User, base: Path) -> None:
    reports = base / f"r-{uuid.uuid4().hex[:6]}"
    assert cli("bulk", str(alice.home), "--no-cache", "-q", "--report-dir", str(reports)).returncode == 0
    (reports / "run.json").write_text("")  # what a full disk left before run.json was written atomically
    p = cli("bulk", str(alice.home), "--no-cache", "-q", "--report-dir", str(reports), "--resume")
    one_line_error(p)
    assert "run.json" in p.stderr and "damaged" in p.stderr


def test_deep_trees_and_long_names_are_migrated_and_restored(base: Path, tmp_path: Path) -> None:
    site = tmp_path / "site"
    try:
        _deep_and_long(site, base, tmp_path)
    finally:
        subprocess.run(["rm", "-rf", str(site)], check=True)  # deeper than shutil.rmtree's recursion


def _deep_and_long(site: Path, base: Path, tmp_path: Path) -> None:
    deep = site
    for _ in range(2000 if len(str(site)) < 80 else 1900):
        deep = deep / "d"
    subprocess.run(["mkdir", "-p", str(deep)], check=True)  # os.makedirs recurses per level
    (deep / "job.sh").write_bytes(JOB)
    long_name = site / ("x" * 251 + ".sh")
    long_name.write_bytes(JOB)
    backups = base / f"b-{uuid.uuid4().hex[:6]}"
    p = cli(
        "bulk",
        str(site),
        "--write",
        "--no-cache",
        "-q",
        "--backup-dir",
        str(backups),
        "--report-dir",
        str(tmp_path / "r"),
    )
    assert p.returncode == 0, p.stderr
    assert (deep / "job.sh").read_bytes() != JOB and long_name.read_bytes() != JOB
    p = cli("restore", str(backups))
    assert p.returncode == 0, p.stderr
    assert (deep / "job.sh").read_bytes() == JOB and long_name.read_bytes() == JOB


def test_a_full_report_disk_stops_the_run_and_resume_finishes_it(base: Path, tmp_path: Path) -> None:
    """The report folder's disk fills up, during the journal or before run.json: a one-line
    error naming --resume, run.json never left empty or torn; once there is room, the
    --resume the error suggests finishes the run."""
    mnt = base / f"tiny-{uuid.uuid4().hex[:6]}"
    mnt.mkdir()
    if subprocess.run(["mount", "-t", "tmpfs", "-o", "size=64k", "tmpfs", str(mnt)], capture_output=True).returncode:
        pytest.skip("cannot mount a tmpfs here")
    try:
        site = tmp_path / "site"
        (site / "u1").mkdir(parents=True)
        for i in range(600):
            (site / "u1" / f"job{i}.sh").write_bytes(JOB)
        reports = mnt / "r"
        args = ["bulk", str(site), "--no-cache", "-q", "--report-dir", str(reports)]
        p = cli(*args)  # the journal fills the disk
        one_line_error(p)
        assert "--resume" in p.stderr
        assert json.loads((reports / "run.json").read_text())["finished"] is False
        # the disk full to the last byte before a new run writes its run.json (the folder,
        # its marker and its lock made by an earlier run)
        (reports / "run.json").unlink()
        filler = mnt / "filler"
        try:
            with open(filler, "wb") as fh:
                while True:
                    fh.write(b"x" * 512)
                    fh.flush()
        except OSError:
            pass  # full (the journal may have taken the last byte already)
        p = cli(*args)
        one_line_error(p)
        if (reports / "run.json").exists():
            json.loads((reports / "run.json").read_text())  # whole, never empty or torn
        filler.unlink(missing_ok=True)
        subprocess.run(["mount", "-o", "remount,size=16m", str(mnt)], check=True)
        p = cli(*args, "--resume")
        assert p.returncode == 0, p.stderr
        summary = json.loads((reports / "summary.json").read_text())
        assert summary["job_scripts"] == 600 and json.loads((reports / "run.json").read_text())["finished"] is True
    finally:
        subprocess.run(["umount", str(mnt)], check=False)


def test_a_worker_killed_between_batches_costs_no_file(tmp_path: Path) -> None:
    """Workers that die while the pool is idle are replaced before the next part is handed
    over: no part is lost or done again (with the executor pool this raised
    BrokenProcessPool out of the run)."""
    from sbatch_migrate.bulk import campaign
    from sbatch_migrate.checks import RULES
    from sbatch_migrate.profile import load

    site = tmp_path / "site"
    for part in ("a", "b"):
        (site / part).mkdir(parents=True)
        for i in range(20):
            (site / part / f"j{i}.sh").write_bytes(JOB.replace(b"true", b"true %d" % i))
    opts = campaign.Options(roots=[str(site)], profile=load(), rules=list(RULES), jobs=2)
    done = []

    def whole(folder: Path) -> None:
        """The folder's parts, handed out and taken: the first, then the pieces of the
        rest it gives back (a part ends at what its job scripts cost)."""
        workers.submit(str(site), [str(folder)])
        while workers.inflight:
            part = workers.next()[1]
            done.extend(part.folders)
            for piece in part.more:
                workers.submit(str(site), [], piece)

    with campaign.session(opts) as folders:
        workers = campaign._Workers(opts, folders, set())
        try:
            whole(site / "a")  # the pool runs, then idles
            assert workers.pool is not None
            idle = workers.pool.pids
            for pid in idle:  # kill the idle workers
                os.kill(pid, signal.SIGKILL)
            for pid in idle:
                deadline = time.monotonic() + 10
                while Path(f"/proc/{pid}").exists() and _state(pid) != "Z" and time.monotonic() < deadline:
                    time.sleep(0.02)
            whole(site / "b")
            assert not set(idle) & set(workers.pool.pids)
        finally:
            workers.close()
    # a folder's records come one by one (outcomes) or at once (hit: a worker folds them)
    records = [json.loads(o.line) for f in done for o in f.outcomes]
    records += [json.loads(line) for f in done if f.hit is not None for line in f.hit.lines.split("\n")]
    assert sorted(r["path"] for r in records) == sorted(str(p) for p in site.rglob("*.sh"))
    assert {r["status"] for r in records} == {"would-change"}
    assert workers.deaths == 2


def _state(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return "gone"
