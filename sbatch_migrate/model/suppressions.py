"""Suppression comments, as ruff reads ``# noqa``:

- ``# sbatch-migrate: disable=SM301,SM302`` on a line, or on the line above, suppresses
  those findings there; a prefix (``SM3``) suppresses every code it starts, ``all`` any;
- ``# sbatch-migrate: disable-file=SM3`` anywhere in the file suppresses them in the whole
  file;
- a code that names no rule, and a suppression that suppressed nothing, are findings
  themselves (SM910), so that stale comments do not pile up.
"""

from __future__ import annotations

import re

from ..read.source import Source
from ..record import field, record

_COMMENT = re.compile(rb"#\s*sbatch-migrate:\s*(disable|disable-file)=([A-Za-z0-9_, -]+)")


@record
class Suppression:
    token: str  # a code, a prefix of codes, or ALL
    line: int  # 1-based line of the comment
    start: int  # byte span of the token in the file
    end: int
    whole_file: bool
    used: bool = field(default=False, compare=False)

    def covers(self, code: str, line: int) -> bool:
        if not (self.whole_file or line in (self.line, self.line + 1)):
            return False
        return self.token == "ALL" or code.startswith(self.token)


def read(source: Source) -> list[Suppression]:
    data = source.parse_bytes
    if b"sbatch-migrate:" not in data:
        return []
    out = []
    for m in _COMMENT.finditer(data):
        line = source.line_of(m.start()) + 1
        whole = m.group(1) == b"disable-file"
        for t in re.finditer(rb"[^, ]+", m.group(2)):
            token = t.group().decode().strip("-_").upper()
            if token:
                out.append(Suppression(token, line, m.start(2) + t.start(), m.start(2) + t.end(), whole))
    return out


def suppressed(suppressions: list[Suppression], code: str, line: int) -> bool:
    """Whether a finding of ``code`` on ``line`` is suppressed; marks what suppresses it."""
    hit = False
    for s in suppressions:
        if s.covers(code, line):
            s.used = hit = True
    return hit
