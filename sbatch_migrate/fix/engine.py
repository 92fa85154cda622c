"""Run the rules on one script and apply their fixes: ``migrate(source, profile)``.

bytes -> Source -> facts -> rules -> findings + edits -> applied output.  Fixes are
dropped (and their findings marked unfixed, with the reason) when they would touch a
region the bash parser could not read, when they collide with another fix, or when the migrated
text would no longer parse (checked by parsing the output again; where the parser could
not read part of a script that bash accepts, by asking bash).
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import cache

from ..checks.fix_withheld import FixWithheld
from ..checks.index import GATES, INDEX, Entry, applicable, load
from ..checks.rule import Finding, Rule, Severity
from ..checks.unused_suppression import UnusedSuppression
from ..model.context import Context
from ..model.facts import ScriptFacts, collect
from ..model.suppressions import suppressed
from ..profile import Profile
from ..read import options, shell
from ..read.bashsyntax import bash_syntax
from ..read.filenames import may_be_config
from ..read.source import Source
from ..record import record
from . import removal
from .edits import Edit, apply_edits, splice

TYPE_CHECKING = False  # typing is not imported at run time (docs/design.md: a one-file run)
if TYPE_CHECKING:
    from typing import Any


@record
class Result:
    source: Source
    output: bytes
    findings: list[Finding]
    facts: ScriptFacts
    edits: list[Edit]  # the edits applied to the original bytes
    format: str = ""  # a submission config's format (read/formats.py); "" for a job script

    @property
    def changed(self) -> bool:
        return self.output != self.source.data

    @property
    def errors(self) -> list[Finding]:
        return [f for f in self.findings if f.severity == Severity.ERROR and not f.fixed]


# the rules to run: entries of the index (imported when a script can trigger them), or
# rule classes (run on every script)
Rules = Sequence[Entry | type[Rule]]


def migrate(source: Source, profile: Profile, rules: Rules | None = None, unsafe_fixes: bool = False) -> Result:
    """Migrate one script: read it, run the rules, apply their fixes, check the result.
    Options are read with the target's Slurm release (the profile's ``slurm_version``).
    ``unsafe_fixes``: also apply the fixes of rules whose fix may change what the job asks
    for (``fix_safety = "unsafe"``); without it they are reported as available."""
    if may_be_config(source.path):
        from ..read.formats import config_format

        fmt = config_format(source.path, source.data)
        if fmt is not None:  # a workflow manager's config: read with its own grammar, never as bash
            from .configs import migrate_config

            return migrate_config(source, profile, fmt, rules)
    with options.release(profile.slurm_version):
        return _migrate(source, profile, rules, unsafe_fixes)


def _migrate(source: Source, profile: Profile, rules: Rules | None, unsafe_fixes: bool) -> Result:
    facts = collect(source)
    ctx = Context(facts, profile)
    findings: list[Finding] = []
    chosen = tuple(rules) if rules is not None else INDEX
    active = _active(chosen, ctx)
    for rule in active:
        findings.extend(rule.check(ctx))
    if facts.suppressions:
        findings = [f for f in findings if not suppressed(facts.suppressions, f.code, source.position(f.start).line)]
        judge = next((r for r in active if isinstance(r, UnusedSuppression)), None)
        if judge is not None:
            known = {e.code for e in INDEX}
            # a gated rule was asked (it could find nothing here): its suppressions suppress nothing
            stale = judge.unused(ctx, known, {r.code for r in chosen})
            # a blanket `disable=all` does not hide its own staleness: only SM910 named does
            named = [x for x in facts.suppressions if x.token != "ALL"]
            findings += [f for f in stale if not suppressed(named, f.code, source.position(f.start).line)]
    # one finding per place and message (an exported SBATCH_GRES that two sbatch calls inherit)
    findings = list({(f.code, f.start, f.end, f.message): f for f in findings}.values())
    findings.sort(key=lambda f: (f.start, f.code))
    if not unsafe_fixes:
        unsafe = {r.code for r in active if r.fix_safety == "unsafe"}
        for f in findings:
            if f.code in unsafe and (f.edits or f.removals):
                f.edits, f.removals, f.unsafe_fix = (), (), True
    edits = _apply(source, facts, findings)
    output = apply_edits(source, edits)
    if output != source.data and not _directive_only(facts, edits) and not _still_parses(source, facts, output):
        for f in findings:
            f.fixed = False
        findings.append(
            FixWithheld().finding(
                0,
                0,
                "the migrated text would not parse (bash, or Python for .py files): no fix applied to this file "
                "(please report it); the findings say what to change by hand",
            )
        )
        output = source.data
        edits = []
    elif output != source.data and _bash_breaks(ctx, edits):
        edits = _directive_fixes_only(facts, findings)
        output = apply_edits(source, edits)
        findings.append(
            FixWithheld().finding(
                0,
                0,
                "bash reads this script, but sbatch-migrate's parser cannot read all of it (SM908), and bash "
                "would not read the migrated text: only the #SBATCH fixes are applied; the findings say what "
                "to change by hand",
            )
        )
    return Result(source, output, findings, facts, edits)


# rules given (by identity) -> (them, the gates their entries have, rule objects by the gates' values)
_PLANS: dict[int, tuple[tuple[Entry | type[Rule], ...], tuple[str, ...], dict[tuple[bool, ...], tuple[Rule, ...]]]] = {}


def _active(rules: tuple[Entry | type[Rule], ...], ctx: Context) -> tuple[Rule, ...]:
    """The rule objects to run on this script (:func:`_classes`): found by the values of
    the few gates the rules have, each asked once, instead of by every entry's."""
    plan = _PLANS.get(id(rules))
    if plan is None or plan[0] is not rules:
        if len(_PLANS) >= 64:
            _PLANS.clear()
        gates = tuple(sorted({e.gate for e in rules if isinstance(e, Entry) and e.gate is not None}))
        plan = _PLANS[id(rules)] = (rules, gates, {})
    _, gates, by_gates = plan
    key = tuple(GATES[g](ctx) for g in gates)
    active = by_gates.get(key)
    if active is None:
        active = by_gates[key] = _instances(_classes(rules, ctx))
    return active


