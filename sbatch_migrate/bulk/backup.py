"""Backups of the files a bulk run rewrites, and ``sbatch-migrate restore``.

Layout of a backup folder (every folder 0700 and every file 0600, owned by the user who
ran it; see :mod:`.ownfolder`)::

    BACKUP_DIR/<run-id>/run.json                     layout, run id, the roots of the run
    BACKUP_DIR/<run-id>/files/<kk>/<key>             the original bytes
    BACKUP_DIR/<run-id>/meta/<kk>/<key>.json         path, hashes, mode, owner, tree root

``key`` is the sha256 of the file's path (``kk`` its first two digits): a flat layout of
fixed-length names, so neither a 2,000-level tree nor a 255-byte file name makes a backup
impossible.  Both are written and synced by the worker *before* it replaces the file, so
a run killed at any point leaves every replaced file with its backup and its description.

``restore`` runs as root over what a backup folder says, so it believes only what a run of
this tool wrote and only what a run could have done:

- the backup folder, the run folder, its ``run.json``, every manifest and backup file must
  be owned by the running user and not writable by anyone else, reached without
  following a symlink;
- a manifest's path must lie under one of the roots its run recorded, and its tree root
  must be one of them;
- a file is put back only over the file that is there now: never created, never through a
  symlink, only when it is a regular file whose owner and group are the manifest's, and
  (without ``--force``) only when it still holds what the migration wrote;
- it keeps the current file's permission bits without set-id bits, whatever the manifest
  says.
"""

from __future__ import annotations

import errno
import hashlib
import json
import os
import stat
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from ..record import record
from .ownfolder import OwnFolder, UnsafeFolder, own_folder
from .writer import Changed, ChangedAfter, open_folder, replace_unchanged, write_at

LAYOUT = 2
_RUN_FILE = "run.json"


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def path_key(path: str) -> str:
    return hashlib.sha256(os.fsencode(path)).hexdigest()


class BackupStore:
    """One run's backups.  The backup folder is opened and checked when the store is made
    (before any worker starts: they inherit it); the run's own folder and its run.json are
    made on the first backup, so a run that rewrites nothing leaves nothing."""

    def __init__(self, root: Path, run_id: str, roots: list[str]):
        self.top = own_folder(root, "backups of the files a migration rewrote")
        self.run_id = run_id
        self.roots = roots
        self.path = self.top.path / run_id
        self._folders: tuple[OwnFolder, OwnFolder, OwnFolder] | None = None
        self._pid = 0

    def _open(self) -> tuple[OwnFolder, OwnFolder, OwnFolder]:
        if self._folders is None or self._pid != os.getpid():  # a forked worker opens its own
            run = self.top.sub(self.run_id)
            if not run.exists(_RUN_FILE):
                state = {"layout": LAYOUT, "run_id": self.run_id, "roots": self.roots}
                run.write(_RUN_FILE, json.dumps(state).encode() + b"\n")
            self._folders = (run, run.sub("files"), run.sub("meta"))
            self._pid = os.getpid()
        return self._folders

    def save(self, path: str, original: bytes, migrated: bytes, st: os.stat_result, root: str = "/") -> str:
        """Keep ``original`` as the backup of ``path``; ``root``: the tree root it was
        found under (``restore`` reaches the file from there without following a
        symlink).  Returns where the bytes are, for messages."""
        _, files_folder, meta_folder = self._open()
        key = path_key(path)
        with files_folder.sub(key[:2]) as files:
            files.write(key, original)
        meta = {
            "path": path,
            "sha256_before": sha256(original),
            "sha256_after": sha256(migrated),
            "mode": st.st_mode & 0o7777,
            "uid": st.st_uid,
            "gid": st.st_gid,
            "mtime_ns": st.st_mtime_ns,
            "root": root,
        }
        with meta_folder.sub(key[:2]) as metas:
            metas.write(key + ".json", json.dumps(meta).encode())
        return str(files_folder.path / key[:2] / key)

    def close(self) -> None:
        if self._folders is not None and self._pid == os.getpid():
            for folder in self._folders:
                folder.close()
        self._folders = None
        self.top.close()


