"""Result cache for bulk runs, keyed by content (with the profile and tool version).

Each entry holds a file's record (JSON text), its tally, and the digest of what the result
depends on: the file's bytes and its suffix (``.py`` or not decides the language).

- A re-run over an unchanged tree reads no file: the walk's ``stat`` data (path, size,
  mtime, ctime, inode; ctime changes with every write and cannot be set back) finds the
  entry, unless it is *racy* (mtime or ctime within two seconds of when the entry was
  written, so a change in the same clock tick would look unchanged): then the file is
  read and its digest decides, as git does for its index.
- A job script whose stat data changed (touched, copied, restored, moved to another path)
  is read by a worker; if its digest is in the cache, the stored result is reused with the
  new path and user instead of migrating again.  Other files (binary, not job scripts: 99%
  of a real home) are not hashed: reading one and testing its kind is what a digest would
  spare, and their digests in the index made the first run's inserts random (a run over
  129,582 files spent 5.8 s of the main process's time in SQLite).  Nor do they have rows
  of their own: their stat data go with their folder's row (below), in one text, and a
  folder listed again with a file added or changed finds the others' results there (a row
  per file made the first run over 217,000 files of real material 20% slower than one
  without them: the main process inserted them, and two workers waited for it).

- A folder whose listing is unchanged (its fingerprint: names, kinds, and each file's
  stat data and owner, :func:`~.walk.list_folder`), none of its files racy, is answered
  whole: its records as they were written, its tallies, its counts, without a look at any
  file or a query per file.

One SQLite file in WAL mode: the main process is the only writer (in batches); workers
open it read-only to look folders, stat data and digests up.
"""

from __future__ import annotations

import errno
import hashlib
import json
import os
import sqlite3
import stat
import time
from typing import Any
from urllib.parse import quote

from ..output.report import json_text
from ..record import NamedTuple
from .ownfolder import OwnFolder, UnsafeFolder
from .reports import Tally, count_folder

RACY_NS = 2_000_000_000  # mtime or ctime this close to when the entry was written: check the content
Stat = tuple[int, int, int, int]  # size, mtime_ns, ctime_ns, inode
LAYOUT = 11  # the table layout (pragma user_version); a cache of another layout is rebuilt
UNHASHED = "-"  # the digest of a result kept for its stat data only (a file that is not a job script)


FILE = "results.sqlite"


def _create_private(folder: OwnFolder) -> None:
    """Make the database file first, 0600 whatever the umask: SQLite gives its WAL and
    shared-memory files the database's mode (an empty file is an empty database)."""
    try:
        fd = os.open(FILE, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC, 0o600, dir_fd=folder.fd)
    except FileExistsError:
        return
    try:
        os.fchmod(fd, 0o600)
    finally:
        os.close(fd)


class CacheError(Exception):
    """The cache file cannot be opened or used."""


def _check_files(folder: OwnFolder) -> None:
    """The database and SQLite's files beside it are regular files of ours, if there: in a
    folder of ours nobody else can plant them, but one made by an earlier version under
    ``umask 000`` may hold anything."""
    for name in (FILE, FILE + "-wal", FILE + "-shm", FILE + "-journal"):
        st = folder.lstat(name)
        if st is not None and (not stat.S_ISREG(st.st_mode) or st.st_uid != os.geteuid()):
            raise UnsafeFolder(errno.EPERM, f"{folder.path / name}: not a regular file of this user: not opened")


_SEP, _FIELD = "\x1e", "\x1f"  # record and unit separators: never in a rule code, name or user


def dump_tally(t: Tally | None) -> str:
    """A tally as compact text (``""`` for a file that is not a job script)."""
    if t is None:
        return ""
    # a group is a printable top folder (reports.group_of): never a separator
    items = [f"{c}{_FIELD}{r}{_FIELD}{s}{_FIELD}{int(f)}{_FIELD}{g}" for c, r, s, f, g in t.findings]
    return _SEP.join([f"{t.user}{_FIELD}{int(t.changed)}", *items])


def untally(path: str, text: str) -> Tally | None:
    if not text:
        return None
    head, *items = text.split(_SEP)
    user, changed = head.split(_FIELD)
    findings = []
    for item in items:
        c, r, s, f, g = item.split(_FIELD)
        findings.append((c, r, s, f == "1", g))
    return Tally(path, user, changed == "1", tuple(findings))