def _classes(rules: tuple[Entry | type[Rule], ...], ctx: Context) -> tuple[type[Rule], ...]:
    """The rules to run on this script: the classes given, and the entries whose gate
    holds for it (:mod:`..checks.index`), imported if not yet."""
    entries = tuple(r for r in rules if isinstance(r, Entry))
    if len(entries) == len(rules):
        return _loaded(applicable(entries, ctx))
    open_ = set(applicable(entries, ctx))
    return tuple(r if not isinstance(r, Entry) else load(r) for r in rules if not isinstance(r, Entry) or r in open_)


@cache
def _loaded(entries: tuple[Entry, ...]) -> tuple[type[Rule], ...]:
    return tuple(load(e) for e in entries)


@cache
def _instances(rules: tuple[type[Rule], ...]) -> tuple[Rule, ...]:
    """Rules hold no state: one instance of each serves every script."""
    return tuple(r() for r in rules)


def _error_spans(facts: ScriptFacts) -> list[tuple[int, int]]:
    spans = []
    for unit in facts.units:
        if unit.shell is not None:
            spans.extend(unit.shell.errors)
    return spans


def _touches(start: int, end: int, spans: list[tuple[int, int]]) -> bool:
    return any(s <= end and start <= e for s, e in spans)


def _apply(source: Source, facts: ScriptFacts, findings: list[Finding]) -> list[Edit]:
    """Decide which fixes apply; returns their edits (findings are marked fixed)."""
    errors = _error_spans(facts)
    # 0. nothing inside a Python string whose escapes make its spans differ from its value,
    # but a submitit slurm_setup line whose every command goes is dropped whole
    elements = _drop_readonly_elements(facts, findings)
    frozen = [(u.start, u.end) for u in facts.units if u.readonly]
    for f in findings:
        spans = [(e.start, e.end) for e in f.edits] + [(n.start_byte, n.end_byte) for n in f.removals]
        if frozen and any(s <= a and b <= e for a, b in spans for s, e in frozen):
            f.edits, f.removals = (), ()
            f.message += "; not fixed: it is inside a Python string with escapes (edit it by hand)"
    # 1. nothing inside a region the parser could not read (SM901, SM908)
    for f in findings:
        if not f.fixable or not errors:
            continue
        spans = [(e.start, e.end) for e in f.edits] + [(n.start_byte, n.end_byte) for n in f.removals]
        if any(_touches(s, e, errors) for s, e in spans) and _in_shell_region(f, facts):
            f.edits, f.removals = (), ()
            f.message += "; not fixed: it is inside or next to a region the bash parser could not read"
    # 2. removals are planned together (a script's first commands never all go when
    # #SBATCH lines sbatch ignores follow them)
    _keep_late_directives_late(facts, findings)
    requests = [n for f in findings for n in f.removals]
    plan = removal.plan(source, requests) if requests else removal.Plan()
    accepted: list[Edit] = []
    for f in findings:
        if f.removals:
            reasons = [plan.failed[n.id] for n in f.removals if n.id in plan.failed]
            if reasons:
                f.message += f"; left in place: {reasons[0]}, where removing it is not safe"
                f.removals = ()
    kept, emptied = _drop_emptied_elements(facts, plan.edits)
    accepted.extend(kept)
    if (elements or emptied) and facts.python is not None:
        # several elements of one list may go: each run of them is deleted as one edit
        accepted.extend(removal.list_deletions(facts.python.lists, elements | emptied))
    # 3. plain edits, first come first served
    for f in findings:
        if not f.fixable:
            continue
        if f.edits and any(e.overlaps(a) for e in f.edits for a in accepted):
            f.message += "; not fixed: another fix changes the same text"
            f.edits = ()
            continue
        accepted.extend(f.edits)
        f.fixed = True
    return accepted


