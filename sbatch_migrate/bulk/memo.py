"""The records of the contents a worker migrated lately, by digest.

Homes copy scripts: the site's examples, a group's template, one user's ``job.sh`` in
every project folder.  A worker that meets bytes it migrated a moment ago (under the same
name key, :func:`~.cache.digest`) takes that record with this file's path and user
instead of migrating the bytes again, with or without a cache on disk: the record is the
one migrating them would make (the on-disk cache rests on the same fact, and tests hold
both equal to a fresh run's records).  What is kept is bounded: records as their JSON text, the
contents met last (one met again moves to the back) up to ``BUDGET`` characters in all,
and none larger than ``LARGEST``."""

from __future__ import annotations

import json
from typing import Any

from .cache import moved

BUDGET = 16 << 20  # characters of JSON a worker keeps (about 5,000 records of a real job script)
LARGEST = 64 << 10


class Recent:
    """Records by content digest, as JSON text, the most recently used last."""

    def __init__(self, budget: int = BUDGET, largest: int = LARGEST):
        self.budget = budget
        self.largest = largest
        self.used = 0
        self._lines: dict[str, str] = {}

    def get(self, digest: str, path: str, user: str) -> dict[str, Any] | None:
        """The record kept for ``digest``, made the record of ``path`` (owned by ``user``);
        None when none is kept (or its diff is not one this path's can be made from)."""
        line = self._lines.pop(digest, None)
        if line is None:
            return None
        self._lines[digest] = line
        record: dict[str, Any] = json.loads(line)
        return moved(record, path, user)

    def put(self, digest: str, line: str) -> None:
        """Keep the record whose JSON text is ``line`` for ``digest``."""
        if len(line) > self.largest:
            return
        lines = self._lines
        old = lines.pop(digest, None)
        self.used += len(line) - (len(old) if old is not None else 0)
        lines[digest] = line
        while self.used > self.budget:
            self.used -= len(lines.pop(next(iter(lines))))
