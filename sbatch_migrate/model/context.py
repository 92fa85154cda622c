"""What one script is, as the rules and the site tools see it: its facts, the profile,
and the facts derived from them once per script (:meth:`Context.cached`), so that a
reading several consumers need (module commands, assignments, partition sites, container
launches, path uses) is made once and shared."""

from __future__ import annotations

from collections.abc import Callable, Iterator

from ..profile import Profile
from ..read.bashsyntax import BashSyntax, bash_syntax
from ..read.directives import OptionUse
from ..read.shell import Command
from ..record import field, record
from .facts import ScriptFacts, Unit
from .jobshape import JobShape, call_shape, env_use
from .launch import ContainerCall, SlurmCall, container_call, may_launch, slurm_call, strip_wrappers

TYPE_CHECKING = False  # typing is not imported at run time (docs/design.md: a one-file run)
if TYPE_CHECKING:
    from typing import Any


@record
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

    def slurm_call(self, cmd: Command) -> SlurmCall | None:
        """The ``srun``/``sbatch``/``salloc`` call ``cmd`` makes after its launch wrappers,
        if any (derived once per command: several rules read the same calls)."""
        calls: dict[int, SlurmCall | None] = self.memo.setdefault("slurm-calls", {})
        if cmd.start not in calls:
            calls[cmd.start] = slurm_call(strip_wrappers(cmd.argv)[0]) if may_launch(cmd) else None
        return calls[cmd.start]

    def shapes(self, unit: Unit) -> list[tuple[JobShape, str]]:
        """What ``unit`` asks of one node: the job from its directives (named ``""``), then
        each ``srun``/``salloc``/``sbatch`` of its body that names resources, from its own
        options (named by its program).  Derived once per unit."""
        per_unit: dict[int, list[tuple[JobShape, str]]] = self.memo.setdefault("shapes", {})
        if unit.start not in per_unit:
            found: list[tuple[JobShape, str]] = [(unit.job, "")]
            line_of = self.facts.source.line_of
            for cmd in unit.shell.commands if unit.shell is not None else ():
                call = self.slurm_call(cmd)
                if call is None:
                    continue
                env = self._sbatch_env(unit, cmd) if call.program == "sbatch" else None
                if (step := call_shape(call, line_of, env)) is not None:
                    found.append((step, call.program))
            per_unit[unit.start] = found
        return per_unit[unit.start]

    def _sbatch_env(self, unit: Unit, cmd: Command) -> dict[str, OptionUse]:
        """The ``SBATCH_*`` resource variables ``cmd`` inherits: exported before it (the
        last assignment wins), or set on the command itself (``SBATCH_GRES=gpu:8 sbatch``)."""
        assert unit.shell is not None
        line_of = self.facts.source.line_of
        env: dict[str, OptionUse] = {}
        scoped = [a for a in unit.shell.assignments if a.exported and not a.prefix and a.start < cmd.start]
        for a in [*scoped, *cmd.env]:
            use = env_use(a.name, a.value_text, a.start, a.end, line_of(a.start))
            if use is not None:
                env[use.name] = use
        return env

    def bash_syntax(self, unit: Unit) -> BashSyntax | None:
        """What bash itself says of ``unit``'s text (``bash -n``; None: it could not be
        asked).  A process: asked once per unit, and only for one whose parse tree has an
        error (by the rules that report those regions, and by the engine's safety net)."""
        verdicts: dict[int, BashSyntax | None] = self.memo.setdefault("bash-syntax", {})
        if unit.start not in verdicts:
            verdicts[unit.start] = bash_syntax(unit.bash_text(self.facts.source.parse_bytes))
        return verdicts[unit.start]