def _keep_late_directives_late(facts: ScriptFacts, findings: list[Finding]) -> None:
    """sbatch reads directives only up to the first command, so `#SBATCH` lines after a
    `module purge` are ignored.  Removing every command before them would bring them to
    life (with a TWCC partition left unrenamed, as late lines are not migrated): the
    migration must not change which directives sbatch reads.  The last of those commands
    is replaced by `:` instead, and its finding says why."""
    for unit in facts.units:
        if unit.shell is None:
            continue
        lates = [p.start for p in unit.directives.problems if p.code == "late"]
        if not lates:
            continue
        first_late = min(lates)
        root = unit.shell.tree.root_node
        stmts = [
            c for c in root.children if c.is_named and c.type != "comment" and unit.start <= c.start_byte < first_late
        ]
        if not stmts:
            continue
        requested: dict[int, Finding] = {}
        for f in findings:
            for n in f.removals:
                requested[removal.statement_of(n).id] = f

        gone = [_goes(s, requested) for s in stmts]
        if not all(gone):
            continue
        last = stmts[-1]
        owners = [requested.get(p.id) or requested[removal.statement_of(p).id] for p in gone[-1] or []]
        for f in owners:
            f.removals = tuple(n for n in f.removals if not last.start_byte <= n.start_byte < last.end_byte)
        first, *rest = owners
        first.edits = (*first.edits, Edit(last.start_byte, last.end_byte, ":"))
        first.message += (
            "; replaced by `:`: removing it would turn the #SBATCH lines after it into directives sbatch "
            "reads (it ignores them now, see SM003)"
        )
        for f in rest:
            if f is not first and not f.removals and not f.edits:
                f.fixed = True


def _goes(s: Any, requested: dict[int, Finding]) -> list[Any] | None:
    """The requested statements whose removal takes statement ``s`` away whole: ``s``
    itself, or every part of an ``A && B`` list (a block keeps `:` and stays)."""
    if s.id in requested or removal.statement_of(s).id in requested:
        return [s]
    if s.type == "list":
        parts = [c for c in s.named_children if c.type != "comment"]
        found: list[Any] = []
        for c in parts:
            inner = _goes(c, requested)
            if inner is None:
                return None
            found.extend(inner)
        return found or None
    return None


def _drop_readonly_elements(facts: ScriptFacts, findings: list[Finding]) -> set[tuple[int, int]]:
    """A slurm_setup element with escapes (``"module load singularity\\n"``) cannot be
    edited inside; when the fixes remove every command it holds, the element goes whole
    (its text is not touched, so the escapes do not matter).  Returns those elements; their
    findings are fixed by the deletion."""
    chosen: set[tuple[int, int]] = set()
    for unit in facts.units:
        if not (unit.readonly and unit.element and unit.shell is not None and unit.shell.commands):
            continue
        inside = [f for f in findings if f.removals and all(unit.start <= n.start_byte < unit.end for n in f.removals)]
        gone = {n.start_byte for f in inside for n in f.removals}
        if not inside or gone != {c.node.start_byte for c in unit.shell.commands}:
            continue
        chosen.add(unit.element)
        for f in inside:
            f.removals, f.edits, f.fixed = (), (), True
    return chosen


