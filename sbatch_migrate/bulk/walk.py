"""Walking trees: every file under the roots, once, never through a symlink; the skip
lists, the size limit and the tool's own folders (marked) respected."""

from __future__ import annotations

import errno
import hashlib
import operator
import os
import stat
from collections.abc import Iterator

from ..record import NamedTuple
from .ownfolder import MARKER, is_marker
from .writer import TEMP_SUFFIX

# -- walking trees ----------------------------------------------------------------------
SKIP_DIRS = frozenset(
    {
        ".git",
        ".hg",
        ".svn",
        ".bzr",
        "__pycache__",
        ".cache",
        "node_modules",
        ".venv",
        "venv",
        ".conda",
        ".tox",
        ".mypy_cache",
        ".pytest_cache",
        ".ruff_cache",
        "site-packages",
        ".ipynb_checkpoints",
        ".Trash",
        ".local",
    }
)


class Candidate(NamedTuple):
    path: str
    size: int
    mtime_ns: int
    ctime_ns: int  # changes with any write, and utime cannot set it back
    ino: int
    uid: int


class Skipped(NamedTuple):
    path: str
    # symlink, too-large, unreadable, vcs-or-cache, sbatch-migrate-folder, foreign-marker, stale-temp,
    # special-file
    reason: str


def distinct_roots(roots: list[str]) -> tuple[list[str], list[tuple[str, str]]]:
    """The roots (absolute), each once and none inside another: a file under two roots
    would be looked at, counted and (with --write) rewritten twice.  Returns them and the
    dropped ones, each with the root it is in."""
    real = [(os.path.realpath(r), os.path.abspath(r), os.path.islink(r)) for r in roots]
    kept: list[str] = []
    dropped: list[tuple[str, str]] = []
    for i, (path, root, is_link) in enumerate(real):
        if is_link:  # reported by the walk as a symlink, whatever it points to
            if root not in kept:
                kept.append(root)
            continue
        outer = next(
            (
                other
                for j, (opath, other, link) in enumerate(real)
                # a root that is a symlink is not walked (reported): it holds nothing
                if j != i and not link and ((opath == path and j < i) or path.startswith(opath.rstrip("/") + "/"))
            ),
            None,
        )
        if outer is None:
            kept.append(root)
        elif outer != root:
            dropped.append((root, outer))
    return kept, dropped


_DIR = os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW | os.O_CLOEXEC


class Chain:
    """Descriptors of the folders on the path being walked, each opened from the one above
    it, never through a symlink: a folder a user swaps for a symlink after it was listed is
    not listed through it (a link to ``/`` would have had the whole file system walked).
    At most MAX are kept open; a deeper folder is reached again from the nearest one kept."""

    MAX = 64

    def __init__(self, root: str):
        self.root = root
        self.chain: list[tuple[str, int]] = []

    def fd(self, folder: str) -> int:
        chain = self.chain
        while chain and not (folder == chain[-1][0] or folder.startswith(chain[-1][0].rstrip("/") + "/")):
            os.close(chain.pop()[1])
        if chain and chain[-1][0] == folder:
            return chain[-1][1]
        if not chain:
            chain.append((self.root, os.open(self.root, _DIR)))
            if folder == self.root:
                return chain[0][1]
        base, fd = chain[-1]
        path = base
        for part in folder[len(base) :].strip("/").split("/"):
            fd = os.open(part, _DIR, dir_fd=fd)
            path = f"{path.rstrip('/')}/{part}"
            chain.append((path, fd))
            if len(chain) > self.MAX:
                os.close(chain.pop(1)[1])
        return fd

    def close(self) -> None:
        while self.chain:
            os.close(self.chain.pop()[1])


def walk(roots: list[str], max_size: int) -> Iterator[Candidate | Skipped]:
    """Regular files under ``roots`` in a stable order; never follows a symlink (each folder
    is listed through a descriptor opened from its parent's, see :class:`Chain`)."""
    for root in distinct_roots(roots)[0]:
        item = root_item(root)
        if item is not None:
            yield item
            continue
        top = os.path.abspath(root)
        chain = Chain(top)
        try:
            yield from _walk_tree(top, chain, max_size)
        finally:
            chain.close()


