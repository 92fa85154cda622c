"""The ``#SBATCH`` scanner, following sbatch's own rules (src/sbatch/opt.c of the target's
release: 22.05 to 25.11; since 24.05 a backslash-escaped space is part of the word).

- ``#SBATCH`` (and the deprecated ``#SLURM``) must start at column 0, upper case.
- Scanning stops at the first line that is neither blank nor a comment; a directive after
  it is *late*: sbatch ignores it silently.
- A line is split into arguments like sbatch's ``get_argument``: whitespace separates,
  ``'``/``"`` group and are removed, a backslash makes the next non-blank character
  literal, and an unquoted ``#`` ends the line.
- All arguments of the block form one argv for getopt_long with a ``+`` option string:
  the first non-option argument stops option processing and sbatch exits with
  ``Invalid directive found in batch script`` (reported; the scanner reads on, so the
  options after it still get migrated).
- ``#PBS`` / ``#BSUB`` lines are read anywhere in the first 100 non-comment lines and
  translated (``-q`` is the partition) unless ``--ignore-pbs`` is given.
"""

from __future__ import annotations

import re
from functools import cached_property

from ..record import NamedTuple, field, record
from . import options as opts

TYPE_CHECKING = False  # typing is not imported at run time (docs/design.md: a one-file run)
if TYPE_CHECKING:
    from typing import Literal

    Kind = Literal["SBATCH", "SLURM", "PBS", "BSUB"]
    Form = Literal["long=", "long", "short", "short-attached"]


class Token(NamedTuple):
    start: int  # parse-byte span of the raw token (quotes included)
    end: int
    value: str  # the argument sbatch sees
    line: int  # 0-based line index in the source
    quoted: bool
    offsets: tuple[int, ...] = ()  # raw offset of each value byte; () when the value is the raw text


class OptionUse(NamedTuple):
    """One option as sbatch resolves it."""

    kind: Kind
    name: str  # canonical long name ("partition"), PBS/BSUB: the letter
    written: str  # as the user wrote it: "--part", "-p"
    form: Form
    value: str | None
    value_start: int | None  # span of the raw value text (quotes included)
    value_end: int | None
    start: int  # span from the option name to the end of its value
    end: int
    line: int
    in_block: bool
    component: int = 0  # heterogeneous job component

    @property
    def is_partition(self) -> bool:
        if self.kind in ("SBATCH", "SLURM"):
            return self.name == "partition"
        return self.name == "q"

    @property
    def is_time(self) -> bool:
        return self.kind in ("SBATCH", "SLURM") and self.name == "time"


class NearMiss(NamedTuple):
    """A comment line in the directive block that looks like a directive sbatch will not
    read: ``#SBTACH --exclusive`` (misspelt), ``#sbatch`` (case), ``  #SBATCH`` (not at
    column 0), ``# SBATCH`` (a space: switched off on purpose, or a slip)."""

    kind: Literal["misspelt", "case", "indented", "spaced"]
    written: str  # the prefix as written, "#SBTACH"
    options: str  # the option text after it, "--exclusive"
    start: int  # span of the line
    end: int
    line: int


class Problem(NamedTuple):
    """Something sbatch itself would reject or ignore."""

    code: str  # "unknown-option", "pyxis-option", "syntax", "late", "non-option"
    message: str
    start: int
    end: int
    line: int


@record
class DirectiveLine:
    kind: Kind
    line: int
    start: int  # span of the whole line (newline excluded)
    end: int
    in_block: bool
    tokens: list[Token] = field(default_factory=list)


@record
class Directives:
    lines: list[DirectiveLine]
    options: list[OptionUse]
    problems: list[Problem]
    block_end_line: int  # index of the first command line (or the line count)
    pbs_ignored: bool = False
    near_misses: list[NearMiss] = field(default_factory=list)

    def last(self, name: str, component: int = 0) -> OptionUse | None:
        """The option that wins (the last one in the block), as sbatch reads it."""
        return self._last.get((name, component))

    @cached_property
    def _last(self) -> dict[tuple[str, int], OptionUse]:
        return {(u.name, u.component): u for u in self.options if u.in_block}

    @property
    def partitions(self) -> list[OptionUse]:
        return [u for u in self.options if u.in_block and u.is_partition]


