"""Parsed facts of one script: directives, shell facts, embedded job scripts.

``collect`` turns a :class:`Source` into :class:`ScriptFacts`.  A job script written by a
driver script inside a heredoc (``cat <<EOF > job.sh`` / ``sbatch <<EOF``) becomes an
:class:`Embedded` unit with its own directives and commands, spans still global.
"""

from __future__ import annotations

import re
from functools import cached_property

from ..read import directives as dirs
from ..read.shell import Heredoc, ShellFacts, analyse, heredoc_escapes, without
from ..read.shellstop import stop
from ..record import field, record
from .jobshape import JobShape, shape
from .suppressions import Suppression
from .suppressions import read as read_suppressions

TYPE_CHECKING = False  # typing is not imported at run time (docs/design.md: a one-file run)
if TYPE_CHECKING:
    from typing import Literal

    from ..read.pyfront import PyFacts
    from ..read.source import Source

    Language = Literal["bash", "python", "csh", "other"]

# what makes a Python file worth parsing with libcst (slow): calls that run commands,
# submitit, environment changes, or a job script inside a string
_PY_CALLS = re.compile(rb"subprocess|os\.system|os\.popen|submitit|environ|putenv|SLURMCluster|SlurmProvider")
_PY_SCRIPT = re.compile(rb"#SBATCH|#!/|#PBS")


def _python_needs_cst(data: bytes) -> bool:
    if _PY_CALLS.search(data):
        return True
    # past the comment header (a batch script's own #! and #SBATCH lines), a #SBATCH or
    # #! can only be inside a string
    pos = 0
    while pos < len(data):
        nl = data.find(b"\n", pos)
        line = data[pos : nl if nl != -1 else len(data)].strip()
        if line and not line.startswith(b"#"):
            return _PY_SCRIPT.search(data, pos) is not None
        if nl == -1:
            return False
        pos = nl + 1
    return False


@record
class Unit:
    """One job script: the file itself or a script embedded in a heredoc."""

    start: int
    end: int
    directives: dirs.Directives
    shell: ShellFacts | None
    expands: bool = False  # embedded in an unquoted heredoc: bash expands $VAR first
    heredoc: Heredoc | None = None
    template: bool = False  # a Python f-string/.format template: {...} is filled in later
    readonly: bool = False  # a Python string with escapes: analysed, never edited
    origin: str = ""  # where a Python string unit comes from (os.system, script ...)
    element: tuple[int, int] | None = None  # a slurm_setup list element (list, index): it goes when it empties
    interpreter: str = ""  # an embedded script's #! names another one than bash (python3, ruby ...)
    # an unquoted heredoc's escapes (`\$`, `\\`, backslash-newline): the driver's bash removes
    # them while writing the job script, so the parse leaves them out
    gaps: tuple[tuple[int, int], ...] = ()
    masked: bytes | None = None  # a Python string with escapes: its content as read (see pyfront)
    # the line of a top-level exit or exec at which bash stops reading, before text the parser
    # could not read (read/shellstop.py): ``shell`` holds the facts of the text up to it
    stop: tuple[int, int] | None = None

    def bash_text(self, data: bytes) -> bytes:
        """The text bash runs as this unit (the body as the driver writes it out, its
        expansions aside)."""
        if self.masked is not None:
            return self.masked
        return without(data, self.start, self.end, self.gaps)

    @property
    def embedded(self) -> bool:
        return self.heredoc is not None or bool(self.origin)

    @cached_property
    def job(self) -> JobShape:
        """What the job asks for per node, from its directives."""
        return shape(self.directives)


@record
class ScriptFacts:
    source: Source
    language: Language
    units: list[Unit]
    suppressions: list[Suppression] = field(default_factory=list)
    python: PyFacts | None = None  # Python files: calls, env, partitions (libcst)

    @property
    def main(self) -> Unit:
        return self.units[0]

    @property
    def shell(self) -> ShellFacts | None:
        return self.units[0].shell


def language_of(first_line: bytes, path: str) -> Language:
    if first_line.startswith(b"#!"):
        name = interpreter_of(first_line)
        if name.startswith("python"):
            return "python"
        if name in ("csh", "tcsh"):
            return "csh"
        if name in ("bash", "sh", "dash", "ksh", "zsh", "mksh", "ash"):
            return "bash"
        return "other"
    if path.endswith(".py"):
        return "python"
    return "bash"


