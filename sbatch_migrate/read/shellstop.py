"""Where bash stops reading a script: a top-level ``exit``, or ``exec`` of a command,
before a line it could not parse.

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
a carriage return (to bash, ``exit\r`` is a command it cannot find), or the
text before it may change what the word means: a function of that name, aliases
expanded, ``enable`` (a builtin switched off), ``execfail`` (a failed ``exec`` goes on).
"""

from __future__ import annotations

import re

from ..record import NamedTuple
from .shell import Arg, Command, ShellFacts, analyse

TYPE_CHECKING = False  # typing is not imported at run time (docs/design.md: a one-file run)
if TYPE_CHECKING:
    from typing import Any

# a line whose first word, its quotes removed, may be exit or exec (pip writes '''exec'), or
# that closes an if (each of whose branches may end in one)
_CANDIDATE = re.compile(rb"^[ \t]*(?:['\"]*ex(?:ec|it)['\"]*|fi)(?=[ \t;]|$)", re.M)
_CHANGES_MEANING = re.compile(
    rb"expand_aliases|\benable\b|execfail|\bex(?:ec|it)[ \t]*\(\)|function[ \t]+ex(?:ec|it)\b"
)
_CHECKED = 16  # candidate lines parsed at most (each a parse of the text up to it)
_EXEC_OPTIONS = frozenset({"-c", "-l", "-cl", "-lc", "--"})


class Stop(NamedTuple):
    start: int  # where the statement that stops bash starts, in the text given
    end: int  # just after its last line (its newline): bash reads nothing from here
    command: str  # ``exit`` or ``exec`` (for an ``if``: what its last branch ends in)
    facts: ShellFacts  # of the text up to ``end``: what bash reads of the script


def stop(text: bytes, limit: int | None = None) -> Stop | None:
    """The first line (before offset ``limit``) at which bash certainly stops reading
    ``text``, or None."""
    limit = len(text) if limit is None else limit
    checked = 0
    for m in _CANDIDATE.finditer(text, 0, limit):
        line_end = text.find(b"\n", m.start())
        end = len(text) if line_end == -1 else line_end + 1
        if end > limit:
            return None
        line = text[m.start() : end].rstrip(b"\n")
        # a CR is part of the last word for bash (`exit\r` is no command it knows)
        if line.endswith(b"\\") or b"<<" in line or b"\r" in line:
            continue
        prefix = text[:end]
        if _CHANGES_MEANING.search(prefix):
            return None  # and for every later line as well
        checked += 1
        if checked > _CHECKED:
            return None
        facts = analyse(prefix)
        if facts.errors:  # a construct still open (an exit inside an if), or an error before
            continue
        statements = [n for n in facts.tree.root_node.named_children if n.type != "comment"]
        if not statements or statements[-1].end_byte <= m.start():
            continue
        commands = {cmd.node.start_byte: cmd for cmd in facts.commands}
        name = _stops(statements[-1], commands)
        if name is not None:
            return Stop(statements[-1].start_byte, end, name, facts)
    return None


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
    if statement.type != "if_statement":
        return None
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
    if statement.named_children[-1].type != "else_clause" or not all(branches):
        return None  # without an else, the if may run no branch at all
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