@record(frozen=True)
class RestoreResult:
    path: str
    status: str  # restored, already-original, changed-since, missing-backup, refused, error
    detail: str = ""


def runs(backup_dir: Path) -> list[str]:
    """The run folders of a backup folder, oldest first (UnsafeFolder when the folder is
    not one this user's runs made)."""
    with OwnFolder.open(backup_dir, create=False) as top:
        return [n for n in top.names() if not n.startswith(".") and stat.S_ISDIR(_lstat(top, n))]


def _lstat(folder: OwnFolder, name: str) -> int:
    st = folder.lstat(name)
    return st.st_mode if st is not None else 0


def restore(backup_dir: Path, run: str | None = None, force: bool = False) -> Iterator[RestoreResult]:
    """Put back the originals of ``run`` (or of every run, newest first: a file rewritten
    by two runs goes back to what the later one found, then to its original)."""
    with OwnFolder.open(backup_dir, create=False) as top:
        names = [run] if run else sorted(runs(backup_dir), reverse=True)
        for name in names:
            try:
                folder = top.sub(name, create=False)
            except (UnsafeFolder, OSError) as exc:
                yield RestoreResult(str(top.path / name), "refused", _why(exc))
                continue
            with folder:
                yield from _restore_run(folder, force)


def _why(exc: BaseException) -> str:
    return str(exc) if isinstance(exc, UnsafeFolder) else getattr(exc, "strerror", None) or str(exc)


def _restore_run(folder: OwnFolder, force: bool) -> Iterator[RestoreResult]:
    try:
        state = json.loads(folder.read(_RUN_FILE, 1 << 20))
        roots = [r for r in state["roots"] if isinstance(r, str) and r.startswith("/")]
        if state.get("layout") != LAYOUT or not roots:
            raise ValueError("not a backup run of this version")
    except FileNotFoundError:
        if not folder.exists("meta"):
            return  # a run killed before its first backup: nothing to restore
        yield RestoreResult(
            str(folder.path),
            "refused",
            f"no {_RUN_FILE}: not a run of this version of sbatch-migrate (its originals, if any, are under files/)",
        )
        return
    except (UnsafeFolder, OSError, ValueError, KeyError, TypeError) as exc:
        yield RestoreResult(str(folder.path / _RUN_FILE), "refused", _why(exc))
        return
    if not folder.exists("meta"):
        return  # a run killed before its first backup: nothing to restore
    try:
        meta, files = folder.sub("meta", create=False), folder.sub("files", create=False)
    except (UnsafeFolder, OSError) as exc:
        yield RestoreResult(str(folder.path), "refused", _why(exc))
        return
    with meta, files:
        for fan in meta.names():
            try:
                metas, originals = meta.sub(fan, create=False), files.sub(fan, create=False)
            except (UnsafeFolder, OSError) as exc:
                yield RestoreResult(str(meta.path / fan), "refused", _why(exc))
                continue
            with metas, originals:
                for manifest in metas.names():
                    if manifest.endswith(".json"):
                        yield _restore_one(metas, manifest, originals, roots, force)


def _under(path: str, root: str) -> bool:
    return path == root or path.startswith(root.rstrip("/") + "/")


def _entry(metas: OwnFolder, manifest: str, roots: list[str]) -> dict[str, Any]:
    """A manifest, checked: what a run of this tool could have written (ValueError)."""
    entry = json.loads(metas.read(manifest, 1 << 20))
    path, root = entry.get("path"), entry.get("root")
    if not isinstance(path, str) or not os.path.isabs(path) or os.path.normpath(path) != path:
        raise ValueError("its path is not a plain absolute path")
    if manifest != path_key(path) + ".json":
        raise ValueError("its name does not match its path")
    if not isinstance(root, str) or (root not in roots and root not in {os.path.dirname(r) for r in roots}):
        raise ValueError(f"its tree root {root!r} is not a root of the run")
    if not any(_under(path, r) for r in roots):
        raise ValueError("its path is not under a root of the run")
    for field in ("uid", "gid"):
        if not isinstance(entry.get(field), int) or entry[field] < 0:
            raise ValueError(f"no valid {field}")
    for field in ("sha256_before", "sha256_after"):
        if not isinstance(entry.get(field), str):
            raise ValueError(f"no {field}")
    return entry


