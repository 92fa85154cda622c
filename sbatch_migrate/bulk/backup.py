"""Backups of the files a bulk run rewrites, and ``sbatch-migrate restore``.

Layout of a backup folder::

    BACKUP_DIR/<run-id>/files/<absolute path of the file>        the original bytes
    BACKUP_DIR/<run-id>/meta/<absolute path of the file>.json    path, hashes, mode, owner

Both are written and synced by the worker *before* it replaces the file, so a run killed
at any point leaves every replaced file with its backup and its description.  ``restore`` puts an
original back only when the file still holds what the migration wrote (its sha256), so a
user's later edits are never overwritten (unless ``--force``).
"""

from __future__ import annotations

import errno
import hashlib
import json
import os
import stat
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .walk import mark_own_folder
from .writer import atomic_write, open_folder, write_at, xattrs_of


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


class BackupStore:
    def __init__(self, root: Path, run_id: str):
        mark_own_folder(root, "backups of the files a migration rewrote")
        self.run = root / run_id
        (self.run / "files").mkdir(parents=True, exist_ok=True)
        (self.run / "meta").mkdir(parents=True, exist_ok=True)
        os.chmod(self.run, 0o700)  # users' scripts and where they live: for the administrator only

    def save(self, path: str, original: bytes, migrated: bytes, st: os.stat_result, root: str = "/") -> Path:
        """``root``: the tree root the file was found under; ``restore`` reaches the file
        from there without following a symlink."""
        rel = path.lstrip("/")
        target = self.run / "files" / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        atomic_write(target, original)
        os.chmod(target, 0o600)  # other users' scripts: readable by the administrator only
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
        info = self.run / "meta" / (rel + ".json")
        info.parent.mkdir(parents=True, exist_ok=True)
        atomic_write(info, json.dumps(meta).encode())
        return target


@dataclass(frozen=True)
class RestoreResult:
    path: str
    status: str  # restored, already-original, changed-since, missing-backup, error
    detail: str = ""


def manifests(backup_dir: Path, run: str | None) -> Iterator[tuple[Path, dict[str, Any]]]:
    # newest run first: a file rewritten by two runs goes back to what the later one found
    # (the earlier one's output), then to its original (run ids sort by time)
    runs = [backup_dir / run] if run else sorted((p for p in backup_dir.iterdir() if p.is_dir()), reverse=True)
    for r in runs:
        meta = r / "meta"
        if not meta.is_dir():
            continue
        for folder, _, names in sorted(os.walk(meta)):
            for name in sorted(names):
                if name.endswith(".json"):
                    yield r, json.loads(Path(folder, name).read_text(encoding="utf-8"))


def restore(backup_dir: Path, run: str | None = None, force: bool = False) -> Iterator[RestoreResult]:
    for run_dir, entry in manifests(backup_dir, run):
        path = entry["path"]
        saved = run_dir / "files" / path.lstrip("/")
        try:
            original = saved.read_bytes()
        except OSError as exc:
            yield RestoreResult(path, "missing-backup", exc.strerror or str(exc))
            continue
        if sha256(original) != entry["sha256_before"]:
            yield RestoreResult(path, "error", "the backup does not match its manifest; left alone")
            continue
        try:
            # reached from its tree root, never through a symlink: a folder swapped for one
            # since the migration must not send root's write elsewhere
            folder = open_folder(os.path.dirname(path), entry.get("root", "/"))
        except (OSError, ValueError) as exc:
            yield RestoreResult(path, "error", _folder_error(exc))
            continue
        try:
            name = os.path.basename(path)
            try:
                fd = os.open(name, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC, dir_fd=folder)
                with os.fdopen(fd, "rb") as fh:
                    if not stat.S_ISREG(os.fstat(fh.fileno()).st_mode):
                        yield RestoreResult(path, "error", "not a regular file any more; left alone")
                        continue
                    current: bytes | None = fh.read()
                    xattrs = xattrs_of(fh.fileno())  # its ACL and labels stay with it
            except FileNotFoundError:
                current, xattrs = None, []
            if current is not None and sha256(current) == entry["sha256_before"]:
                yield RestoreResult(path, "already-original")
                continue
            if current is not None and sha256(current) != entry["sha256_after"] and not force:
                yield RestoreResult(path, "changed-since", "the file changed after the migration (use --force)")
                continue
            write_at(folder, name, original, entry["mode"], (entry["uid"], entry["gid"]), xattrs)
        except OSError as exc:
            detail = "it is a symlink now; left alone" if exc.errno == errno.ELOOP else exc.strerror or str(exc)
            yield RestoreResult(path, "error", detail)
            continue
        finally:
            os.close(folder)
        yield RestoreResult(path, "restored")


def _folder_error(exc: Exception) -> str:
    if isinstance(exc, OSError) and exc.errno in (errno.ELOOP, errno.ENOTDIR):
        return "a folder on its path is a symlink now: not followed, left alone"
    if isinstance(exc, OSError):
        return f"its folder cannot be opened: {exc.strerror or exc}"
    return str(exc)
