"""Writing files safely: temporary file in the same folder, fsync, atomic rename.

Run as root over users' trees, a path is not enough: between the walk and the write a
user can swap one of their folders for a symlink to ``/etc/profile.d`` and have root write
there.  :func:`open_folder` reaches a folder from the tree root one name at a time without
following a symlink, and :func:`write_at` works inside the folder it returns, so what is
read and written is always the file the walk found, in the tree.
"""

from __future__ import annotations

import errno
import fcntl
import os
import signal
import stat
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

TEMP_SUFFIX = ".sbatch-migrate"  # our temporary files: ".<name>.<8 chars>.sbatch-migrate"
_TEMP_CHARS = "abcdefghijklmnopqrstuvwxyz0123456789_"
_DIR_FLAGS = os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC


def temp_name(name: str) -> str:
    return f".{name[:200]}.{''.join(_TEMP_CHARS[b % len(_TEMP_CHARS)] for b in os.urandom(8))}{TEMP_SUFFIX}"


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


def _temp_with(
    folder: int, name: str, data: bytes, mode: int | None, owner: tuple[int, int] | None, xattrs: Xattrs | None
) -> str:
    """A new temporary file beside ``name`` holding ``data``, with its owner (when root),
    mode and extended attributes set, synced; returns its name.  An attribute that cannot
    be set fails (OSError naming it) and the temporary file is removed."""
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
    except BaseException:
        _unlink(folder, tmp)
        raise
    return tmp


def _unlink(folder: int, name: str) -> None:
    try:
        os.unlink(name, dir_fd=folder)
    except FileNotFoundError:
        pass


def _sync(folder: int) -> None:
    try:
        os.fsync(folder)
    except OSError:
        pass


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
    it was rather than replaced without its ACL.  For files nobody else writes meanwhile;
    a user's file is replaced with :func:`replace_unchanged`."""
    tmp = _temp_with(folder, name, data, mode, owner, xattrs)
    try:
        os.replace(tmp, name, src_dir_fd=folder, dst_dir_fd=folder)
    except BaseException:
        _unlink(folder, tmp)
        raise
    _sync(folder)


# -- replacing a file its owner may be writing -------------------------------------------
class Changed(Exception):
    """The file is not (or no longer) what was read: left as the user has it."""


class ChangedAfter(Exception):
    """Without a lease (a file system that has none), a write through a descriptor the
    user held open landed in the replaced file after it was checked: ``data`` is the
    user's version, which the caller must keep (the file now holds the migrated text)."""

    def __init__(self, data: bytes):
        super().__init__("the file was written while it was being replaced")
        self.data = data


_RENAME_EXCHANGE = 2
_renameat2: Any = None


def _exchange(folder: int, a: str, b: str) -> bool:
    """Swap the names ``a`` and ``b`` in ``folder`` atomically (renameat2 RENAME_EXCHANGE);
    False where the system or file system cannot."""
    global _renameat2
    import ctypes  # here: a run that writes nothing does not load it

    if _renameat2 is None:
        try:
            libc = ctypes.CDLL(None, use_errno=True)
            fn = libc.renameat2
            fn.argtypes = [ctypes.c_int, ctypes.c_char_p, ctypes.c_int, ctypes.c_char_p, ctypes.c_uint]
            _renameat2 = fn
        except (AttributeError, OSError):
            _renameat2 = False
    if _renameat2 is False:
        return False
    if _renameat2(folder, os.fsencode(a), folder, os.fsencode(b), _RENAME_EXCHANGE) == 0:
        return True
    err = ctypes.get_errno()
    if err in (errno.ENOSYS, errno.EINVAL, errno.EOPNOTSUPP, errno.ENOTSUP):
        return False
    raise OSError(err, os.strerror(err))


def _swap_in(folder: int, tmp: str, name: str) -> str | None:
    """Put the file ``tmp`` in place of ``name`` so that the file it replaces keeps a name
    (returned) until the caller has checked it: an exchange of the two names, else a hard
    link to it then a rename; None where only a plain rename is possible (the replaced
    file is then gone)."""
    try:
        if _exchange(folder, tmp, name):
            return tmp
        spare = temp_name(name)
        try:
            os.link(name, spare, src_dir_fd=folder, dst_dir_fd=folder, follow_symlinks=False)
        except OSError as exc:
            if exc.errno not in (errno.EPERM, errno.EOPNOTSUPP, errno.ENOTSUP, errno.EMLINK, errno.EXDEV):
                raise
            spare = ""
        try:
            os.replace(tmp, name, src_dir_fd=folder, dst_dir_fd=folder)
        except BaseException:
            if spare:
                _unlink(folder, spare)
            raise
        return spare or None
    except BaseException:
        _unlink(folder, tmp)
        raise