SCHEMA = """
create table if not exists results (
  path blob primary key,  -- the file name's bytes: not every name is UTF-8
  size integer not null,
  mtime_ns integer not null,
  ctime_ns integer not null,
  ino integer not null,
  key text not null,
  digest text not null,
  written_ns integer not null,
  status text not null,
  record text not null,
  tally text not null
);
create index if not exists results_digest on results (digest, key) where digest != '-';
create table if not exists folders (
  path blob not null,
  shard text not null,  -- a shard's records of a folder are not another's
  key text not null,
  fingerprint blob not null,
  newest_ns integer not null,  -- the latest mtime or ctime of its files
  written_ns integer not null,
  needs_write integer not null,  -- a record that --write would act on
  lines text not null,  -- its records, one per line, as the journal takes them
  statuses text not null,  -- {status: count}
  counts text not null,  -- [the aggregate's counts of its records, [[user, path, start, end], ...]]:
                         -- counted as the run counts them, and the files the drill-down may show
  files text not null,  -- [[line, [[name, size, mtime_ns, ctime_ns, ino, status, line], ...]], ...]: the
                        -- files read and not migrated, by their stat data, and their record's line in lines
  primary key (path, shard)
);
"""


Row = tuple[Any, ...]  # a row of a table, as inserted


def result_row(
    path: str, stat: Stat, key: str, content: str, written_ns: int, status: str, record: str, tally: Tally | None
) -> Row:
    """A file's row: ``stat`` as read; ``content``: its :func:`digest`; ``record``: JSON text."""
    size, mtime_ns, ctime_ns, ino = stat
    return (
        os.fsencode(path),
        size,
        mtime_ns,
        ctime_ns,
        ino,
        key,
        content,
        written_ns,
        status,
        record,
        dump_tally(tally),
    )


def folder_row(
    folder: str,
    shard: str,
    key: str,
    fingerprint: bytes,
    newest_ns: int,
    written_ns: int,
    needs_write: bool,
    lines: str,
    statuses: dict[str, int],
    tallies: list[tuple[str, Tally | None, int, int]],
    files: str,
) -> Row:
    """A folder's row: its records (``lines``, as the journal takes them), counts and
    tallied records (status, tally, where the record is in ``lines``), for a listing of
    this fingerprint; ``files``: its files kept by their stat data (:func:`pack_files`).
    The tallies are stored counted (:func:`.reports.count_folder`): a folder answered from
    the cache is merged, not counted again file by file."""
    dumped = ""  # nothing for the aggregate to read (most folders of a home)
    if tallies:
        agg, offers = count_folder(statuses, tallies)
        dumped = json.dumps([agg.counts(), [[*where, start, end] for where, start, end in offers]])
    row = (os.fsencode(folder), shard, key, fingerprint, newest_ns, written_ns, int(needs_write))
    return (*row, lines, json.dumps(statuses), dumped, files)


class FolderHit(NamedTuple):
    lines: str
    statuses: dict[str, int]
    # (status, tally, where its record is in ``lines``: start, end): the record is not sent
    # or stored a second time (for job scripts it was half of what a cached folder weighed)
    tallies: list[tuple[str, Tally | None, int, int]]
    # or, from the cache: the tallies counted (:meth:`.reports.Aggregate.counts`), and the
    # files the drill-down may show (by where their record is in ``lines``)
    counted: list[Any] | None = None
    offers: list[tuple[tuple[str, str], int, int]] | tuple[()] = ()


def spans(lines: list[str]) -> list[tuple[int, int]]:
    """Where each of ``lines`` is in ``"\\n".join(lines)``."""
    found, at = [], 0
    for line in lines:
        end = at + len(line)
        found.append((at, end))
        at = end + 1
    return found


def _folder_hit(row: tuple[Any, ...]) -> FolderHit:
    lines, statuses, stored = row
    if not stored:
        return FolderHit(lines, json.loads(statuses), [])
    counts, offers = json.loads(stored)
    return FolderHit(
        lines, json.loads(statuses), [], counts, [((user, path), start, end) for user, path, start, end in offers]
    )


def _stat_hits(db: sqlite3.Connection, key: str, files: list[tuple[str, Stat]]) -> dict[str, Hit]:
    """The stored results of those files whose stat data are unchanged (racy entries
    excepted), by path; one query for the lot."""
    if not files:
        return {}
    wanted = {os.fsencode(path): (path, st) for path, st in files}
    marks = ",".join("?" * len(wanted))
    rows = db.execute(
        "select path, size, mtime_ns, ctime_ns, ino, written_ns, status, record, tally from results "
        f"where key = ? and path in ({marks})",
        (key, *wanted),
    ).fetchall()
    hits = {}
    for raw, size, mtime_ns, ctime_ns, ino, written_ns, status, record, tally in rows:
        path, st = wanted[raw]
        if st == (size, mtime_ns, ctime_ns, ino) and max(mtime_ns, ctime_ns) < written_ns - RACY_NS:
            hits[path] = Hit(status, record, untally(path, tally))
    return hits


