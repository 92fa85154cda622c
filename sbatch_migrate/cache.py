"""Result cache for bulk runs: a file whose size, mtime, inode and content hash are
unchanged, migrated with the same profile and tool version, is not read or migrated again.

One SQLite file.  Only the main process writes (in batches); a hit is decided from the
``stat`` data the walk already has, so a re-run over an unchanged tree reads no file.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any

SCHEMA = """
create table if not exists results_v2 (
  path text primary key,
  size integer not null,
  mtime_ns integer not null,
  ino integer not null,
  key text not null,
  status text not null,
  record text not null
)
"""


class Cache:
    def __init__(self, path: Path, key: str):
        path.parent.mkdir(parents=True, exist_ok=True)
        self.db = sqlite3.connect(str(path), timeout=60)
        self.db.execute("pragma journal_mode=wal")
        self.db.execute("pragma synchronous=normal")
        self.db.execute(SCHEMA)
        self.key = key
        self.pending: list[tuple[Any, ...]] = []

    def get(self, path: str, size: int, mtime_ns: int, ino: int) -> tuple[str, str] | None:
        """(status, record as JSON text) of an unchanged file, or None."""
        row = self.db.execute(
            "select status, record from results_v2 where path = ? and size = ? and mtime_ns = ? and ino = ? "
            "and key = ?",
            (path, size, mtime_ns, ino, self.key),
        ).fetchone()
        return (row[0], row[1]) if row else None

    def put(self, path: str, size: int, mtime_ns: int, ino: int, status: str, record: str) -> None:
        """``record``: the file's record as JSON text."""
        self.pending.append((path, size, mtime_ns, ino, self.key, status, record))
        if len(self.pending) >= 500:
            self.flush()

    def flush(self) -> None:
        if self.pending:
            with self.db:
                self.db.executemany("insert or replace into results_v2 values (?, ?, ?, ?, ?, ?, ?)", self.pending)
            self.pending.clear()

    def close(self) -> None:
        self.flush()
        self.db.close()
