"""Migrating a submission config (a workflow manager's or launcher's, not a job script):
the same rules where the same meaning appears, on what :mod:`..read.configs` finds.

- a partition it names (a value, or ``-p``/``--partition`` in an option string): renamed
  as the profile maps it (SM101), or reported when the profile does not know it (SM102);
- a ``module`` line in a prologue: reported as the module rules report it in a job script
  (SM201-SM204; no fix: the line sits in someone else's setting, which may run elsewhere);
- a format the tool recognises but does not read, or text its grammar cannot parse: SM911.

Edits are byte-span replacements of plain text (a quoted value with escapes or
interpolation is reported, never edited); the output is parsed again with the same grammar
and the edits are dropped if it reads worse than the input.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from ..checks import RULES
from ..checks.config_not_read import ConfigNotRead
from ..checks.fix_withheld import FixWithheld
from ..checks.gpus_over_capacity import GpusOverCapacity
from ..checks.image_build_in_job import ImageBuildInJob
from ..checks.module_command import ModuleCommandRule
from ..checks.module_load_other import ModuleLoadOther
from ..checks.module_purge import ModulePurge
from ..checks.module_singularity import ModuleSingularity
from ..checks.non_utf8 import NonUtf8
from ..checks.nv_without_gpu import NvWithoutGpu
from ..checks.partition_rename import PartitionRename
from ..checks.partition_unresolved import PartitionUnresolved
from ..checks.path_not_mounted import PathNotMounted
from ..checks.rule import Finding, Severity
from ..checks.unknown_partition import UnknownPartition
from ..model.context import Context
from ..model.facts import ScriptFacts, Unit
from ..model.modules import package_of
from ..model.needs import exists_in_pod
from ..model.partitions import mapped
from ..profile import Profile
from ..read import configs
from ..read import directives as dirs
from ..read.configs import option_partitions
from ..read.formats import LABEL, NOT_READ
from ..read.source import Source
from .edits import Edit, apply_edits, splice

if TYPE_CHECKING:
    from .engine import Result, Rules

_MODULE = re.compile(r"(?:^|(?<=[;\n&|]))[ \t]*(module|ml)[ \t]+([^\s;&|]+)[ \t]*([^;\n&|]*)")
_LOAD = {"load", "add", "try-load", "try-add", "load-any"}
_ACTED_ON = re.compile(r"queue|partition|clusterOptions|beforeScript|prologue|module|sbatch|srun|salloc|-p\b", re.I)


def _offset(text: str, i: int) -> int:
    return len(text[:i].encode("utf-8"))


def migrate_config(source: Source, profile: Profile, fmt: str, rules: Rules | None = None) -> Result:
    from .engine import Result

    data = source.parse_bytes  # UTF-8, as the grammars read it; apply_edits maps spans back
    codes = {r.code for r in rules} if rules is not None else None
    findings: list[Finding] = []

    def add(f: Finding) -> None:
        if codes is None or f.code in codes:
            findings.append(f)

    facts = ScriptFacts(source, "other", [Unit(0, len(data), dirs.scan(b""), None)])
    for f in NonUtf8().check(Context(facts, profile)):  # read as a guessed encoding: said as for a script
        add(f)
    if fmt in NOT_READ:
        add(
            ConfigNotRead().finding(
                0,
                0,
                f"{LABEL[fmt]}: a submission config sbatch-migrate does not read: check by hand the partitions it "
                "names, the module lines it runs before each job, and its container settings",
            )
        )
        return Result(source, source.data, findings, facts, [], fmt)
    read = configs.read(fmt, data)
    for start, end in read.errors:
        # the whole lines: a region may be a token of a line that names a partition
        line_start = data.rfind(b"\n", 0, start) + 1
        line_end = data.find(b"\n", end)
        region = data[line_start : len(data) if line_end == -1 else line_end].decode("utf-8", "replace")
        idle = _ACTED_ON.search(region) is None  # it names nothing the tool would read there
        add(
            ConfigNotRead().finding(
                start,
                end,
                f"{LABEL[fmt]}: its grammar cannot read the text here (line {source.position(start).line} to "
                f"{source.position(end).line}): nothing in that region is edited or checked"
                + ("; it names no partition, option or prologue" if idle else "; check it by hand"),
                severity=Severity.WARNING if idle else None,
            )
        )
    edits: list[Edit] = []
    taken: set[tuple[int, int]] = set()
    folded = configs.GRAMMAR[fmt] == "yaml"  # a YAML scalar's line breaks are spaces in its value
    for site in read.sites:
        for start, end, value, where in _partition_values(site, folded):
            if (start, end) in taken:
                continue
            taken.add((start, end))
            new, unknown = mapped(value, profile)
            if unknown:
                known = ", ".join(sorted(profile.partition_map)) or "none"
                add(
                    UnknownPartition().finding(
                        start,
                        end,
                        f"partition {','.join(unknown)!r} ({where}) is not in the profile's partition map (known: "
                        f"{known}); left unchanged: map it with --partition-map {unknown[0]}=NAME",
                    )
                )
            elif new != value.split(","):
                inside = any(a <= end and start <= b for a, b in read.errors)
                # the bytes there must be the name as read (text that is not UTF-8 decodes
                # to other lengths: an edit would land elsewhere)
                exact = data[start:end] == value.encode("utf-8", "surrogateescape")
                fix = [Edit(start, end, ",".join(new))] if site.editable and not inside and exact else []
                add(
                    PartitionRename().finding(
                        start,
                        end,
                        f"partition {value} does not exist on the target cluster ({where}): rename it to "
                        f"{','.join(new)}"
                        + (
                            ""
                            if fix
                            else " (by hand: the text around it does not parse)"
                            if inside
                            else " (by hand: the value is not plain text here)"
                        ),
                        edits=fix,
                    )
                )
                edits += fix
        if site.kind == "dynamic":
            add(
                PartitionUnresolved().finding(
                    site.start,
                    site.end,
                    f"the partition ({site.where}) is chosen per task by code: check each name it can give "
                    "against the profile's map by hand",
                )
            )
        if site.kind == "prologue":
            for f in _module_findings(site, profile, read.errors):
                add(f)
                edits += f.edits
            for f in _variable_findings(site, profile):
                add(f)
            for m in _BUILD.finditer(site.text):
                start = site.start + _offset(site.text, m.start())
                add(
                    ImageBuildInJob().finding(
                        start,
                        site.start + _offset(site.text, m.end()),
                        f"`{m.group(0)}` in {site.where}: every job builds or pulls the image again (and the pod may "
                        "not reach the registry): pull it once on the login pod into a mounted folder",
                    )
                )
    for f in _container_findings(read, profile):
        add(f)
    findings.sort(key=lambda f: (f.start, f.code))
    if not edits:
        return Result(source, source.data, findings, facts, [], fmt)
    for f in findings:
        f.fixed = bool(f.edits)
    ordered = sorted(edits, key=lambda e: e.start)
    output = apply_edits(source, ordered)
    migrated = splice(data, ordered, 0, len(data))  # as the grammar reads it
    if len(configs.errors_of(configs.parser(configs.GRAMMAR[fmt]).parse(migrated))) > len(read.errors):
        for f in findings:
            f.fixed = False
        add(
            FixWithheld().finding(0, 0, f"the migrated {LABEL[fmt]} would not parse: no fix applied (please report it)")
        )
        return Result(source, source.data, findings, facts, [], fmt)
    return Result(source, output, findings, facts, edits, fmt)


def _partition_values(site: configs.Site, folded: bool = False) -> list[tuple[int, int, str, str]]:
    """(start, end, value, where) of the partitions a site names; ``folded``: the text's
    line breaks are spaces (a multi-line YAML scalar: `sbatch` on one line, its options on
    the next ones)."""
    if site.kind == "partition":
        value = site.text.strip()
        if not value or "$" in value or "{" in value:
            return []
        lead = _offset(site.text, len(site.text) - len(site.text.lstrip()))
        return [(site.start + lead, site.start + lead + len(value.encode()), value, site.where)]
    if site.kind == "options":
        return [
            (site.start + _offset(site.text, s), site.start + _offset(site.text, e), v, f"{site.where}: -p")
            for s, e, v in option_partitions(site.text.replace("\n", " ") if folded else site.text)
            if "$" not in v
        ]
    return []


_GPUS = re.compile(r"--gres[= ]gpu(?::[A-Za-z][\w.-]*)?:(\d+)|--gpus-per-node[= ](?:[A-Za-z][\w.-]*:)?(\d+)")
_BIND = re.compile(r"(?:^|\s)(?:-B|--bind)[ =]?(\S+)")


def _container_findings(read: configs.ConfigFacts, profile: Profile) -> list[Finding]:
    """What the config asks of the pod: GPUs per node beyond a NodeSet pod's (SM501),
    ``--nv`` with no GPU asked anywhere (SM504), image, cache and bind paths that no mount
    covers (SM601)."""
    out: list[Finding] = []
    asked = 0
    for site in read.sites:
        if site.kind != "options":
            continue
        for m in _GPUS.finditer(site.text):
            n = int(m.group(1) or m.group(2))
            asked = max(asked, n)
            if profile.gpus_per_node and n > profile.gpus_per_node:
                out.append(
                    GpusOverCapacity().finding(
                        site.start,
                        site.end,
                        f"{site.where}: {n} GPUs per node requested but a {profile.nodeset} pod has "
                        f"{profile.gpus_per_node}: every such job is refused",
                    )
                )
    mounts = ", ".join(m.path for m in profile.mounts) or "none"
    for site in read.sites:
        paths: list[str] = []
        if site.kind == "container":
            if re.search(r"(?:^|\s)--nv\b", site.text) and not asked:
                out.append(
                    NvWithoutGpu().finding(
                        site.start,
                        site.end,
                        f"`--nv` in {site.where}, but this config asks for no GPU: the job gets none and --nv finds "
                        "no driver in the pod (add --gres=gpu:N, or drop --nv)",
                    )
                )
            paths = [b.split(":", 1)[0] for m in _BIND.finditer(site.text) for b in m.group(1).split(",")]
        elif site.kind == "image":
            paths = [site.text.strip()]
        for path in paths:
            roots = any(path == r or path.startswith(r.rstrip("/") + "/") for r in profile.storage_roots)
            if path.startswith("/") and roots and not exists_in_pod(path, profile):
                out.append(
                    PathNotMounted().finding(
                        site.start,
                        site.end,
                        f"{path} ({site.where}) is not on a volume mounted in the pod (mounted: {mounts}): the jobs "
                        "would fail with `No such file or directory`; mount it ([[storage.mounts]] in the profile and "
                        "the Helm values) or move it",
                        subject=path,
                    )
                )
    return out


_BUILD = re.compile(r"\b(?:singularity|apptainer)[ \t]+(?:pull|build)\b")
_ASSIGN = re.compile(r"(?:^|(?<=[;\n&|]))[ \t]*(?:export[ \t]+)?([A-Za-z_]\w*)=(\S*)")


def _variable_findings(site: configs.Site, profile: Profile) -> list[Finding]:
    """Variables the profile flags (UCX, NCCL, Open MPI ...) set in a prologue line: the
    variable rule of the entry's code reports them, as in a job script (no fix here)."""
    by_code = {r.code: r for r in RULES}
    out = []
    for m in _ASSIGN.finditer(site.text):
        spec = next((v for v in profile.variables if v.matches(m.group(1))), None)
        rule = by_code.get(spec.code) if spec is not None else None
        if spec is None or rule is None:
            continue
        start = site.start + _offset(site.text, m.start(1))
        end = site.start + _offset(site.text, m.end())
        out.append(rule().finding(start, end, f"`{m.group(1)}={m.group(2)}` in {site.where}: {spec.why}"))
    return out