def pack_files(segments: list[tuple[int, str]]) -> str:
    """A folder's files kept by their stat data, for its row: a JSON list of (the line of
    its records a segment's start at, the segment), each segment (a piece of a large folder,
    or the whole folder) a JSON list of [name, size, mtime_ns, ctime_ns, ino, status, its
    line in the segment], as the worker that did the piece made it."""
    return "[" + ",".join(f"[{base},{entries}]" for base, entries in segments) + "]"


CACHED = '{"cached": true, '  # how a record from the cache begins, in the journal and in a folder's row


def marked(line: str) -> str:
    """A record (a JSON object's text) marked as coming from the cache."""
    return CACHED + line[1:]


def unmarked(line: str) -> str:
    """A record :func:`marked` as it was made (the mark goes on again when it is used)."""
    return "{" + line[len(CACHED) :] if line.startswith(CACHED) else line


def _folder_files(row: tuple[Any, ...] | None) -> tuple[int, dict[str, tuple[Stat, str, str]]]:
    """A folder row's files by name: (stat data, status, record as it was made), and when
    the row was written."""
    if row is None or not row[1]:
        return 0, {}
    written_ns, files, lines = row
    records = lines.split("\n")
    found: dict[str, tuple[Stat, str, str]] = {}
    for base, entries in json.loads(files):
        for name, size, mtime_ns, ctime_ns, ino, status, line in entries:
            text = records[base + line]
            if text.startswith(CACHED):  # as stored: marked; the hit marks it again
                found[name] = ((size, mtime_ns, ctime_ns, ino), status, unmarked(text))
    return written_ns, found


def digest(path: str, data: bytes) -> str:
    """What a file's result depends on: its bytes, and what its name and place make of
    them (:func:`~sbatch_migrate.read.formats.name_key`: with the suffix alone, a job
    script named ``job`` touched since the last run took the result stored for a
    ``Makefile`` of the same bytes).  Called for the files read, in the workers: the
    formats' patterns are compiled there, not in a re-run's main process."""
    from ..read.formats import name_key

    h = hashlib.sha256(name_key(path, data).encode("utf-8", "surrogateescape") + b"\0")
    h.update(data)
    return h.hexdigest()


class Hit(NamedTuple):
    status: str
    record: str  # JSON text, as stored (the path and user of the file it was stored for)
    tally: Tally | None


class Cache:
    """The main process's side: all writes (the workers look up, :class:`ContentCache`)."""

    def __init__(self, folder: OwnFolder, key: str):
        path = folder.path / FILE
        try:
            _check_files(folder)
            _create_private(folder)
            # through the folder's descriptor: the folder checked is the folder used
            self.db = sqlite3.connect(folder.inner_path(FILE), timeout=60)
            self.db.execute("pragma journal_mode=wal")
            self.db.execute("pragma synchronous=normal")
            if self.db.execute("pragma user_version").fetchone()[0] != LAYOUT:
                with self.db:  # another version's layout: start afresh
                    for (table,) in self.db.execute("select name from sqlite_master where type = 'table'").fetchall():
                        self.db.execute(f'drop table "{table}"')
                    self.db.executescript(SCHEMA)
                    self.db.execute(f"pragma user_version = {LAYOUT}")
        except UnsafeFolder as exc:
            raise CacheError(f"cache: {exc}; or give --no-cache") from None
        except (OSError, sqlite3.Error) as exc:
            raise CacheError(f"cache {path} is not usable ({exc}): remove it, or give --no-cache") from None
        self.key = key
        self.pending: list[tuple[Any, ...]] = []
        self.pending_folders: list[tuple[Any, ...]] = []

    def put(self, path: str, stat: Stat, content: str, status: str, record: str, tally: Tally | None) -> None:
        """``stat`` as read; ``content``: its :func:`digest`; ``record``: JSON text."""
        self.add([result_row(path, stat, self.key, content, time.time_ns(), status, record, tally)], None)

    def add(self, rows: list[Row], folder: Row | None) -> None:
        """Rows made by :func:`result_row` and :func:`folder_row` (in a worker, for a
        folder done there: the main process only stores them)."""
        self.pending.extend(rows)
        if folder is not None:
            self.pending_folders.append(folder)
        if len(self.pending) >= 500 or len(self.pending_folders) >= 100:
            self.flush()

    def flush(self) -> None:
        if self.pending or self.pending_folders:
            with self.db:
                self.db.executemany(
                    "insert or replace into results values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", self.pending
                )
                self.db.executemany(
                    "insert or replace into folders values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", self.pending_folders
                )
            self.pending.clear()
            self.pending_folders.clear()

    def close(self) -> None:
        self.flush()
        self.db.close()


