"""The tool's own folders and the checked replace of a user's file, as units: whatever is
planted in a folder, nothing outside it changes; whatever a manifest says, restore writes
only over files of the run's trees; a save during a replace is never lost."""

from __future__ import annotations

import errno
import hashlib
import json
import os
import stat
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sbatch_migrate.bulk import writer
from sbatch_migrate.bulk.backup import BackupStore, restore
from sbatch_migrate.bulk.ownfolder import OwnFolder, UnsafeFolder, own_folder

NAMES = ["run.json", "files.jsonl", "report.md", ".lock", ".sbatch-migrate-folder", "sub"]
PLANTS = ["nothing", "symlink-to-vault", "symlink-to-dir", "fifo", "dir", "file"]


def _plant(folder: Path, name: str, kind: str, vault: Path) -> None:
    path = folder / name
    if kind == "symlink-to-vault":
        path.symlink_to(vault / "secret")
    elif kind == "symlink-to-dir":
        path.symlink_to(vault)
    elif kind == "fifo":
        os.mkfifo(path)
    elif kind == "dir":
        path.mkdir()
    elif kind == "file":
        path.write_bytes(b"old\n")


def _vault(vault: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in vault.iterdir()}


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    plants=st.dictionaries(st.sampled_from(NAMES), st.sampled_from(PLANTS), max_size=4),
    op=st.sampled_from(["write", "append", "fresh-append", "read", "update", "lock", "mark", "sub"]),
    name=st.sampled_from(NAMES),
)
def test_whatever_is_planted_nothing_outside_changes(
    tmp_path: Path, plants: dict[str, str], op: str, name: str
) -> None:
    case = tmp_path / os.urandom(4).hex()
    vault, folder = case / "vault", case / "own"
    vault.mkdir(parents=True)
    (vault / "secret").write_bytes(b"root only\n")
    folder.mkdir(mode=0o700)
    for planted, kind in plants.items():
        _plant(folder, planted, kind, vault)
    before = _vault(vault)
    try:
        with OwnFolder.open(folder, create=False) as own:
            if op == "write":
                own.write(name, b"new\n")
                assert (folder / name).read_bytes() == b"new\n" and not (folder / name).is_symlink()
            elif op in ("append", "fresh-append"):
                with own.open_append(name, fresh=op == "fresh-append") as fh:
                    fh.write(b"line\n")
            elif op == "read":
                own.read(name)
            elif op == "update":
                own.open_update(name).close()
            elif op == "lock":
                os.close(own.open_lock(name))
            elif op == "mark":
                own.mark("tests")
            else:
                own.sub(name).close()
    except OSError:
        pass  # refused (UnsafeFolder), not there, or not a file: never followed
    assert _vault(vault) == before
    assert sorted(os.listdir(vault)) == ["secret"]


def test_a_folder_is_refused_when_another_user_may_write_it(tmp_path: Path) -> None:
    folder = tmp_path / "r"
    folder.mkdir(mode=0o700)
    folder.chmod(0o770)
    with pytest.raises(UnsafeFolder, match="writable by its group"):
        OwnFolder.open(folder, create=False)
    folder.chmod(0o703)
    with pytest.raises(UnsafeFolder, match="writable by others"):
        OwnFolder.open(folder, create=False)
    folder.chmod(0o755)  # readable by others is the administrator's choice: files stay 0600
    with OwnFolder.open(folder, create=False) as own:
        own.write("x", b"1")
    assert stat.S_IMODE((folder / "x").stat().st_mode) == 0o600
    link = tmp_path / "link"
    link.symlink_to(folder)
    with pytest.raises(UnsafeFolder, match="a symlink: not followed"):
        OwnFolder.open(link, create=False)


@pytest.mark.skipif(os.geteuid() != 0, reason="chown to another user needs root")
def test_a_folder_or_file_of_another_user_is_refused(tmp_path: Path) -> None:
    folder = tmp_path / "r"
    folder.mkdir(mode=0o700)
    os.chown(folder, 65534, 65534)
    with pytest.raises(UnsafeFolder, match="owned by"):
        OwnFolder.open(folder, create=False)
    os.chown(folder, 0, 0)
    (folder / "run.json").write_text("{}")
    os.chown(folder / "run.json", 65534, 65534)
    with OwnFolder.open(folder, create=False) as own, pytest.raises(UnsafeFolder, match="not this tool's file"):
        own.read("run.json")


