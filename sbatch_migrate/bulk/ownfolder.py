"""The tool's own folders (reports, backups, migrated copies, the cache), safe from the
users whose trees a root run reads.

An administrator names these folders, but they may lie where a user can reach: the
default ``./sbatch-migrate-backups`` of a root shell in a user's folder, a report folder
a user made in advance, a folder created under ``umask 000``.  Whoever controls such a
folder controls what root writes through it: a ``run.json`` symlinked to ``/etc/cron.d``, a
planted restore manifest.  So an :class:`OwnFolder` is

- opened once, as a descriptor, never through a symlink (its own name included), and
  accepted only when it is a folder owned by the running user that nobody else may write
  (group and others without write permission);
- created with mode 0700 whatever the umask (0750 with a sharing group), and its files
  0600 (0640), since they hold other users' paths and script text;
- worked in only through that descriptor: subfolders are made and opened one name at a
  time with the same checks, files are created as a temporary file (``O_EXCL``,
  ``O_NOFOLLOW``) synced and renamed into place, and read only when they are regular
  files owned by the running user.

The folder names a user could see from outside (the path given) are followed as given,
as the administrator chose them; nothing inside the folder ever is.
"""

from __future__ import annotations

import errno
import os
import pwd
import stat
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO

MARKER = ".sbatch-migrate-folder"
_MARKER_TEXT = (
    "This folder holds {what} written by sbatch-migrate.\n"
    "sbatch-migrate bulk does not look inside a folder holding this file.\n"
)
_DIR = os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC | os.O_NOFOLLOW
_TEMP_CHARS = "abcdefghijklmnopqrstuvwxyz0123456789"


class UnsafeFolder(OSError):
    """A tool folder (or a file in it) that another user could control, or that is not
    what it should be; the message is one line naming it and why."""

    def __str__(self) -> str:
        return str(self.strerror)


def _who(uid: int) -> str:
    try:
        return f"{pwd.getpwuid(uid).pw_name} (uid {uid})"
    except KeyError:
        return f"uid {uid}"


def _check_dir(st: os.stat_result, where: str, group: int | None) -> None:
    me = os.geteuid()
    if not stat.S_ISDIR(st.st_mode):
        raise UnsafeFolder(errno.ENOTDIR, f"{where}: not a folder")
    if st.st_uid != me:
        raise UnsafeFolder(
            errno.EPERM,
            f"{where}: owned by {_who(st.st_uid)}, not by {_who(me)}: another user could redirect what this "
            "run writes there; choose a folder of your own",
        )
    if st.st_mode & 0o002 or (st.st_mode & 0o020 and (group is None or st.st_gid != group)):
        raise UnsafeFolder(
            errno.EPERM,
            f"{where}: writable by {'others' if st.st_mode & 0o002 else 'its group'} "
            f"(mode {stat.S_IMODE(st.st_mode):04o}): another user could plant files there; "
            f"`chmod go-w {where}` or choose another folder",
        )