def moved(record: dict[str, Any], path: str, user: str) -> dict[str, Any] | None:
    """A record made for another file of the same content (and name key, :func:`digest`)
    as the record of ``path``, owned by ``user`` (its keys in their order); None when it has
    a diff whose header is not the one its own path gave it."""
    out = {**record, "path": path, "user": user}
    if "diff" in record:  # its header names the file it was made for
        head = _diff_head(record["path"])
        if not record["diff"].startswith(head):
            return None
        out["diff"] = _diff_head(path) + record["diff"][len(head) :]
    return out


def _diff_head(path: str) -> str:
    """The header of a record's diff (:func:`~sbatch_migrate.output.report.diff`)."""
    name = path.lstrip("/")
    return f"--- a/{name}\n+++ b/{name}\n"


class ContentCache:
    """A worker's side: read-only lookups by digest."""

    def __init__(self, path: str, key: str):
        """``path``: the database as :meth:`OwnFolder.inner_path` gives it (a worker
        inherits the folder's descriptor from the main process)."""
        self.key = key
        self.db: sqlite3.Connection | None = None
        self._files: tuple[str, int, dict[str, tuple[Stat, str, str]]] = ("", 0, {})  # the last folder's
        try:
            self.db = sqlite3.connect(f"file:{quote(path)}?mode=ro", uri=True, timeout=60)
        except sqlite3.Error:
            pass  # the main process reports an unusable cache; a worker just migrates

    def close(self) -> None:
        if self.db is not None:
            self.db.close()
            self.db = None

    def folder(self, folder: str, shard: str, fingerprint: bytes, write: bool) -> FolderHit | None:
        """The stored records of a folder listed with this fingerprint, none of its files
        racy (and, for a --write run, none it would act on)."""
        if self.db is None:
            return None
        try:
            row = self.db.execute(
                "select lines, statuses, counts from folders where path = ? and shard = ? and key = ? "
                "and fingerprint = ? and newest_ns < written_ns - ? and (needs_write = 0 or ?)",
                (os.fsencode(folder), shard, self.key, fingerprint, RACY_NS, int(not write)),
            ).fetchone()
        except sqlite3.Error:
            return None  # no table yet (a first run)
        return None if row is None else _folder_hit(row)

    def stat_hits(self, files: list[tuple[str, Stat]], folder: str = "", shard: str = "") -> dict[str, Hit]:
        """The stored results of those files whose stat data are unchanged (racy entries
        excepted), by path: the job scripts' rows (one query for the lot), and the other
        files of ``folder`` (all of ``files`` are in it) as its row kept them."""
        if self.db is None or not files:
            return {}
        try:
            hits = _stat_hits(self.db, self.key, files)
            if not folder:
                return hits
            if self._files[0] != folder:  # a large folder's pieces come one after another
                row = self.db.execute(
                    "select written_ns, files, lines from folders where path = ? and shard = ? and key = ?",
                    (os.fsencode(folder), shard, self.key),
                ).fetchone()
                self._files = (folder, *_folder_files(row))
        except sqlite3.Error:
            return {}
        _, written_ns, kept = self._files
        start = len(folder.rstrip("/")) + 1
        for path, st in files:
            found = kept.get(path[start:]) if path not in hits else None
            if found is not None and found[0] == st and max(st[1], st[2]) < written_ns - RACY_NS:
                hits[path] = Hit(found[1], found[2], None)
        return hits

    def find(self, content: str, path: str, user: str) -> Hit | None:
        """The result stored for the same content under any path, as this file's record."""
        if self.db is None:
            return None
        try:
            row = self.db.execute(
                "select status, record, tally from results where digest = ? and key = ? and digest != '-' limit 1",
                (content, self.key),
            ).fetchone()
        except sqlite3.Error:
            return None  # no table yet (a first run): nothing to reuse
        if row is None:
            return None
        record = moved(json.loads(row[1]), path, user)
        if record is None:
            return None
        tally = untally(path, row[2])
        if tally is not None:
            tally = tally._replace(user=user)
        return Hit(row[0], json_text(record), tally)