def interpreter_of(first_line: bytes) -> str:
    """The program a ``#!`` line names (``python3`` for ``#!/usr/bin/env python3``)."""
    words = [w.rsplit(b"/", 1)[-1] for w in first_line[2:].strip().split()]
    if words and words[0] == b"env":
        words = [w for w in words[1:] if not w.startswith(b"-")]
    return words[0].decode("utf-8", "replace") if words else ""


def collect(source: Source) -> ScriptFacts:
    data = source.parse_bytes
    nl = data.find(b"\n")
    first_line = data if nl == -1 else data[:nl]
    language = language_of(first_line, source.path)
    main_shell = analyse(data) if language == "bash" else None
    stop_at = None
    if main_shell is not None and main_shell.errors:
        found = stop(data)
        if found is not None:  # what follows is never read as bash: the script is what comes before
            main_shell, stop_at = found.facts, (found.start, found.end)
    py = None
    if language == "python" and _python_needs_cst(data):
        from ..read import pyfront  # libcst: only for Python files that may run Slurm or Apptainer

        py = pyfront.analyse(data)
    bodies: list[tuple[int, int]] = []
    if main_shell is not None:
        bodies = [(h.start, h.end) for h in main_shell.heredocs]
    if py is not None:
        bodies = [(s.start, s.end) for s in py.shell_strings + py.scripts]
    directives = dirs.scan(data, skip=bodies or None)
    units = [Unit(0, len(data), directives, main_shell, stop=stop_at)]
    if main_shell is not None:
        for heredoc in main_shell.heredocs:
            unit = _embedded(source, heredoc)
            if unit is not None:
                units.append(unit)
    if py is not None:
        for s in py.shell_strings + py.scripts:
            if s.where == "script" and not s.editable:
                continue  # reported by python-string-not-migrated
            first = source.line_of(s.start)
            # a string with escapes is read as the value it holds (each escape as many bytes
            # as it takes in the file: the spans stay the file's)
            text = data if s.masked is None else data[: s.start] + s.masked + data[s.end :]
            units.append(
                Unit(
                    s.start,
                    s.end,
                    dirs.scan(text, s.start, s.end, first),
                    analyse(text, span=(s.start, s.end)),
                    template=s.template,
                    readonly=not s.editable,
                    origin=s.where,
                    element=s.element,
                    masked=s.masked,
                )
            )
    return ScriptFacts(source, language, units, read_suppressions(source), py)


def _embedded(source: Source, heredoc: Heredoc) -> Unit | None:
    data = source.parse_bytes
    body = data[heredoc.start : heredoc.end]
    feeds_sbatch = heredoc.command is not None and heredoc.command.name_value == "sbatch"
    if not (feeds_sbatch or body.lstrip(b"\t").startswith(b"#!") or _has_directive(body, heredoc.strip_tabs)):
        return None
    first = source.line_of(heredoc.start)
    directives = dirs.scan(data, heredoc.start, heredoc.end, first, strip_tabs=heredoc.strip_tabs)
    head = body.lstrip(b"\t").split(b"\n", 1)[0]
    if language_of(head, "") != "bash":  # a Python, Perl, Ruby ... script written by the driver
        if not (feeds_sbatch or directives.lines):
            return None  # not a job script: nothing of it is ours to read
        return Unit(
            heredoc.start, heredoc.end, directives, None, heredoc.expands, heredoc, interpreter=interpreter_of(head)
        )
    facts = None
    gaps = heredoc_escapes(data, heredoc.start, heredoc.end) if heredoc.expands else ()
    if heredoc.end > heredoc.start:
        env = heredoc.env if heredoc.expands else {}
        facts = analyse(data, env=env, span=(heredoc.start, heredoc.end), gaps=gaps)
    return Unit(heredoc.start, heredoc.end, directives, facts, heredoc.expands, heredoc, gaps=gaps)


def _has_directive(body: bytes, strip_tabs: bool) -> bool:
    for line in body.split(b"\n"):
        if strip_tabs:
            line = line.lstrip(b"\t")
        if line.startswith((b"#SBATCH", b"#PBS")):
            return True
    return False
