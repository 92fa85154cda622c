"""The source model: the original bytes of a script, never changed.

Everything the tool learns about a script is expressed as spans of *parse bytes*:
the UTF-8 encoding of the decoded text.  For UTF-8 (and ASCII) input the parse bytes
are the original bytes and spans map one to one.  For any other encoding (Big5 comments
are common on TWCC) the text is decoded once, parsed as UTF-8, and every span is mapped
back to the original bytes when edits are applied, so untouched bytes are never
re-encoded.  ``\\r`` before ``\\n`` is turned into a space in the parse bytes (same
length), so CRLF files parse like LF files while keeping their offsets.
"""

from __future__ import annotations

import bisect
import re
from collections.abc import Iterator
from functools import cached_property

from ..record import NamedTuple, field, record

_NEWLINE = re.compile(b"\n")


class InputError(Exception):
    """Input that is not a job script at all (binary data, unreadable file)."""


class Position(NamedTuple):
    line: int  # 1-based
    column: int  # 1-based, in characters


@record
class Source:
    """Original bytes plus the decoded view used to find spans."""

    path: str
    data: bytes
    encoding: str
    text: str
    _orig_offsets: list[int] | None = field(default=None, repr=False)
    # derived once, up front: every script needs them (cheaper than lazy properties)
    is_identity: bool = field(init=False, repr=False)
    parse_bytes: bytes = field(init=False, repr=False)
    line_starts: list[int] = field(init=False, repr=False)  # parse-byte offset of each line's first byte

    def __post_init__(self) -> None:
        self.is_identity = self.encoding in ("utf-8", "ascii")
        raw = self.data if self.is_identity else self.text.encode("utf-8")
        if b"\r\n" in raw:
            raw = raw.replace(b"\r\n", b" \n")
        self.parse_bytes = raw
        self.line_starts = [0, *(m.end() for m in _NEWLINE.finditer(raw))]

    @classmethod
    def from_bytes(cls, data: bytes, path: str = "<stdin>") -> Source:
        nul = data.find(b"\x00")
        if nul != -1:
            raise InputError(f"binary file (NUL byte at offset {nul}), not a job script")
        encoding, text = decode(data)
        return cls(path=path, data=data, encoding=encoding, text=text)

    @classmethod
    def from_text(cls, text: str, path: str = "<string>") -> Source:
        return cls.from_bytes(text.encode("utf-8"), path)

    # -- parse bytes -------------------------------------------------------------
    @cached_property
    def newline(self) -> bytes:
        """The line ending the file uses most (for inserted lines)."""
        crlf = self.data.count(b"\r\n")
        lf = self.data.count(b"\n") - crlf
        return b"\r\n" if crlf > lf else b"\n"

    @cached_property
    def has_crlf(self) -> bool:
        return b"\r\n" in self.data

    def line_of(self, offset: int) -> int:
        """0-based line index of a parse-byte offset."""
        return bisect.bisect_right(self.line_starts, offset) - 1

    def line_span(self, index: int) -> tuple[int, int]:
        """Parse-byte span of line ``index`` (0-based), newline excluded."""
        start = self.line_starts[index]
        if index + 1 < len(self.line_starts):
            end = self.line_starts[index + 1] - 1
        else:
            end = len(self.parse_bytes)
        return start, end

    def line_bytes(self, index: int) -> bytes:
        start, end = self.line_span(index)
        return self.parse_bytes[start:end]

    @property
    def line_count(self) -> int:
        return len(self.line_starts)

    def position(self, offset: int) -> Position:
        index = self.line_of(offset)
        start = self.line_starts[index]
        prefix = self.parse_bytes[start:offset]
        width = len(prefix) if prefix.isascii() else len(prefix.decode("utf-8", "replace"))
        return Position(index + 1, width + 1)

    def span_text(self, start: int, end: int) -> str:
        return self.parse_bytes[start:end].decode("utf-8", "replace")

    # -- mapping back to the original bytes --------------------------------------
    def to_original(self, offset: int) -> int:
        if self.is_identity:
            return offset
        if self._orig_offsets is None:
            self._orig_offsets = self._build_offsets()
        return self._orig_offsets[offset]

    def _build_offsets(self) -> list[int]:
        table: list[int] = []
        orig = 0
        for ch in self.text:
            width = len(ch.encode("utf-8"))
            table.extend([orig] * width)
            orig += len(ch.encode(self.encoding))
        table.append(orig)
        return table

    def encode(self, text: str) -> bytes:
        """Encode replacement text the way the file is encoded."""
        return text.encode("utf-8" if self.is_identity else self.encoding)


def decode(data: bytes) -> tuple[str, str]:
    """Decode for span finding: UTF-8, else a charset guess, else latin-1.

    A guess is only accepted when it round-trips to the exact original bytes, so the
    offset map stays exact.
    """
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        pass
    else:
        return ("ascii" if text.isascii() else "utf-8"), text
    for candidate in _guesses(data):
        try:
            if _PROBE.encode(candidate) != _PROBE.encode("ascii"):
                continue  # not ASCII-compatible (UTF-16, EBCDIC ...): spans would not map
            text = data.decode(candidate)
        except (UnicodeError, LookupError):
            continue
        if text.encode(candidate) == data and text.count("\n") == data.count(b"\n"):
            return candidate, text
    return "latin-1", data.decode("latin-1")


_PROBE = "#!/bin/bash\n#SBATCH -p x # '\"$`\\{}[]|~\t\r"


def _guesses(data: bytes) -> Iterator[str]:
    # TWCC users' non-UTF-8 scripts are Big5 (cp950) far more often than anything else,
    # and short Big5 comments are easily mistaken for other CJK encodings by a guesser:
    # Big5 first, the guesser (slow; imported only here) only when Big5 does not fit.
    yield "cp950"
    yield "big5hkscs"
    from charset_normalizer import from_bytes

    best = from_bytes(data).best()
    if best is not None:
        yield best.encoding
    yield "gb18030"