# ---------------------------------------------------------------------------------------
def split_lines(data: bytes, start: int, end: int) -> list[tuple[int, int]]:
    """(start, end) of each line in data[start:end], newline excluded."""
    spans = []
    pos = start
    while pos < end:
        nl = data.find(b"\n", pos, end)
        if nl == -1:
            spans.append((pos, end))
            break
        spans.append((pos, nl))
        pos = nl + 1
    return spans


def _skip_tabs(data: bytes, start: int, end: int) -> int:
    while start < end and data[start] == 0x09:
        start += 1
    return start


def _is_command_line(text: bytes) -> bool:
    stripped = text.lstrip(b" \t\r\f\v")
    return bool(stripped) and not stripped.startswith(b"#")


_PLAIN_WORD = re.compile(rb"[^ \t\r\f\v]+")
_SPECIAL = re.compile(rb"[\"'\\\\]|[ \t\r\f\v]:")  # quoting, an escape, or a word starting with ':'


def tokenize(data: bytes, start: int, end: int, line: int) -> tuple[list[Token], Problem | None]:
    """Split one directive's argument text like sbatch's get_argument."""
    if _SPECIAL.search(data, start, end) is None and data[start : start + 1] != b":":
        # the common case: no quoting, escapes or ':'; '#' simply ends the line
        cut = data.find(b"#", start, end)
        if cut != -1:
            end = cut
        return [
            Token(m.start(), m.end(), m.group().decode("utf-8", "replace"), line, False)
            for m in _PLAIN_WORD.finditer(data, start, end)
        ], None
    tokens: list[Token] = []
    pos = start
    escaped_space = opts.at_least("24.05")
    while True:
        while pos < end and data[pos] in b" \t\r\f\v":
            pos += 1
        if pos >= end:
            return tokens, None
        if data[pos : pos + 1] == b":":
            return tokens, Problem("syntax", "sbatch stops with `Unexpected ':'` here", pos, end, line)
        tok_start = pos
        chars: list[int] = []
        where: list[int] = []
        quote = 0
        escape = False
        quoted = False
        while pos < end and (quote or data[pos] not in b" \t\r\f\v"):
            c = data[pos]
            if escape:
                escape = False
            elif c == 0x5C:  # backslash
                if pos + 1 < end and data[pos + 1] == 0x20 and escaped_space:
                    chars.append(0x20)  # since 24.05 `\ ` is a space inside the word
                    where.append(pos + 1)
                    pos += 2
                    continue
                escape = True
                pos += 1
                continue
            elif quote:
                if c == quote:
                    quote = 0
                    pos += 1
                    continue
            elif c in (0x22, 0x27):
                quote = c
                quoted = True
                pos += 1
                continue
            elif c == 0x23:  # '#': the rest of the line is a comment
                break
            chars.append(c)
            where.append(pos)
            pos += 1
        if quote:
            return tokens, Problem(
                "syntax",
                f"unmatched {chr(quote)}: sbatch stops with a fatal error on this line",
                tok_start,
                end,
                line,
            )
        if not chars:
            return tokens, None  # sbatch's get_argument returns NULL: the line ends
        value = bytes(chars).decode("utf-8", "replace")
        tokens.append(Token(tok_start, pos, value, line, quoted, tuple(where)))
        if pos < end and data[pos] == 0x23:
            return tokens, None


_NEAR = re.compile(rb"([ \t]*)#([ \t]*)([A-Za-z]{5,7})[ \t]+(-[^\r\n]*?)[ \t\r]*$")


def _one_edit(a: str, b: str) -> bool:
    """``a`` is ``b`` with one letter changed, added, dropped, or two neighbours swapped."""
    if a == b or abs(len(a) - len(b)) > 1:
        return False
    if len(a) == len(b):
        diff = [i for i in range(len(a)) if a[i] != b[i]]
        if len(diff) == 1:
            return True
        return len(diff) == 2 and diff[1] == diff[0] + 1 and a[diff[0]] == b[diff[1]] and a[diff[1]] == b[diff[0]]
    short, long_ = (a, b) if len(a) < len(b) else (b, a)
    return any(long_[:i] + long_[i + 1 :] == short for i in range(len(long_)))