def root_item(root: str) -> Candidate | Skipped | None:
    """A root that is not a folder to walk: a symlink (not followed), a file, or not there;
    None for a folder."""
    try:
        st = os.lstat(root)
    except OSError as exc:
        return Skipped(root, f"unreadable: {exc.strerror or exc}")
    if stat.S_ISLNK(st.st_mode):
        return Skipped(root, "symlink")
    if stat.S_ISREG(st.st_mode):
        return Candidate(os.path.abspath(root), st.st_size, st.st_mtime_ns, st.st_ctime_ns, st.st_ino, st.st_uid)
    return None


def _walk_tree(top: str, chain: Chain, max_size: int) -> Iterator[Candidate | Skipped]:
    stack = [top]
    while stack:
        listing = list_folder(stack.pop(), chain, max_size)
        yield from listing.items
        stack.extend(reversed(listing.subdirs))


class Listing(NamedTuple):
    """One folder, listed: its files and what is skipped in it, by name; the folders to walk
    in it; the descriptor it was listed through (-1: it could not be); the listing's
    fingerprint (names, kinds, and each file's size, times, inode and owner): the same
    fingerprint, the same records."""

    folder: str
    items: list[Candidate | Skipped]
    subdirs: list[str]
    fd: int
    fingerprint: bytes


_new = tuple.__new__  # a named tuple made without its __new__, a Python function
_name = operator.attrgetter("name")


def list_folder(folder: str, chain: Chain, max_size: int) -> Listing:
    """List ``folder`` (reached through ``chain``, never through a symlink)."""
    prefix = folder.rstrip("/") + "/"
    items: list[Candidate | Skipped] = []
    subdirs: list[str] = []
    try:
        fd = chain.fd(folder)
        with os.scandir(fd) as it:
            entries = sorted(it, key=_name)
        here = os.fstat(fd)
    except OSError as exc:
        if exc.errno in (errno.ELOOP, errno.ENOTDIR):
            items.append(Skipped(folder, "symlink: it was a folder when its parent was listed: not followed"))
        else:
            items.append(Skipped(folder, f"unreadable: {exc.strerror or exc}"))
        return Listing(folder, items, subdirs, -1, b"")
    marker = next((e for e in entries if e.name == MARKER), None)
    if marker is not None:
        # a folder holding the marker is the tool's own (backups, reports, copies): a
        # second --write run would migrate the backups otherwise.  Only a marker this
        # user made counts: a user's own `touch .sbatch-migrate-folder` would hide
        # their home from the run
        try:
            if is_marker(marker.stat(follow_symlinks=False), here):
                return Listing(folder, [Skipped(folder, "sbatch-migrate-folder")], subdirs, fd, b"")
            items.append(
                Skipped(prefix + MARKER, "foreign-marker: not made by this run's user; the folder is migrated")
            )
        except OSError as exc:
            items.append(Skipped(prefix + MARKER, f"unreadable: {exc.strerror or exc}"))
        entries = [e for e in entries if e is not marker]
    # the fingerprint's text: each entry's path and what was found (a file's size, times,
    # inode and owner; why it is skipped), made as the entries are listed
    seen = [f"{i.path}\0{i.reason}" for i in items if isinstance(i, Skipped)]
    note = seen.append
    add = items.append
    for entry in entries:
        name = entry.name
        path = prefix + name
        try:
            # the commonest first: a file (its kind comes with the listing, no system call)
            if entry.is_file(follow_symlinks=False):
                est = entry.stat(follow_symlinks=False)
                size = est.st_size
                if name.endswith(TEMP_SUFFIX) and name.startswith("."):
                    reason = "stale-temp"
                elif size > max_size:
                    reason = "too-large"
                else:
                    mtime, ctime, ino, uid = est.st_mtime_ns, est.st_ctime_ns, est.st_ino, est.st_uid
                    add(_new(Candidate, (path, size, mtime, ctime, ino, uid)))
                    note(f"{path}\0{size} {mtime} {ctime} {ino} {uid}")
                    continue
            elif entry.is_dir(follow_symlinks=False):
                if name not in SKIP_DIRS:
                    subdirs.append(path)
                    continue
                reason = "vcs-or-cache"
            elif entry.is_symlink():
                reason = "symlink"
            else:
                reason = "special-file"  # FIFO, socket, device: never opened
        except OSError as exc:
            reason = f"unreadable: {exc.strerror or exc}"
        add(Skipped(path, reason))
        note(f"{path}\0{reason}")
    listed = folder + "\0" + "\0".join(seen) + "\0/" + "\0".join(subdirs)
    fingerprint = hashlib.blake2b(listed.encode("utf-8", "surrogateescape"), digest_size=16).digest()
    return Listing(folder, items, subdirs, fd, fingerprint)
