"""Writing files safely: temporary file in the same folder, fsync, atomic rename.

Run as root over users' trees, a path is not enough: between the walk and the write a
user can swap one of their folders for a symlink to ``/etc/profile.d`` and have root write
there.  :func:`open_folder` reaches a folder from the tree root one name at a time without
following a symlink, and :func:`write_at` works inside the folder it returns, so what is
read and written is always the file the walk found, in the tree.
"""

from __future__ import annotations

import errno
import os
import secrets
import stat
from pathlib import Path

TEMP_SUFFIX = ".sbatch-migrate"  # our temporary files: ".<name>.<8 chars>.sbatch-migrate"
_TEMP_CHARS = "abcdefghijklmnopqrstuvwxyz0123456789_"
_DIR_FLAGS = os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC


def temp_name(name: str) -> str:
    return f".{name[:200]}.{''.join(secrets.choice(_TEMP_CHARS) for _ in range(8))}{TEMP_SUFFIX}"


def root_of(path: str, roots: list[str]) -> str:
    """The folder of ``roots`` (absolute tree roots) that ``path`` was found under: the
    root itself, or its folder when the root is the file."""
    best = "/"
    for root in roots:
        if path == root:
            found = os.path.dirname(root)
        elif path.startswith(root.rstrip("/") + "/"):
            found = root
        else:
            continue
        if len(found) > len(best):
            best = found
    return best


def open_folder(folder: str, root: str) -> int:
    """A descriptor of ``folder``, reached from ``root`` (opened as given: the
    administrator chose it) one name at a time, never through a symlink: a folder replaced
    by a symlink on the way fails with ELOOP (or ENOTDIR) instead of leading elsewhere."""
    rel = os.path.relpath(folder, root)
    if rel == ".." or rel.startswith("../"):
        raise ValueError(f"{folder} is not under {root}")
    fd = os.open(root, _DIR_FLAGS)
    try:
        for part in [] if rel == "." else rel.split("/"):
            inner = os.open(part, _DIR_FLAGS | os.O_NOFOLLOW, dir_fd=fd)
            os.close(fd)
            fd = inner
    except BaseException:
        os.close(fd)
        raise
    return fd


Xattrs = list[tuple[str, bytes]]


# attributes that say who may do what with the file, or carry the user's own data; the
# others (trusted.*, lustre.lov and the like) describe where a file system keeps the file's
# data: a new file gets its folder's defaults for those, as any new file would
KEPT_XATTRS = ("user.", "security.", "system.posix_acl_access", "system.nfs4_acl")


def xattrs_of(file: int | str) -> Xattrs:
    """The extended attributes of an open file (or a path) that a replacing file must get
    again: POSIX or NFSv4 ACLs, SELinux labels, ``user.*``.  A replaced file is a new
    inode: without them it would silently lose its ACL.  [] where the file system has none."""
    try:
        return [(n, os.getxattr(file, n)) for n in os.listxattr(file) if n.startswith(KEPT_XATTRS)]
    except OSError as exc:
        if exc.errno in (errno.ENOTSUP, errno.ENODATA):
            return []
        raise


def write_at(
    folder: int,
    name: str,
    data: bytes,
    mode: int | None,
    owner: tuple[int, int] | None,
    xattrs: Xattrs | None = None,
) -> None:
    """Replace ``name`` in the folder ``folder`` (a descriptor) with ``data`` atomically:
    a new temporary file there (never through a symlink), its owner (when root), mode and
    extended attributes set, synced, renamed over ``name``, then the folder synced.  An
    attribute that cannot be set fails the write (OSError naming it): the file is left as
    it was rather than replaced without its ACL."""
    tmp = temp_name(name)
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC, 0o600, dir_fd=folder)
    try:
        try:
            view = memoryview(data)
            while view:
                view = view[os.write(fd, view) :]
            if owner is not None and os.geteuid() == 0:
                os.fchown(fd, *owner)  # before the mode: chown clears set-id bits
            if mode is not None:
                os.fchmod(fd, mode)
            for key, value in xattrs or ():  # after the mode: an ACL holds the mode's bits too
                try:
                    os.setxattr(fd, key, value)
                except OSError as exc:
                    raise OSError(exc.errno, f"cannot keep its extended attribute {key} ({exc.strerror})") from None
            os.fsync(fd)
        finally:
            os.close(fd)
        os.replace(tmp, name, src_dir_fd=folder, dst_dir_fd=folder)
    except BaseException:
        try:
            os.unlink(tmp, dir_fd=folder)
        except FileNotFoundError:
            pass
        raise
    try:
        os.fsync(folder)
    except OSError:
        pass


def atomic_write(path: str | Path, data: bytes, like: os.stat_result | None = None) -> None:
    """Replace ``path`` with ``data`` atomically, keeping its mode (and owner when root).
    For paths the caller chose (the command line, report and backup folders): its folder
    is opened as named."""
    target = Path(path)
    folder = os.open(target.parent, _DIR_FLAGS)
    try:
        if like is None:
            try:
                like = os.stat(target.name, dir_fd=folder)
            except FileNotFoundError:
                like = None
        mode = stat.S_IMODE(like.st_mode) if like is not None else None
        owner = (like.st_uid, like.st_gid) if like is not None else None
        xattrs = xattrs_of(str(target)) if like is not None and target.exists() else []
        write_at(folder, target.name, data, mode, owner, xattrs)
    finally:
        os.close(folder)