def _near_miss(data: bytes, ls: int, le: int, lineno: int) -> NearMiss | None:
    """A comment line of the block that sbatch ignores though it reads like a directive
    (only when an option follows: prose such as ``# SBATCH options`` is not one)."""
    m = _NEAR.match(data, ls, le)
    if m is None:
        return None
    lead, gap, word = m.group(1), m.group(2), m.group(3).decode()
    options = m.group(4).decode("utf-8", "replace")
    written = data[m.start(1) : m.end(3)].decode("utf-8", "replace").strip()
    kind: Literal["misspelt", "case", "indented", "spaced"]
    if word.upper() == "SBATCH":
        if gap and word != "SBATCH":
            return None  # `# sbatch --test-only job.sh`: how to submit it, in a comment
        if gap:
            kind = "spaced"
        elif word != "SBATCH":
            kind = "case"
        elif lead:
            kind = "indented"
        else:
            return None  # a directive (read by the scanner, never here)
    elif _one_edit(word.upper(), "SBATCH") and not gap:
        kind = "misspelt"
    else:
        return None
    return NearMiss(kind, written, options, ls, le, lineno)


def _magic(data: bytes, at: int) -> tuple[Kind, int] | None:
    if data.startswith(b"#SBATCH", at):
        return "SBATCH", 7
    if data.startswith(b"#SLURM", at):
        return "SLURM", 6
    return None


# a UTF-8 byte-order mark before "#!": sbatch refuses the file (missing-shebang says so
# and removes it); its directives are read as the file will be once it is gone
BOM = b"\xef\xbb\xbf"
_LATE = re.compile(rb"^#S", re.M)
_LATE_TABS = re.compile(rb"^\t*#S", re.M)


def _het_separator(tokens: list[Token]) -> bool:
    return bool(tokens) and tokens[0].value.lower() in ("hetjob", "packjob")


def scan(
    data: bytes,
    start: int = 0,
    end: int | None = None,
    first_line: int = 0,
    strip_tabs: bool = False,
    skip: list[tuple[int, int]] | None = None,
) -> Directives:
    """Scan the directive lines of the script held in data[start:end].

    ``strip_tabs``: the script sits in a ``<<-`` heredoc, whose leading tabs bash removes
    before the script is written.  ``skip``: spans (heredoc bodies) whose lines are data
    of the script, not directives; they are only looked at after the block has ended.
    """
    if end is None:
        end = len(data)
    lines: list[DirectiveLine] = []
    problems: list[Problem] = []
    block_end = None
    argv: list[tuple[Token, int]] = []
    near_misses: list[NearMiss] = []
    component = 0
    # 1. the block: line by line up to the first command line
    pos, lineno = start, first_line
    while pos < end:
        nl = data.find(b"\n", pos, end)
        le = end if nl == -1 else nl
        ls = _skip_tabs(data, pos, le) if strip_tabs else pos
        magic = _magic(data, ls)
        if magic is None:
            if _is_command_line(data[ls + 3 if ls == 0 and data.startswith(BOM) else ls : le]):
                block_end = lineno
                break
            if le - ls > 8 and (near := _near_miss(data, ls, le, lineno)) is not None:
                near_misses.append(near)
        else:
            kind, width = magic
            tokens, problem = tokenize(data, ls + width, le, lineno)
            lines.append(DirectiveLine(kind, lineno, ls, le, True, tokens))
            if problem is not None:
                problems.append(problem)
            if _het_separator(tokens):
                component += 1
                tokens = tokens[1:]
            argv += [(t, component) for t in tokens]
        pos, lineno = le + 1, lineno + 1
    # 2. after it only late directives matter (sbatch ignores them: reported)
    if block_end is not None:
        counted = pos
        for m in (_LATE_TABS if strip_tabs else _LATE).finditer(data, pos, end):
            ls = m.end() - 2
            if skip and any(a <= ls < b for a, b in skip):
                continue  # a line of a heredoc body: data, not a directive
            magic = _magic(data, ls)
            if magic is None:
                continue
            lineno += data.count(b"\n", counted, ls)
            counted = ls
            nl = data.find(b"\n", ls, end)
            le = end if nl == -1 else nl
            kind, width = magic
            tokens, _ = tokenize(data, ls + width, le, lineno)
            lines.append(DirectiveLine(kind, lineno, ls, le, False, tokens))
            problems.append(
                Problem(
                    "late",
                    f"this #{kind} line comes after the first command (line {block_end + 1}); sbatch ignores it",
                    ls,
                    le,
                    lineno,
                )
            )
    uses, getopt_problems = _getopt(argv, "SBATCH", opts.table("sbatch"))
    problems.extend(getopt_problems)
    # late lines: resolved for reporting only, never validated
    late_argv = [(t, 0) for dl in lines if not dl.in_block for t in dl.tokens]
    late_uses, _ = _getopt(late_argv, "SBATCH", opts.table("sbatch"), in_block=False)
    uses.extend(late_uses)
    ignore_pbs = any(u.name == "ignore-pbs" for u in uses if u.in_block)
    region = data[start:end]
    foreign = None
    if b"#PBS" in region or b"#BSUB" in region:
        spans = split_lines(data, start, end)
        if strip_tabs:
            spans = [(_skip_tabs(data, s, e), e) for s, e in spans]
        foreign = _scan_foreign(data, spans, first_line)
    if foreign and not ignore_pbs:
        flines, fuses, fproblems = foreign
        lines.extend(flines)
        uses.extend(fuses)
        problems.extend(fproblems)
        lines.sort(key=lambda d: d.line)
    if block_end is not None:
        block_end_line = block_end
    else:  # no command: the line count
        block_end_line = first_line + region.count(b"\n") + (0 if not region or region.endswith(b"\n") else 1)
    return Directives(lines, uses, problems, block_end_line, bool(foreign) and ignore_pbs, near_misses)


