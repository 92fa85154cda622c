"""Every rule by code and name, the module and class that make it, and when it can find
anything: ``INDEX``, read without importing a rule.

A run imports only the rules a script can trigger.  A rule with a ``gate`` finds nothing
unless its gate holds for the script and the profile (:data:`GATES`: a rule on the target's
node list needs one in the profile, a rule on Python launchers needs a Python launcher),
so where the gate does not hold it is neither imported nor run.  Each rule still checks
its own condition; the gate only says it in advance.  tests/test_rule_index.py holds the
index to the rule classes, and holds each gate to its rule: where the gate does not hold,
the rule finds nothing (on every corpus script, under profiles that set each gate).

:mod:`.registry` imports every rule (``RULES``): for ``rules``, ``explain``, the docs and
SARIF's rule list.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Iterable

from ..record import NamedTuple

TYPE_CHECKING = False  # typing is not imported at run time (docs/design.md: a one-file run)
if TYPE_CHECKING:
    from ..model.context import Context
    from .rule import Rule


class Entry(NamedTuple):
    code: str
    name: str
    module: str  # in this package
    cls: str
    gate: str | None = None  # of GATES; None: any script, any profile


INDEX: tuple[Entry, ...] = (
    Entry("SM001", "directive-syntax", "directive_syntax", "DirectiveSyntax"),
    Entry("SM002", "unknown-option", "unknown_option", "UnknownOption"),
    Entry("SM003", "late-directive", "late_directive", "LateDirective"),
    Entry("SM004", "directive-variable", "directive_variable", "DirectiveVariable"),
    Entry("SM005", "dos-line-endings", "dos_line_endings", "DosLineEndings", "carriage-return"),
    Entry("SM006", "missing-shebang", "missing_shebang", "MissingShebang"),
    Entry("SM007", "slurm-magic", "slurm_magic", "SlurmMagic"),
    Entry("SM008", "misspelt-directive", "misspelt_directive", "MisspeltDirective"),
    Entry("SM009", "spaced-directive", "spaced_directive", "SpacedDirective"),
    Entry("SM010", "invalid-value", "invalid_value", "InvalidValue"),
    Entry("SM011", "placeholder-value", "placeholder_value", "PlaceholderValue"),
    Entry("SM101", "partition-rename", "partition_rename", "PartitionRename"),
    Entry("SM102", "unknown-partition", "unknown_partition", "UnknownPartition"),
    Entry("SM103", "partition-time-limit", "partition_time_limit", "PartitionTimeLimit"),
    Entry("SM104", "partition-unresolved", "partition_unresolved", "PartitionUnresolved"),
    Entry("SM201", "module-singularity", "module_singularity", "ModuleSingularity"),
    Entry("SM202", "module-purge", "module_purge", "ModulePurge"),
    Entry("SM203", "module-load-other", "module_load_other", "ModuleLoadOther"),
    Entry("SM204", "module-command", "module_command", "ModuleCommandRule"),
    Entry("SM205", "module-init", "module_init", "ModuleInit"),
    Entry("SM301", "ucx-fabric-variable", "ucx_fabric", "UcxFabric"),
    Entry("SM302", "nccl-fabric-variable", "nccl_fabric", "NcclFabric"),
    Entry("SM303", "nccl-debug-variable", "nccl_debug", "NcclDebug"),
    Entry("SM304", "openmpi-transport-variable", "openmpi_transport", "OpenmpiTransport"),
    Entry("SM401", "singularity-env", "singularity_env", "SingularityEnv"),
    Entry("SM402", "image-build-in-job", "image_build_in_job", "ImageBuildInJob"),
    Entry("SM403", "container-launch", "container_launch", "ContainerLaunch"),
    Entry("SM404", "pyxis-options", "pyxis_options", "PyxisOptions"),
    Entry("SM501", "gpus-over-capacity", "gpus_over_capacity", "GpusOverCapacity"),
    Entry("SM502", "cpus-over-capacity", "cpus_over_capacity", "CpusOverCapacity"),
    Entry("SM503", "memory-over-capacity", "memory_over_capacity", "MemoryOverCapacity"),
    Entry("SM504", "nv-without-gpu", "nv_without_gpu", "NvWithoutGpu"),
    Entry("SM505", "unknown-node", "unknown_node", "UnknownNode", "nodes"),
    Entry("SM506", "unknown-feature", "unknown_feature", "UnknownFeature", "features"),
    Entry("SM507", "unknown-gpu-type", "unknown_gpu_type", "UnknownGpuType", "gpu-types"),
    Entry("SM508", "too-many-nodes", "too_many_nodes", "TooManyNodes", "node-count"),
    Entry("SM509", "time-over-limit", "time_over_limit", "TimeOverLimit", "partition-limits"),
    Entry("SM510", "unknown-cluster", "unknown_cluster", "UnknownCluster", "clusters"),
    Entry("SM511", "unknown-qos", "unknown_qos", "UnknownQos", "accounting"),
    Entry("SM512", "unknown-account", "unknown_account", "UnknownAccount", "accounting"),
    Entry("SM601", "path-not-mounted", "path_not_mounted", "PathNotMounted"),
    Entry("SM602", "host-software", "host_software", "HostSoftware"),
    Entry("SM901", "shell-parse-error", "shell_parse_error", "ShellParseError", "shell-errors"),
    Entry("SM902", "python-parse-error", "python_parse_error", "PythonParseError", "python"),
    Entry("SM903", "body-not-analysed", "body_not_analysed", "BodyNotAnalysed"),
    Entry("SM904", "fix-withheld", "fix_withheld", "FixWithheld"),
    Entry("SM905", "non-utf8", "non_utf8", "NonUtf8", "not-utf8"),
    Entry("SM906", "sbatch-rejects", "sbatch_rejects", "SbatchRejects"),
    Entry("SM907", "python-escaped-script", "python_escaped_script", "PythonEscapedScript", "python"),
    Entry("SM908", "parser-limit", "parser_limit", "ParserLimit", "shell-errors"),
    Entry("SM909", "python-not-read", "python_not_read", "PythonNotRead", "python"),
    Entry("SM910", "unused-suppression", "unused_suppression", "UnusedSuppression"),
    Entry("SM911", "config-not-read", "config_not_read", "ConfigNotRead"),
    Entry("SM912", "unreachable-text", "unreachable_text", "UnreachableText", "shell-stops"),
)


def _python(ctx: Context) -> bool:
    return ctx.facts.python is not None


def _shell_errors(ctx: Context) -> bool:
    return any(u.shell is not None and u.shell.errors for u in ctx.facts.units)


# gate -> whether it holds for a script (its facts, its source) under a profile
GATES: dict[str, Callable[[Context], bool]] = {
    "python": _python,  # a Python launcher
    "shell-errors": _shell_errors,  # a region the bash parser could not read
    "shell-stops": lambda ctx: any(u.stop is not None for u in ctx.facts.units),  # read/shellstop.py
    "carriage-return": lambda ctx: b"\r" in ctx.source.data,
    "not-utf8": lambda ctx: not ctx.source.is_identity,
    # what the profile says of the target
    "accounting": lambda ctx: bool(ctx.profile.accounting),
    "clusters": lambda ctx: ctx.profile.accounting is not None or ctx.profile.target_clusters is not None,
    "features": lambda ctx: ctx.profile.target_features is not None,
    "gpu-types": lambda ctx: ctx.profile.gpu_types is not None,
    "nodes": lambda ctx: ctx.profile.target_nodes is not None,
    "node-count": lambda ctx: ctx.profile.node_count is not None or bool(ctx.profile.partition_limits),
    "partition-limits": lambda ctx: bool(ctx.profile.partition_limits),
}


def load(entry: Entry) -> type[Rule]:
    """The rule class ``entry`` names (its module imported on first use)."""
    module = importlib.import_module(f"{__package__}.{entry.module}")
    rule: type[Rule] = getattr(module, entry.cls)
    return rule


def applicable(entries: tuple[Entry, ...], ctx: Context) -> tuple[Entry, ...]:
    """The entries whose gate holds for this script and profile."""
    return tuple(e for e in entries if e.gate is None or GATES[e.gate](ctx))


def select_rules(select: Iterable[str] = (), ignore: Iterable[str] = ()) -> list[Entry]:
    """Rules whose code starts with a selected prefix and with no ignored prefix."""
    sel = [s.upper() for s in select]
    ign = [s.upper() for s in ignore]
    out = []
    for rule in INDEX:
        if sel and not any(rule.code.startswith(s) or rule.name == s.lower() for s in sel):
            continue
        if any(rule.code.startswith(s) or rule.name == s.lower() for s in ign):
            continue
        out.append(rule)
    return out
