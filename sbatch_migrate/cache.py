"""Result cache for bulk runs: a file whose size, mtime, inode and content hash are
unchanged, migrated with the same profile and tool version, is not read or migrated again:
its stored record is copied, and its stored tally counted (no JSON decoding).

One SQLite file.  Only the main process writes (in batches); a hit is decided from the
``stat`` data the walk already has, so a re-run over an unchanged tree reads no file.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any

from .bulkreport import Tally

_SEP, _FIELD = "\x1e", "\x1f"  # record and unit separators: never in a rule code, name or user


def dump_tally(t: Tally | None) -> str:
    """A tally as compact text (``""`` for a file that is not a job script)."""
    if t is None:
        return ""
    items = [f"{c}{_FIELD}{r}{_FIELD}{s}{_FIELD}{int(f)}" for c, r, s, f in t.findings]
    return _SEP.join([f"{t.user}{_FIELD}{int(t.changed)}", *items])


def untally(path: str, text: str) -> Tally | None:
    if not text:
        return None
    head, *items = text.split(_SEP)
    user, changed = head.split(_FIELD)
    findings = []
    for item in items:
        c, r, s, f = item.split(_FIELD)
        findings.append((c, r, s, f == "1"))
    return Tally(path, user, changed == "1", tuple(findings))


SCHEMA = """
create table if not exists results_v3 (
  path text primary key,
  size integer not null,
  mtime_ns integer not null,
  ino integer not null,
  key text not null,
  status text not null,
  record text not null,
  tally text not null
)
"""


class Cache:
    def __init__(self, path: Path, key: str):
        path.parent.mkdir(parents=True, exist_ok=True)
        self.db = sqlite3.connect(str(path), timeout=60)
        self.db.execute("pragma journal_mode=wal")
        self.db.execute("pragma synchronous=normal")
        self.db.execute("drop table if exists results_v2")  # an older tool's layout
        self.db.execute(SCHEMA)
        self.key = key
        self.pending: list[tuple[Any, ...]] = []

    def get(self, path: str, size: int, mtime_ns: int, ino: int) -> tuple[str, str, Tally | None] | None:
        """(status, record as JSON text, its tally) of an unchanged file, or None."""
        row = self.db.execute(
            "select status, record, tally from results_v3 where path = ? and size = ? and mtime_ns = ? "
            "and ino = ? and key = ?",
            (path, size, mtime_ns, ino, self.key),
        ).fetchone()
        if row is None:
            return None
        return row[0], row[1], untally(path, row[2])

    def put(self, path: str, size: int, mtime_ns: int, ino: int, status: str, record: str, tally: Tally | None) -> None:
        """``record``: the file's record as JSON text."""
        self.pending.append((path, size, mtime_ns, ino, self.key, status, record, dump_tally(tally)))
        if len(self.pending) >= 500:
            self.flush()

    def flush(self) -> None:
        if self.pending:
            with self.db:
                self.db.executemany("insert or replace into results_v3 values (?, ?, ?, ?, ?, ?, ?, ?)", self.pending)
            self.pending.clear()

    def close(self) -> None:
        self.flush()
        self.db.close()