def _scan_foreign(
    data: bytes, spans: list[tuple[int, int]], first_line: int
) -> tuple[list[DirectiveLine], list[OptionUse], list[Problem]] | None:
    """#BSUB, else #PBS lines, as sbatch's xlate_batch_script reads them."""
    for word, kind, with_arg, flags in (
        (b"#BSUB", "BSUB", opts.BSUB_SHORT_WITH_ARG, opts.BSUB_SHORT_FLAGS),
        (b"#PBS", "PBS", opts.PBS_SHORT_WITH_ARG, opts.PBS_SHORT_FLAGS),
    ):
        non_comments = 0
        found: list[DirectiveLine] = []
        problems: list[Problem] = []
        argv: list[tuple[Token, int]] = []
        for index, (ls, le) in enumerate(spans):
            text = data[ls:le]
            if not text.startswith(word):
                if not text.startswith(b"#"):
                    non_comments += 1
                if non_comments > 100:
                    break
                continue
            tokens, problem = tokenize(data, ls + len(word), le, first_line + index)
            if problem is not None:
                problems.append(problem)
            found.append(DirectiveLine(kind, first_line + index, ls, le, True, tokens))  # type: ignore[arg-type]
            argv.extend((t, 0) for t in tokens)
        if found:
            spec_table = opts.OptionTable(
                kind.lower(),
                {},
                {c: opts.OptionSpec(c, c, "required") for c in with_arg}
                | {c: opts.OptionSpec(c, c, "none") for c in flags},
            )
            uses, gproblems = _getopt(argv, kind, spec_table)  # type: ignore[arg-type]
            return found, uses, problems + gproblems
    return None