def _lease(fd: int) -> bool:
    """A read lease on ``fd``: from now on the kernel holds any open of the file for
    writing (or truncation) until it is released, and says so (:func:`_lease_broken`).
    False where leases are not available (NFS, no main thread to ignore SIGIO in);
    Changed when the file is open for writing right now."""
    if threading.current_thread() is not threading.main_thread():
        return False
    if signal.getsignal(signal.SIGIO) is not signal.SIG_IGN:
        signal.signal(signal.SIGIO, signal.SIG_IGN)  # a lease break is signalled: its default kills
    try:
        fcntl.fcntl(fd, fcntl.F_SETLEASE, fcntl.F_RDLCK)
    except OSError as exc:
        if exc.errno == errno.EAGAIN:
            raise Changed("the file is open for writing in another program; run again") from None
        return False
    return True


def _lease_broken(fd: int) -> bool:
    return bool(fcntl.fcntl(fd, fcntl.F_GETLEASE) != fcntl.F_RDLCK)


def _release(fd: int) -> None:
    try:
        fcntl.fcntl(fd, fcntl.F_SETLEASE, fcntl.F_UNLCK)
    except OSError:
        pass


def _same(a: os.stat_result, b: os.stat_result) -> bool:
    return (a.st_dev, a.st_ino, a.st_size, a.st_mtime_ns, a.st_ctime_ns) == (
        b.st_dev,
        b.st_ino,
        b.st_size,
        b.st_mtime_ns,
        b.st_ctime_ns,
    )


def _content(fd: int, limit: int) -> bytes:
    parts: list[bytes] = []
    got = 0
    while got < limit:
        chunk = os.pread(fd, min(limit - got, 1 << 20), got)
        if not chunk:
            break
        parts.append(chunk)
        got += len(chunk)
    return b"".join(parts)


def _modified(fd: int, st: os.stat_result, expected: bytes) -> bool:
    """Did the file (open as ``fd``) change since it held ``expected`` with status ``st``?
    Its ctime is not compared: renaming and unlinking it change that."""
    now = os.fstat(fd)
    if (now.st_size, now.st_mtime_ns) != (st.st_size, st.st_mtime_ns):
        return True
    return _content(fd, len(expected) + 1) != expected


def replace_unchanged(
    folder: int,
    name: str,
    expected: bytes,
    st: os.stat_result,
    data: bytes,
    mode: int,
    owner: tuple[int, int],
    before: Callable[[], None] | None = None,
) -> None:
    """Replace the user's file ``name`` (in ``folder``) with ``data``, only while it still
    holds ``expected`` (as read, with status ``st``), and without losing a save the user
    makes meanwhile.  ``before`` runs once the file is confirmed and before it is replaced
    (the backup).

    The file is opened and given a read lease (any open of it for writing now waits for
    this call), confirmed unchanged, and the migrated file is *exchanged* with it
    (renameat2 RENAME_EXCHANGE): the original stays whole under the temporary name.  Then,
    if the file was opened for writing or changed before the exchange took effect, the
    exchange is undone and the user's file is back as they left it (Changed).  Only then is
    the original removed.  Without leases the same checks run on the file's status, and
    without RENAME_EXCHANGE on a rename; a write that lands after them raises ChangedAfter
    with the user's version, which the caller keeps."""
    fd = os.open(name, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC, dir_fd=folder)
    try:
        now = os.fstat(fd)
        if not stat.S_ISREG(now.st_mode) or not _same(now, st):
            raise Changed("the file changed while it was being migrated; run again")
        leased = _lease(fd)
        try:
            if _content(fd, len(expected) + 1) != expected:
                raise Changed("the file changed while it was being migrated; run again")
            xattrs = xattrs_of(fd)
            if before is not None:
                before()
            tmp = _temp_with(folder, name, data, mode, owner, xattrs)
            kept = _swap_in(folder, tmp, name)  # where the original lives now, or None
            if kept is not None:
                if (leased and _lease_broken(fd)) or _modified(fd, st, expected):
                    os.replace(kept, name, src_dir_fd=folder, dst_dir_fd=folder)  # the user's file back, untouched
                    _unlink(folder, tmp)
                    raise Changed(
                        "the file was opened for writing while it was being replaced: left as it is; run again"
                    )
                _unlink(folder, kept)  # the original, whole in the backup
            _sync(folder)
        finally:
            if leased:
                _release(fd)
        if _modified(fd, st, expected):  # only possible without a lease
            raise ChangedAfter(_content(fd, 1 << 40))
    finally:
        os.close(fd)


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
