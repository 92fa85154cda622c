"""Where bash stops reading a script: a top-level ``exit``, or ``exec`` of a command (or
an ``if`` with an ``else`` each of whose branches ends in one), before a line it could not
parse.

bash reads a script one top-level command at a time and runs each before it reads the
next, so a syntax error after an unconditional ``exit`` or ``exec COMMAND`` is never
reached: ``bash -n`` (which reads the whole file) reports it, the job never meets it.
Real files are made this way: pip's launcher for a long interpreter path (``#!/bin/sh``,
then ``'''exec' "$(dirname -- "$0")/python3" "$0" "$@"``, then Python), wrappers that
``exec python3 "$0"`` over the Python program below them, installers whose shell head
ends in ``exit 0`` over a payload.

The stop must be certain, so each candidate line is checked on the text up to its end,
parsed alone: no parse error there, and the command a direct child of the program (not
in a list, a pipeline, a function, a condition or a loop), named ``exit`` or ``exec``
with a command word after its options (``exec >log 2>&1`` only redirects, and the script
goes on).  Not a stop when the line goes on (a trailing ``\\``), opens a heredoc, ends in
a carriage return (to bash, ``exit\\r`` is a command it cannot find), or the
text before it may change what the word means: a function of that name, aliases
expanded, ``enable`` (a builtin switched off), ``execfail`` (a failed ``exec`` goes on).
"""

from __future__ import annotations

import re

from ..record import NamedTuple
from .shell import Arg, Command, ShellFacts, analyse, parse

TYPE_CHECKING = False  # typing is not imported at run time (docs/design.md: a one-file run)
if TYPE_CHECKING:
    from typing import Any

# a line whose first word, its quotes removed, may be exit or exec (pip writes '''exec'), or
# that closes an if (each of whose branches may end in one)
_CANDIDATE = re.compile(rb"^[ \t]*(?:['\"]*ex(?:ec|it)['\"]*|fi)(?=[ \t;]|$)", re.M)
_CHANGES_MEANING = re.compile(
    rb"expand_aliases|\benable\b|execfail|\bex(?:ec|it)[ \t]*\(\)|function[ \t]+ex(?:ec|it)\b"
)
# the candidate lines, each a parse of the text up to it: at most so many, and so many bytes
# parsed in all (times the text's size, plus a few pages): a file with no stop costs a few
# parses of itself more, however many `fi` lines it has
_CHECKED = 16
_PARSED = 2
_PARSED_FREE = 64 << 10
_EXEC_OPTIONS = frozenset({"-c", "-l", "-cl", "-lc", "--"})


class Stop(NamedTuple):
    start: int  # where the statement that stops bash starts, in the text given
    end: int  # just after its last line (its newline): bash reads nothing from here
    command: str  # ``exit`` or ``exec`` (for an ``if``: what its last branch ends in)
    facts: ShellFacts  # of the text up to ``end``: what bash reads of the script


def stop(text: bytes) -> Stop | None:
    """The first line at which bash certainly stops reading ``text``, or None.

    The candidates are tried from the last one before bash's own complaint (``bash -n``,
    asked once per text: the rules ask it the same) back to the first: the text after a
    stop is not bash, so few candidates lie between the stop and the complaint, and the
    first candidate whose text up to it parses holds the stop among its statements, if
    there is one (the earliest is where bash stops)."""
    from .bashsyntax import bash_syntax

    limit = len(text)
    verdict = bash_syntax(text)
    if verdict is not None and not verdict.ok and verdict.line is not None:
        limit = 0
        for _ in range(verdict.line - 1):  # the start of the line bash complains of
            nl = text.find(b"\n", limit)
            limit = nl + 1 if nl != -1 else len(text)
    matches = list(_CANDIDATE.finditer(text, 0, limit))
    words = _words(matches)
    checked = parsed = 0
    for m in reversed(matches):
        line_end = text.find(b"\n", m.start())
        end = len(text) if line_end == -1 else line_end + 1
        checked += 1
        parsed += end
        if checked > _CHECKED or parsed > _PARSED * len(text) + _PARSED_FREE:
            return None  # the text stays a parse error, as if no line stopped bash
        tree = parse(text[:end])
        if tree.root_node.has_error:  # a construct still open (an exit inside an if), or an error before
            continue
        return _first(text, tree, words)
    return None


def stop_at(text: bytes, end: int) -> Stop | None:
    """The stop of ``text`` if bash stops reading it at ``end`` exactly (:func:`stop`'s
    answer when the stop is known to be there or nowhere: a migrated text whose original
    stops at the same tail; one parse, no ``bash -n``)."""
    matches = list(_CANDIDATE.finditer(text, 0, end))
    if not matches:
        return None
    tree = parse(text[:end])
    if tree.root_node.has_error:
        return None
    found = _first(text, tree, _words(matches))
    return found if found is not None and found.end == end else None