def _getopt(
    argv: list[tuple[Token, int]],
    kind: Kind,
    table: opts.OptionTable,
    in_block: bool = True,
) -> tuple[list[OptionUse], list[Problem]]:
    """Resolve options like getopt_long with a '+' option string."""
    uses: list[OptionUse] = []
    problems: list[Problem] = []

    def fail(code: str, message: str, tok: Token) -> None:
        problems.append(Problem(code, message, tok.start, tok.end, tok.line))

    def use(
        tok: Token,
        component: int,
        name: str,
        written: str,
        form: Form,
        value: Token | str | None = None,
        value_start: int | None = None,
    ) -> None:
        """Record one option; ``value`` is the next argv word, or text inside ``tok``."""
        if isinstance(value, Token):
            uses.append(
                OptionUse(
                    kind,
                    name,
                    written,
                    form,
                    value.value,
                    value.start,
                    value.end,
                    tok.start,
                    value.end,
                    tok.line,
                    in_block,
                    component,
                )
            )
        else:
            uses.append(
                OptionUse(
                    kind,
                    name,
                    written,
                    form,
                    value,
                    value_start,
                    tok.end if value_start is not None else None,
                    tok.start,
                    tok.end,
                    tok.line,
                    in_block,
                    component,
                )
            )

    i = 0
    while i < len(argv):
        tok, component = argv[i]
        arg = tok.value
        if arg == "--":
            if i + 1 < len(argv):
                nxt = argv[i + 1][0]
                fail("non-option", f"sbatch stops with `Invalid directive found in batch script: {nxt.value}`", nxt)
            break
        if arg.startswith("--") and table.by_long:
            name, eq, inline = arg[2:].partition("=")
            found = table.lookup_long(name)
            if found is None and name in opts.PYXIS_OPTIONS:
                fail("pyxis-option", f"--{name} is a Pyxis (enroot) option, not Slurm's own", tok)
            elif found is None or isinstance(found, list):
                if isinstance(found, list):
                    names = ", ".join("--" + s.long for s in found[:4])
                    msg = f"option --{name} is ambiguous (could be {names}); sbatch refuses the script"
                else:
                    close = table.close_matches(name)
                    hint = f"; did you mean {', '.join('--' + c for c in close)}?" if close else ""
                    msg = f"unrecognized option --{name}: sbatch (Slurm {opts.current()}) refuses the script{hint}"
                fail("unknown-option", msg, tok)
            elif eq:
                if found.arg == "none":
                    fail("syntax", f"option --{found.long} takes no argument", tok)
                use(tok, component, found.long, "--" + name, "long=", inline, _after(tok, 2 + len(name.encode())))
            elif found.arg == "required" and i + 1 < len(argv):
                i += 1
                use(tok, component, found.long, "--" + name, "long", argv[i][0])
            else:
                if found.arg == "required":
                    fail("syntax", f"option --{found.long} requires an argument", tok)
                use(tok, component, found.long, "--" + name, "long")
            i += 1
            continue
        if arg.startswith("-") and len(arg) > 1:
            j = 1
            while j < len(arg):
                letter = arg[j]
                spec = table.by_short.get(letter)
                if spec is None:
                    fail("unknown-option", f"invalid option -{letter}: {_who(kind)} refuses the script", tok)
                    break
                if spec.arg == "none":
                    use(tok, component, spec.long, "-" + letter, "short")
                    j += 1
                    continue
                rest = arg[j + 1 :]
                if rest or spec.arg == "optional":
                    use(
                        tok,
                        component,
                        spec.long,
                        "-" + letter,
                        "short-attached",
                        rest or None,
                        _after(tok, len(arg[:j].encode())) if rest else None,
                    )
                elif i + 1 < len(argv):
                    i += 1
                    use(tok, component, spec.long, "-" + letter, "short", argv[i][0])
                else:
                    fail("syntax", f"option -{letter} requires an argument", tok)
                break
            i += 1
            continue
        # first non-option argument: getopt stops and sbatch exits.  The options after
        # it are still read here, so that they get migrated once the line is mended.
        if not any(p.code == "non-option" for p in problems):
            fail("non-option", f"{_who(kind)} stops with `Invalid directive found in batch script: {arg}`", tok)
        i += 1
    return uses, problems


def _who(kind: Kind) -> str:
    return "sbatch" if kind in ("SBATCH", "SLURM") else f"sbatch (#{kind} translation)"


def _after(tok: Token, index: int) -> int:
    """Raw offset just after the token's value byte ``index`` (an ASCII option byte)."""
    return (tok.offsets[index] if tok.offsets else tok.start + index) + 1