class OwnFolder:
    """One of the tool's folders, held open (see the module's doc)."""

    def __init__(self, fd: int, path: Path, group: int | None = None):
        self.fd = fd
        self.path = path
        self.group = group  # a group the folder and its files are shared with (read only)

    @property
    def dir_mode(self) -> int:
        return 0o750 if self.group is not None else 0o700

    @property
    def file_mode(self) -> int:
        return 0o640 if self.group is not None else 0o600

    # -- opening -------------------------------------------------------------------------
    @classmethod
    def open(cls, path: str | Path, create: bool = True, group: int | None = None) -> OwnFolder:
        """The folder ``path``; with ``create``, the missing part of the path is made one
        name at a time from the nearest folder that exists (mode 0700, never through a
        symlink).  UnsafeFolder when it is not safe to write in, OSError when it cannot be
        made or opened."""
        path = Path(os.path.abspath(path))
        missing: list[str] = []
        base = path
        while create and not os.path.lexists(base) and base != base.parent:
            missing.append(base.name)
            base = base.parent
        try:
            # the administrator's path is followed as given up to the folder itself
            fd = os.open(base, _DIR if base == path else _DIR & ~os.O_NOFOLLOW)
        except OSError as exc:
            if exc.errno in (errno.ELOOP, errno.ENOTDIR) and os.path.islink(base):
                raise UnsafeFolder(errno.ELOOP, f"{base}: a symlink: not followed; name the folder itself") from None
            raise
        folder = cls(fd, base, group)
        try:
            if not missing:
                _check_dir(os.fstat(fd), str(path), group)
            for name in reversed(missing):
                inner = folder.sub(name)
                folder.close()
                folder = inner
        except BaseException:
            folder.close()
            raise
        return folder

    def sub(self, name: str, create: bool = True) -> OwnFolder:
        """A subfolder (one name), made if needed (mode 0700, or 0750 with a group, whatever
        the umask), opened without following a symlink and checked."""
        _plain(name)
        made = False
        if create:
            try:
                os.mkdir(name, 0o700, dir_fd=self.fd)
                made = True
            except FileExistsError:
                pass
        try:
            fd = os.open(name, _DIR, dir_fd=self.fd)
        except OSError as exc:
            if exc.errno in (errno.ELOOP, errno.ENOTDIR):
                raise UnsafeFolder(exc.errno, f"{self.path / name}: not a folder (a symlink or a file)") from None
            raise
        folder = OwnFolder(fd, self.path / name, self.group)
        try:
            st = os.fstat(fd)
            if made and st.st_uid == os.geteuid():  # the folder this call made: its group and mode
                if self.group is not None:
                    os.fchown(fd, -1, self.group)
                os.fchmod(fd, self.dir_mode)
                st = os.fstat(fd)
            _check_dir(st, str(folder.path), self.group)
        except BaseException:
            folder.close()
            raise
        return folder

    def subpath(self, parts: list[str], create: bool = True) -> OwnFolder:
        """A folder several names down (a mirrored tree), one name at a time (no recursion:
        any depth)."""
        folder = self
        for part in parts:
            inner = folder.sub(part, create)
            if folder is not self:
                folder.close()
            folder = inner
        return folder if folder is not self else OwnFolder(os.dup(self.fd), self.path, self.group)

    def close(self) -> None:
        if self.fd >= 0:
            os.close(self.fd)
            self.fd = -1

    def __enter__(self) -> OwnFolder:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- files ---------------------------------------------------------------------------
    def write(self, name: str, data: bytes) -> None:
        """Replace ``name`` with ``data``: a temporary file, synced, renamed over it (a
        crash or a full disk leaves the old file whole)."""
        with self.replacing(name) as fh:
            fh.write(data)

    @contextmanager
    def replacing(self, name: str) -> Iterator[IO[bytes]]:
        """A file to write ``name`` through; renamed into place when the block ends
        without an error, removed otherwise."""
        _plain(name)
        tmp = f".{name[:200]}.{''.join(_TEMP_CHARS[b % len(_TEMP_CHARS)] for b in os.urandom(8))}.tmp"
        fd = os.open(
            tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC, self.file_mode, dir_fd=self.fd
        )
        try:
            with os.fdopen(fd, "wb") as fh:
                os.fchmod(fh.fileno(), self.file_mode)  # whatever the umask
                if self.group is not None:
                    os.fchown(fh.fileno(), -1, self.group)
                yield fh
                fh.flush()
                os.fsync(fh.fileno())
            os.rename(tmp, name, src_dir_fd=self.fd, dst_dir_fd=self.fd)
        except BaseException:
            try:
                os.unlink(tmp, dir_fd=self.fd)
            except OSError:
                pass
            raise
        try:
            os.fsync(self.fd)
        except OSError:
            pass

    def open_append(self, name: str, fresh: bool = False) -> IO[bytes]:
        """``name`` opened for appending (created if missing; emptied first when
        ``fresh``); refused unless it is a regular file of ours."""
        _plain(name)
        if fresh:
            self.unlink(name)
        flags = os.O_WRONLY | os.O_APPEND | os.O_CREAT | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC
        try:
            fd = os.open(name, flags, self.file_mode, dir_fd=self.fd)  # a FIFO there must not block
        except OSError as exc:
            if exc.errno == errno.ENXIO:
                raise UnsafeFolder(errno.ENXIO, f"{self.path / name}: not a regular file") from None
            raise
        try:
            self._check_file(os.fstat(fd), name)
            os.set_blocking(fd, True)
            os.fchmod(fd, self.file_mode)
        except BaseException:
            os.close(fd)
            raise
        return os.fdopen(fd, "ab")

    def open_read(self, name: str) -> IO[bytes]:
        """``name`` for reading: a regular file of ours, never through a symlink
        (FileNotFoundError when it is not there)."""
        _plain(name)
        try:
            fd = os.open(name, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC, dir_fd=self.fd)
        except OSError as exc:
            if exc.errno == errno.ELOOP:
                raise UnsafeFolder(errno.ELOOP, f"{self.path / name}: a symlink: not followed") from None
            raise
        try:
            self._check_file(os.fstat(fd), name)
        except BaseException:
            os.close(fd)
            raise
        return os.fdopen(fd, "rb")

    def open_update(self, name: str) -> IO[bytes]:
        """``name`` for reading and writing in place (a journal to cut a torn line off): a
        regular file of ours, never through a symlink; FileNotFoundError when missing."""
        _plain(name)
        fd = os.open(name, os.O_RDWR | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC, dir_fd=self.fd)
        try:
            self._check_file(os.fstat(fd), name)
            os.set_blocking(fd, True)
        except BaseException:
            os.close(fd)
            raise
        return os.fdopen(fd, "rb+")

    def read(self, name: str, limit: int = 1 << 30) -> bytes:
        with self.open_read(name) as fh:
            return fh.read(limit)

    def open_lock(self, name: str) -> int:
        """A descriptor of the lock file ``name`` (made if missing), a regular file of ours."""
        _plain(name)
        flags = os.O_RDWR | os.O_CREAT | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC
        fd = os.open(name, flags, self.file_mode, dir_fd=self.fd)
        try:
            self._check_file(os.fstat(fd), name)
            os.fchmod(fd, self.file_mode)
        except BaseException:
            os.close(fd)
            raise
        return fd

    def _check_file(self, st: os.stat_result, name: str) -> None:
        if not stat.S_ISREG(st.st_mode):
            raise UnsafeFolder(errno.EINVAL, f"{self.path / name}: not a regular file")
        if st.st_uid != os.geteuid():
            raise UnsafeFolder(errno.EPERM, f"{self.path / name}: owned by {_who(st.st_uid)}: not this tool's file")

    def lstat(self, name: str) -> os.stat_result | None:
        _plain(name)
        try:
            return os.stat(name, dir_fd=self.fd, follow_symlinks=False)
        except FileNotFoundError:
            return None

    def exists(self, name: str) -> bool:
        return self.lstat(name) is not None

    def unlink(self, name: str) -> None:
        _plain(name)
        try:
            os.unlink(name, dir_fd=self.fd)
        except FileNotFoundError:
            pass

    def names(self) -> list[str]:
        """The names in the folder, sorted."""
        return sorted(os.listdir(self.fd))

    def inner_path(self, name: str) -> str:
        """A path that reaches ``name`` through the open descriptor (for a library that
        wants a path: SQLite); the folder's own name is not looked up again."""
        _plain(name)
        proc = f"/proc/self/fd/{self.fd}"
        return f"{proc}/{name}" if os.path.isdir(proc) else str(self.path / name)

    # -- marking -------------------------------------------------------------------------
    def mark(self, what: str) -> None:
        """Mark the folder as the tool's own: a bulk run never looks inside it (see
        :func:`is_marker`)."""
        st = self.lstat(MARKER)
        if st is not None and stat.S_ISREG(st.st_mode) and st.st_uid == os.geteuid():
            return
        self.write(MARKER, _MARKER_TEXT.format(what=what).encode())


def _plain(name: str) -> None:
    if not name or "/" in name or name in (".", "..") or "\0" in name:
        raise ValueError(f"not a plain file name: {name!r}")


def is_marker(st: os.stat_result, folder: os.stat_result) -> bool:
    """A marker file the walk honours: a regular file owned by the running user in a folder
    owned by the running user.  One a user made (``touch ~/.sbatch-migrate-folder``) would
    otherwise hide their whole home from the run."""
    me = os.geteuid()
    return stat.S_ISREG(st.st_mode) and st.st_uid == me and folder.st_uid == me


def own_folder(path: str | Path, what: str, group: int | None = None) -> OwnFolder:
    """Open (creating it) and mark one of the tool's folders."""
    folder = OwnFolder.open(path, True, group)
    try:
        folder.mark(what)
    except BaseException:
        folder.close()
        raise
    return folder