def _restore_one(metas: OwnFolder, manifest: str, originals: OwnFolder, roots: list[str], force: bool) -> RestoreResult:
    where = str(metas.path / manifest)
    try:
        entry = _entry(metas, manifest, roots)
    except (UnsafeFolder, OSError, ValueError) as exc:
        return RestoreResult(where, "refused", f"manifest not trusted: {_why(exc)}")
    path = entry["path"]
    try:
        original = originals.read(manifest[: -len(".json")])
    except (UnsafeFolder, OSError) as exc:
        return RestoreResult(path, "missing-backup", _why(exc))
    if sha256(original) != entry["sha256_before"]:
        return RestoreResult(path, "error", "the backup does not match its manifest; left alone")
    try:
        # reached from its tree root, never through a symlink: a folder swapped for one
        # since the migration must not send root's write elsewhere
        folder = open_folder(os.path.dirname(path), entry["root"])
    except (OSError, ValueError) as exc:
        return RestoreResult(path, "error", _folder_error(exc))
    try:
        name = os.path.basename(path)
        try:
            fd = os.open(name, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC, dir_fd=folder)
        except FileNotFoundError:
            return RestoreResult(path, "error", "the file is not there any more: not created")
        try:
            st = os.fstat(fd)
            if not stat.S_ISREG(st.st_mode):
                return RestoreResult(path, "error", "not a regular file any more; left alone")
            current = _read_all(fd)
        finally:
            os.close(fd)
        if (st.st_uid, st.st_gid) != (entry["uid"], entry["gid"]):
            return RestoreResult(
                path, "refused", f"owned by {st.st_uid}:{st.st_gid} now, not {entry['uid']}:{entry['gid']}: left alone"
            )
        if sha256(current) == entry["sha256_before"]:
            return RestoreResult(path, "already-original")
        if sha256(current) != entry["sha256_after"] and not force:
            return RestoreResult(path, "changed-since", "the file changed after the migration (use --force)")
        mode = stat.S_IMODE(st.st_mode) & 0o777  # never a set-id bit
        replace_unchanged(folder, name, current, st, original, mode, (st.st_uid, st.st_gid))
    except Changed as exc:
        return RestoreResult(path, "changed-since", str(exc))
    except ChangedAfter as late:  # a write that landed in the replaced file: the user's version wins
        try:
            write_at(folder, os.path.basename(path), late.data, stat.S_IMODE(st.st_mode), (st.st_uid, st.st_gid))
        except OSError as exc:
            return RestoreResult(path, "error", f"written while it was being restored; {exc.strerror or exc}")
        return RestoreResult(path, "changed-since", "the file was written while it was being restored: kept; run again")
    except OSError as exc:
        detail = "it is a symlink now; left alone" if exc.errno == errno.ELOOP else exc.strerror or str(exc)
        return RestoreResult(path, "error", detail)
    finally:
        os.close(folder)
    return RestoreResult(path, "restored")


def _read_all(fd: int) -> bytes:
    parts = []
    while chunk := os.read(fd, 1 << 20):
        parts.append(chunk)
    return b"".join(parts)


def _folder_error(exc: Exception) -> str:
    if isinstance(exc, OSError) and exc.errno in (errno.ELOOP, errno.ENOTDIR):
        return "a folder on its path is a symlink now: not followed, left alone"
    if isinstance(exc, OSError):
        return f"its folder cannot be opened: {exc.strerror or exc}"
    return str(exc)