def test_missing_parents_are_made_private_one_name_at_a_time(tmp_path: Path) -> None:
    old = os.umask(0)
    try:
        with own_folder(tmp_path / "a" / "b" / "c", "tests") as own:
            own.write("f", b"x")
    finally:
        os.umask(old)
    for p in (tmp_path / "a", tmp_path / "a" / "b", tmp_path / "a" / "b" / "c"):
        assert stat.S_IMODE(p.stat().st_mode) == 0o700
    assert stat.S_IMODE((tmp_path / "a" / "b" / "c" / "f").stat().st_mode) == 0o600


# -- restore believes only its own runs ----------------------------------------------------
_paths = st.one_of(
    st.sampled_from(
        ["TREE/job.sh", "TREE/sub/x.sh", "VAULT/secret", "VAULT/new", "/etc/shadow-never", "TREE/../VAULT/secret"]
    ),
    st.text(min_size=0, max_size=20),
    st.integers(),
    st.none(),
)


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    path=_paths,
    root=st.sampled_from(["TREE", "/", "VAULT", "TREEPARENT", None, 7]),
    uid=st.sampled_from([0, 65534, -1, "0", None]),
    named_for_path=st.booleans(),
)
def test_restore_writes_only_over_files_of_the_runs_trees(
    tmp_path: Path, path: object, root: object, uid: object, named_for_path: bool
) -> None:
    case = tmp_path / os.urandom(4).hex()
    tree, vault = case / "tree", case / "vault"
    (tree / "sub").mkdir(parents=True)
    vault.mkdir()
    (vault / "secret").write_bytes(b"root only\n")
    (tree / "job.sh").write_bytes(b"migrated\n")

    def real(x: object) -> object:
        if not isinstance(x, str):
            return x
        return x.replace("TREEPARENT", str(case)).replace("TREE", str(tree)).replace("VAULT", str(vault))

    store = BackupStore(case / "b", "run1", [str(tree)])
    store.save(str(tree / "job.sh"), b"original\n", b"migrated\n", os.stat(tree / "job.sh"), str(tree))
    payload = b"evil\n"
    target = real(path)
    key = hashlib.sha256(os.fsencode(target if isinstance(target, str) else "x")).hexdigest()
    if not named_for_path:
        key = "0" * 64
    meta = {
        "path": target,
        "sha256_before": hashlib.sha256(payload).hexdigest(),
        "sha256_after": hashlib.sha256(b"root only\n").hexdigest(),
        "mode": 0o4755,
        "uid": uid,
        "gid": 0,
        "mtime_ns": 0,
        "root": real(root),
    }
    _, files_folder, meta_folder = store._open()
    with files_folder.sub(key[:2]) as files:
        files.write(key, payload)
    with meta_folder.sub(key[:2]) as metas:
        metas.write(key + ".json", json.dumps(meta).encode())
    store.close()
    before = {p.name: p.read_bytes() for p in vault.iterdir()}
    results = list(restore(case / "b"))
    assert {p.name: p.read_bytes() for p in vault.iterdir()} == before
    assert {r.status for r in results} <= {
        "restored",
        "already-original",
        "changed-since",
        "missing-backup",
        "refused",
        "error",
    }
    # nothing is created: the tree holds what it held
    assert sorted(p.name for p in tree.rglob("*")) == ["job.sh", "sub"]
    assert stat.S_IMODE((tree / "job.sh").stat().st_mode) & 0o7000 == 0
    assert (tree / "job.sh").read_bytes() in (b"original\n", b"migrated\n", payload)
    if (tree / "job.sh").read_bytes() == payload:  # only a manifest naming this very file
        assert target == str(tree / "job.sh")