def _words(matches: list[re.Match[bytes]]) -> set[int]:
    """Where each candidate's exit or exec word starts: a statement can stop bash only there."""
    return {m.start() + len(m.group()) - len(m.group().lstrip(b" \t")) for m in matches}


def _first(text: bytes, tree: Any, words: set[int]) -> Stop | None:
    """The first statement of ``tree`` (of a text that parses) at which bash stops, with
    the facts of the text up to it.  Statements are told apart by their shape first, then
    read (:func:`.shell.analyse`) only when they may stop bash (at most :data:`_CHECKED`
    of them: ``exec $EMPTY`` on every line must not read the text once per line)."""
    read = 0
    for statement in tree.root_node.named_children:
        if statement.type == "comment" or not _may_stop(statement, words):
            continue
        read += 1
        if read > _CHECKED:
            return None
        line_end = text.find(b"\n", statement.end_byte)
        end = len(text) if line_end == -1 else line_end + 1
        if not _plain(text, statement.start_byte, end):
            continue
        if _CHANGES_MEANING.search(text, 0, end):
            return None  # and for every later statement as well
        facts = analyse(text[:end])
        statements = [n for n in facts.tree.root_node.named_children if n.type != "comment"]
        if facts.errors or not statements:
            return None
        name = _stops(statements[-1], {cmd.node.start_byte: cmd for cmd in facts.commands})
        if name is not None:
            return Stop(statements[-1].start_byte, end, name, facts)
    return None


def _may_stop(statement: Any, words: set[int]) -> bool:
    """:func:`_stops` by the tree alone, that it may hold: a command whose first word is
    a candidate's, or an ``if`` with an ``else`` each of whose branches ends in one."""
    if statement.type == "redirected_statement" and statement.named_child_count:
        statement = statement.named_children[0]
    if statement.type == "command":
        return statement.start_byte in words
    branches = _branches(statement)
    return branches is not None and all(_may_stop(body[-1], words) for body in branches)


def _branches(statement: Any) -> list[list[Any]] | None:
    """The statements of each branch of an ``if`` that has an ``else`` (None: not such an
    ``if``, or a branch is empty)."""
    if statement.type != "if_statement" or statement.named_children[-1].type != "else_clause":
        return None  # without an else, the if may run no branch at all
    branches: list[list[Any]] = []
    for part in (statement, *(c for c in statement.named_children if c.type in ("elif_clause", "else_clause"))):
        body: list[Any] = []
        opened = part.type == "else_clause"  # an else has no condition
        for child in part.children:
            if child.type == "then":
                opened = True
            elif opened and child.is_named and child.type not in ("comment", "elif_clause", "else_clause"):
                body.append(child)
        branches.append(body)
    return branches if all(branches) else None


def _plain(text: bytes, start: int, end: int) -> bool:
    """The line(s) ``text[start:end]`` end where they seem to: no ``\\`` going on to the next
    line, no heredoc whose body follows, no CR (a CR is part of the last word for bash:
    ``exit\\r`` is no command it knows)."""
    line = text[start:end].rstrip(b"\n")
    return not (line.endswith(b"\\") or b"<<" in line or b"\r" in line)


def _stops(statement: Any, commands: dict[int, Command]) -> str | None:
    """``exit`` or ``exec`` when ``statement`` (of a block) ends the script whichever way it
    runs: that command itself in the foreground (``exit &`` ends only the subshell it runs
    in), or an ``if`` with an ``else`` each of whose branches ends so."""
    after = statement.next_sibling
    if after is not None and after.type == "&":
        return None
    if statement.type == "redirected_statement" and statement.named_child_count:
        statement = statement.named_children[0]
    if statement.type == "command":
        cmd = commands.get(statement.start_byte)
        if cmd is None:
            return None
        name = cmd.name_value
        if name == "exit" or (name == "exec" and _runs_command(cmd.argv[1:])):
            return name
        return None
    branches = _branches(statement)
    if branches is None:
        return None
    names = [_stops(body[-1], commands) for body in branches]
    return None if None in names else names[-1]


def _runs_command(args: tuple[Arg, ...]) -> bool:
    """``exec``'s arguments name a command (the shell is replaced), not only options."""
    rest = list(args)
    while rest and rest[0].known and rest[0].value in (*_EXEC_OPTIONS, "-a"):
        rest = rest[2:] if rest[0].value == "-a" else rest[1:]
    if not rest:
        return False
    word = rest[0].word
    # an unquoted expansion of unknown value may be empty: then there is no command
    return word.value is not None or not word.splits