def _module_findings(site: configs.Site, profile: Profile, errors: list[tuple[int, int]]) -> list[Finding]:
    out = []
    for m in _MODULE.finditer(site.text):
        tool, sub, rest = m.group(1), m.group(2), m.group(3)
        start = site.start + _offset(site.text, m.start())
        end = site.start + _offset(site.text, m.end())
        line = m.group(0).strip()
        rest = rest.strip()
        if tool == "ml" and sub not in _LOAD and not sub.islower():
            rest, sub = f"{sub} {rest}", "load"
        if sub in _LOAD:
            names = [w for w in rest.split() if not w.startswith("-")]
            if names and all(package_of(n) in profile.remove_modules for n in names):
                # the list item is this command alone: it goes (the list keeps its others)
                alone = site.item_lines is not None and site.text.strip() == line
                lines = site.item_lines if alone else None
                clear = lines is not None and not any(a <= lines[1] and lines[0] <= b for a, b in errors)
                fix = [Edit(lines[0], lines[1], "")] if lines is not None and clear else []
                out.append(
                    ModuleSingularity().finding(
                        start,
                        end,
                        f"`{line}` in {site.where}: there are no Environment Modules in the pod; Apptainer is "
                        "preinstalled in the slurmd image: "
                        + ("the item is removed" if fix else "remove it from this setting"),
                        edits=fix,
                    )
                )
            elif names:
                out.append(
                    ModuleLoadOther().finding(
                        start,
                        end,
                        f"`{line}` in {site.where}: {' '.join(names)} cannot be loaded in the pod (no module system): "
                        "put the software in the container image, or on a volume the pod mounts",
                    )
                )
        elif sub == "purge":
            out.append(
                ModulePurge().finding(start, end, f"`{line}` in {site.where}: fails in the pod (no module system)")
            )
        else:
            out.append(
                ModuleCommandRule().finding(
                    start, end, f"`{line}` in {site.where}: fails with `command not found` in the pod"
                )
            )
    return out
