"""What a rule is, what it returns, and what it sees.

A rule reads :class:`~sbatch_migrate.facts.ScriptFacts` and yields :class:`Finding`\\ s.
A finding may carry a fix: plain edits, and/or statements to remove (planned together
by :mod:`sbatch_migrate.removal`).  A rule never re-parses text.
"""

from __future__ import annotations

import inspect
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any, ClassVar, Literal

from ..fix.edits import Edit
from ..model.facts import ScriptFacts, Unit
from ..model.launch import ContainerCall, container_call
from ..profile import Profile
from ..read.bashsyntax import BashSyntax, bash_syntax
from ..read.shell import Command


class Severity(StrEnum):
    ERROR = "error"
    WARNING = "warning"
    INFO = "info"


FixKind = Literal["always", "sometimes", "never"]


@dataclass
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

    @property
    def fixable(self) -> bool:
        return bool(self.edits or self.removals)


@dataclass
class Context:
    facts: ScriptFacts
    profile: Profile
    memo: dict[str, Any] = field(default_factory=dict)

    def cached(self, key: str, compute: Callable[[], Any]) -> Any:
        """Facts several rules derive the same way are derived once per script."""
        if key not in self.memo:
            self.memo[key] = compute()
        return self.memo[key]

    @property
    def source(self):  # type: ignore[no-untyped-def]
        return self.facts.source

    def units(self) -> Iterator[Unit]:
        return iter(self.facts.units)

    def container(self, cmd: Command) -> ContainerCall | None:
        """The container launch ``cmd`` makes, if any (derived once per command)."""
        calls: dict[int, ContainerCall | None] = self.memo.setdefault("containers", {})
        if cmd.start not in calls:
            calls[cmd.start] = container_call(cmd)
        return calls[cmd.start]

    def bash_syntax(self, unit: Unit) -> BashSyntax | None:
        """What bash itself says of ``unit``'s text (``bash -n``; None: it could not be
        asked).  A process: asked once per unit, and only for one whose parse tree has an
        error (by the rules that report those regions, and by the engine's safety net)."""
        verdicts: dict[int, BashSyntax | None] = self.memo.setdefault("bash-syntax", {})
        if unit.start not in verdicts:
            verdicts[unit.start] = bash_syntax(unit.bash_text(self.facts.source.parse_bytes))
        return verdicts[unit.start]


class Rule:
    code: ClassVar[str]
    name: ClassVar[str]
    severity: ClassVar[Severity]
    summary: ClassVar[str]
    fix: ClassVar[FixKind] = "never"

    def check(self, ctx: Context) -> Iterator[Finding]:
        raise NotImplementedError

    def finding(
        self,
        start: int,
        end: int,
        message: str,
        edits: tuple[Edit, ...] | list[Edit] = (),
        removals: tuple[Any, ...] | list[Any] = (),
    ) -> Finding:
        return Finding(self.code, self.name, self.severity, start, end, message, tuple(edits), tuple(removals))

    @classmethod
    def doc(cls) -> str:
        """The rule's documentation: its module docstring."""
        module = sys.modules[cls.__module__]
        return inspect.cleandoc(module.__doc__ or cls.summary)