# -- replacing a file its owner may be writing -------------------------------------------
@pytest.fixture
def job(tmp_path: Path) -> tuple[int, Path, os.stat_result]:
    path = tmp_path / "job.sh"
    path.write_bytes(b"old\n")
    fd = os.open(tmp_path, os.O_RDONLY | os.O_DIRECTORY)
    return fd, path, os.stat(path)


def _left(path: Path) -> list[str]:
    return sorted(p.name for p in path.parent.iterdir())


def test_replace_when_nothing_happens_meanwhile(job: tuple[int, Path, os.stat_result]) -> None:
    fd, path, st_ = job
    saved = []
    writer.replace_unchanged(
        fd, "job.sh", b"old\n", st_, b"new\n", 0o640, (st_.st_uid, st_.st_gid), lambda: saved.append(1)
    )
    assert path.read_bytes() == b"new\n" and stat.S_IMODE(path.stat().st_mode) == 0o640 and saved == [1]
    assert _left(path) == ["job.sh"]


@pytest.mark.parametrize("how", ["exchange", "link", "rename"])
def test_a_write_while_replacing_is_kept(
    job: tuple[int, Path, os.stat_result], monkeypatch: pytest.MonkeyPatch, how: str
) -> None:
    """The user's save lands after the check and before the replace is final (simulated at
    the one moment it can: inside the backup step, or just after the swap)."""
    fd, path, st_ = job
    if how != "exchange":
        monkeypatch.setattr(writer, "_exchange", lambda *a: False)
    if how == "rename":
        real_link = os.link

        def no_link(*a: object, **k: object) -> None:
            raise OSError(errno.EPERM, "no hard links here")

        monkeypatch.setattr(os, "link", no_link)
    monkeypatch.setattr(writer, "_lease", lambda fd: False)  # the status checks alone
    real_swap = writer._swap_in

    def swap_then_user_saves(folder: int, tmp: str, name: str) -> str | None:
        with open(path, "ab") as fh:  # the user's editor, with the file open before the swap
            kept = real_swap(folder, tmp, name)
            fh.write(b"user's line\n")
        return kept

    monkeypatch.setattr(writer, "_swap_in", swap_then_user_saves)
    if how == "rename":
        with pytest.raises(writer.ChangedAfter) as late:
            writer.replace_unchanged(fd, "job.sh", b"old\n", st_, b"new\n", 0o644, (st_.st_uid, st_.st_gid))
        assert late.value.data == b"old\nuser's line\n"  # the caller puts it back
        del real_link
    else:
        with pytest.raises(writer.Changed):
            writer.replace_unchanged(fd, "job.sh", b"old\n", st_, b"new\n", 0o644, (st_.st_uid, st_.st_gid))
        assert path.read_bytes() == b"old\nuser's line\n"  # the user's file, back under its name
    assert _left(path) == ["job.sh"]


def test_an_open_for_writing_during_the_replace_undoes_it(
    job: tuple[int, Path, os.stat_result], monkeypatch: pytest.MonkeyPatch
) -> None:
    fd, path, st_ = job
    monkeypatch.setattr(writer, "_lease_broken", lambda fd: True)  # what the kernel says when one waits
    with pytest.raises(writer.Changed, match="opened for writing"):
        writer.replace_unchanged(fd, "job.sh", b"old\n", st_, b"new\n", 0o644, (st_.st_uid, st_.st_gid))
    assert path.read_bytes() == b"old\n" and os.stat(path).st_ino == st_.st_ino and _left(path) == ["job.sh"]


def test_a_file_open_for_writing_is_not_replaced(job: tuple[int, Path, os.stat_result]) -> None:
    fd, path, st_ = job
    import subprocess
    import sys

    holder = subprocess.Popen([sys.executable, "-c", f"f = open({str(path)!r}, 'ab'); import time; time.sleep(30)"])
    try:
        import time

        time.sleep(0.5)
        with pytest.raises(writer.Changed, match="open for writing in another program"):
            writer.replace_unchanged(fd, "job.sh", b"old\n", st_, b"new\n", 0o644, (st_.st_uid, st_.st_gid))
    finally:
        holder.kill()
        holder.wait()
    assert path.read_bytes() == b"old\n"