def _in_shell_region(f: Finding, facts: ScriptFacts) -> bool:
    """Directive fixes stay allowed in a script whose bash does not parse."""
    if f.removals:
        return True
    for unit in facts.units:
        for line in unit.directives.lines:
            if all(line.start <= e.start and e.end <= line.end for e in f.edits):
                return False
    return True


def _drop_emptied_elements(facts: ScriptFacts, edits: list[Edit]) -> tuple[list[Edit], set[tuple[int, int]]]:
    """Removals that empty a submitit slurm_setup element: the element goes from the list
    instead (returned apart from the other edits)."""
    out: list[Edit] = []
    chosen: set[tuple[int, int]] = set()
    for e in edits:
        unit = next((u for u in facts.units if u.element and e.start <= u.start and u.end <= e.end), None)
        if unit is not None and unit.element is not None and not e.replacement:
            chosen.add(unit.element)
        else:
            out.append(e)
    return out, chosen


def _compiles(data: bytes) -> bool:
    try:
        compile(data, "<migrated>", "exec", dont_inherit=True)
    except (SyntaxError, ValueError):
        return False
    return True


def _directive_only(facts: ScriptFacts, edits: list[Edit]) -> bool:
    """Every edit stays inside a directive line: a bash comment, so the parse is the same."""
    lines = [(d.start, d.end) for unit in facts.units for d in unit.directives.lines]
    return all(any(s <= e.start and e.end <= t and "\n" not in e.replacement for s, t in lines) for e in edits)


def _bash_breaks(ctx: Context, edits: list[Edit]) -> bool:
    """A unit whose parse tree has errors but that bash accepts (SM908) would not be
    accepted after its edits.  tree-sitter's error recovery can read the statements after
    an error wrongly (``for f do`` makes ``done`` a command and the loop body top-level
    statements), so the tree cannot vouch for such a unit's edits; bash itself is asked."""
    data = ctx.facts.source.parse_bytes
    for unit in ctx.facts.units:
        if unit.shell is None or not unit.shell.errors:
            continue
        inside = sorted(e for e in edits if unit.start <= e.start and e.end <= unit.end)
        if not inside or _directive_only(ctx.facts, inside):
            continue  # a directive line is a comment to bash
        before = ctx.bash_syntax(unit)
        if before is None or not before.ok:
            continue  # bash rejects it as it is (SM901): its edits stay out of the regions the parser could not read
        edited = splice(data, inside, unit.start, unit.end)
        if unit.expands:  # an unquoted heredoc: bash removes its escapes when writing it
            edited = shell.without(edited, 0, len(edited), shell.heredoc_escapes(edited, 0, len(edited)))
        after = bash_syntax(edited)
        if after is None or not after.ok:
            return True
    return False


def _directive_fixes_only(facts: ScriptFacts, findings: list[Finding]) -> list[Edit]:
    """Keep the fixes that only touch #SBATCH lines; the others are withheld (said in
    their findings).  Returns the edits kept."""
    kept: list[Edit] = []
    for f in findings:
        if not f.fixed:
            continue
        if not f.removals and f.edits and _directive_only(facts, list(f.edits)):
            kept.extend(f.edits)
        else:
            f.fixed = False
            f.message += "; not fixed: bash would not read the script with this fix (see SM904)"
    return kept


def _still_parses(source: Source, facts: ScriptFacts, output: bytes) -> bool:
    if facts.language == "python":
        return _compiles(source.data) is False or _compiles(output) is True
    if facts.shell is None or not facts.shell.ok:
        return True
    if source.is_identity and b"\r\n" not in output:
        parse_bytes = output  # UTF-8 in, UTF-8 out: the output is what the parser reads
    else:
        parse_bytes = Source.from_bytes(output, source.path).parse_bytes
    if facts.main.stop is not None:  # bash stops reading at an exit or exec: it still must, just as soon
        return _stops_alike(source.parse_bytes, facts.main.stop, parse_bytes)
    return not shell.parse(parse_bytes).root_node.has_error


def _stops_alike(before: bytes, at: tuple[int, int], output: bytes) -> bool:
    """The migrated text still ends, for bash, where the original does: what follows the
    original's stop is the migrated text's tail, unchanged, and the text before it parses
    and stops bash there (its first stop: an earlier one would leave more unread)."""
    from ..read.shellstop import stop_at

    tail = before[at[1] :]
    end = len(output) - len(tail)
    return end >= 0 and output[end:] == tail and stop_at(output, end) is not None
