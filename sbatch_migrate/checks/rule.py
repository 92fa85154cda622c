"""What a rule is and what it returns.

A rule reads a script's facts through a :class:`~sbatch_migrate.model.context.Context`
and yields :class:`Finding`\\ s.  A finding may carry a fix: plain edits, and/or
statements to remove (planned together by :mod:`sbatch_migrate.fix.removal`).  A rule
never re-parses text.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from enum import StrEnum

from ..fix.edits import Edit
from ..record import record

TYPE_CHECKING = False  # typing is not imported at run time (docs/design.md: a one-file run)
if TYPE_CHECKING:
    from typing import Any, ClassVar, Literal

    from ..model.context import Context

    FixKind = Literal["always", "sometimes", "never"]
    # safe: keeps what the job means (applied by default); unsafe: may change what it asks
    # for or how it runs (applied only with --unsafe-fixes, as ruff does)
    FixSafety = Literal["safe", "unsafe"]


class Severity(StrEnum):
    ERROR = "error"
    WARNING = "warning"
    INFO = "info"


@record
class Finding:
    code: str
    rule: str
    severity: Severity
    start: int  # parse-byte span in the input
    end: int
    message: str
    edits: tuple[Edit, ...] = ()
    removals: tuple[Any, ...] = ()  # tree-sitter nodes of commands to remove
    fixed: bool = False
    subject: str | None = None  # what it is about, for grouping across files (SM601: the path)
    unsafe_fix: bool = False  # an unsafe fix was withheld (--unsafe-fixes applies it)

    @property
    def fixable(self) -> bool:
        return bool(self.edits or self.removals)


class Rule:
    code: ClassVar[str]
    name: ClassVar[str]
    severity: ClassVar[Severity]
    summary: ClassVar[str]
    fix: ClassVar[FixKind] = "never"
    fix_safety: ClassVar[FixSafety] = "safe"

    def check(self, ctx: Context) -> Iterator[Finding]:
        raise NotImplementedError

    def finding(
        self,
        start: int,
        end: int,
        message: str,
        edits: tuple[Edit, ...] | list[Edit] = (),
        removals: tuple[Any, ...] | list[Any] = (),
        severity: Severity | None = None,  # a rule whose case is milder than its usual one
        subject: str | None = None,
    ) -> Finding:
        level = self.severity if severity is None else severity
        return Finding(self.code, self.name, level, start, end, message, tuple(edits), tuple(removals), subject=subject)

    @classmethod
    def doc(cls) -> str:
        """The rule's documentation: its module docstring."""
        import inspect

        module = sys.modules[cls.__module__]
        return inspect.cleandoc(module.__doc__ or cls.summary)


def step_said(program: str) -> str:
    """How a resource finding names where the request is: the job (``""``) or a command."""
    return f"`{program}` in the script: " if program else ""
