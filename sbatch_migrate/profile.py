"""Rule profiles: what a site migrates from and to, as data (``rules/*.toml``).

A profile says which partitions map to which NodeSet partitions, which modules go, which
environment variables to flag and why, and the capacity of the target NodeSet.  Every
key is validated; a mistake is reported with the file, the key and what is expected.
"""

from __future__ import annotations

import fnmatch
import os
import re
from functools import cached_property

from .record import field, record, replace

TYPE_CHECKING = False  # typing is not imported at run time (docs/design.md: a one-file run)
if TYPE_CHECKING:
    from typing import Any

DEFAULT_PROFILE = "twcc-to-slinky"


class ProfileError(ValueError):
    pass


@record(frozen=True)
class VariableRule:
    patterns: tuple[str, ...]
    code: str
    why: str
    rewrite: tuple[tuple[str, str], ...] = ()  # (variable, new value) pairs the fix sets

    def matches(self, name: str) -> bool:
        return self._regex.match(name) is not None

    @cached_property
    def _regex(self) -> re.Pattern[str]:
        return re.compile("|".join(f"(?:{fnmatch.translate(p)})" for p in self.patterns))


@record(frozen=True)
class Mount:
    """A PersistentVolumeClaim mounted into the NodeSet and LoginSet pods."""

    claim: str
    path: str
    read_only: bool = False

    def covers(self, path: str) -> bool:
        return path == self.path or path.startswith(self.path.rstrip("/") + "/")


@record(frozen=True)
class PartitionLimits:
    """A target partition's limits (``[target] partitions``; from its snapshot)."""

    max_time: str | None = None  # MaxTime as Slurm prints it (None: UNLIMITED)
    max_nodes: int | None = None  # MaxNodes (None: UNLIMITED)
    default_time: str | None = None  # DefaultTime (None: MaxTime is the default)


@record(frozen=True)
class Profile:
    name: str
    description: str
    partition_map: dict[str, str]
    partition_targets: frozenset[str]
    implicit_time: dict[str, str]
    add_time: bool
    remove_modules: frozenset[str]
    remove_purge: bool
    module_init: tuple[str, ...]
    variables: tuple[VariableRule, ...]
    rename_singularity_env: bool
    nodeset: str
    gpus_per_node: int
    cpus_per_node: int
    memory_per_node_mb: int
    mounts: tuple[Mount, ...] = ()
    storage_roots: tuple[str, ...] = ()  # host paths under these must be mounted in the pod
    slurmd_image: str = "your-registry/slurmd-apptainer:25.11-ubuntu24.04"
    login_image: str = "your-registry/login-apptainer:25.11-ubuntu24.04"
    slurm_version: str = "25.11"  # the target's Slurm release: its option tables apply
    gres_types: frozenset[str] = frozenset({"gpu"})  # GRES names the target has (GresTypes)
    pyxis: bool = False  # the target's NodeSets run Pyxis/enroot (srun --container-image ...)
    host_software: tuple[str, ...] = ()  # the old hosts' software trees (glob patterns)
    host_software_present: tuple[str, ...] = ()  # of those, what the pod has
    # the target's inventory, when the profile knows it (profile init from a snapshot):
    # None = not known (the rules that need it stay silent)
    target_nodes: frozenset[str] | None = None  # node names (-w, -x)
    target_features: frozenset[str] | None = None  # node features (--constraint)
    gpu_types: frozenset[str] | None = None  # typed GPU GRES (--gres=gpu:TYPE:N); empty: untyped only
    node_count: int | None = None  # nodes of the NodeSet's partition (--nodes)
    partition_limits: dict[str, PartitionLimits] = field(default_factory=dict)  # MaxTime, MaxNodes
    default_partition: str | None = None  # where a job naming none runs (None: the NodeSet's)
    enforce_part_limits: bool = False  # EnforcePartLimits=ALL/ANY: sbatch refuses a job over them
    accounting: bool | None = None  # the target runs slurmdbd (None: not known)
    accounting_enforce: frozenset[str] = frozenset()  # AccountingStorageEnforce words (qos, associations ...)
    target_clusters: frozenset[str] | None = None  # what -M/--clusters may name (sacctmgr)
    target_qos: frozenset[str] | None = None  # QOS names (sacctmgr show qos)
    target_accounts: frozenset[str] | None = None  # accounts (sacctmgr show account)
    path: str = "<builtin>"
    # what the digest is made of: the profile file, then each addition (a rule file, a
    # partition map), each hashed with the digest before it
    digest_parts: tuple[bytes, ...] = field(default=(), compare=False, repr=False)

    @cached_property
    def digest(self) -> str:
        """A sha256 of what made this profile: bulk runs key their cache with it
        (computed when first asked for: a one-file run does not load hashlib)."""
        import hashlib

        value = ""
        for i, part in enumerate(self.digest_parts):
            value = hashlib.sha256(value.encode() + part if i else part).hexdigest()
        return value

    def with_partition_map(self, extra: dict[str, str]) -> Profile:
        mapping = {**self.partition_map, **extra}
        # the digest keys cached results: another mapping is another profile
        added = "".join(f"\n{old}={new}" for old, new in sorted(extra.items()))
        return replace(
            self,
            partition_map=mapping,
            partition_targets=self.partition_targets | frozenset(extra.values()),
            digest_parts=(*self.digest_parts, added.encode()) if extra else self.digest_parts,
        )

    def enforces(self, what: str) -> bool:
        """Whether slurmctld refuses an unknown account (``associations``) or QOS (``qos``):
        ``limits``, ``qos`` and ``safe`` set ``associations`` too (slurm.conf(5))."""
        words = self.accounting_enforce
        if what == "associations":
            return bool(words & {"associations", "limits", "qos", "safe", "all"})
        return what in words or "all" in words

    def target_of(self, partition: str) -> str | None:
        if partition in self.partition_map:
            return self.partition_map[partition]
        if partition in self.partition_targets:
            return partition
        return None


def memory_mb(text: str) -> int:
    """Slurm memory size (default unit MB; K/M/G/T suffixes) in MB."""
    t = text.strip().upper()
    units = {"K": 1 / 1024, "M": 1, "G": 1024, "T": 1024 * 1024}
    factor = 1.0
    if t and t[-1] in units:
        factor = units[t[-1]]
        t = t[:-1]
    return int(float(t) * factor)


def load(name_or_path: str | None = None) -> Profile:
    """Load a profile by file path, or by name from the profiles shipped with the tool."""
    if name_or_path is None:
        name_or_path = DEFAULT_PROFILE
    named = name_or_path and "/" not in name_or_path and not name_or_path.endswith(".toml")
    if named and not os.path.exists(name_or_path):
        # a name, not a path: a shipped profile (no pathlib: a one-file run does not need it)
        ref = os.path.join(_builtin_dir(), f"{name_or_path}.toml")
        if not os.path.isfile(ref):
            raise ProfileError(f"no profile named {name_or_path!r} (give a path to a .toml file)")
        with open(ref, "rb") as fh:
            raw = fh.read()
        return parse(raw, f"<builtin>/{name_or_path}.toml", _parsed_snapshot(ref, raw))
    from pathlib import Path

    path = Path(name_or_path)
    if path.suffix == ".toml" or path.exists():
        try:
            raw = path.read_bytes()
        except OSError as exc:
            raise ProfileError(f"{path}: cannot read profile: {exc.strerror or exc}") from None
        label = str(path)
    else:
        ref = os.path.join(_builtin_dir(), f"{name_or_path}.toml")
        if not os.path.isfile(ref):
            raise ProfileError(f"no profile named {name_or_path!r} (give a path to a .toml file)")
        with open(ref, "rb") as fh:
            raw = fh.read()
        label = f"<builtin>/{name_or_path}.toml"
    return parse(raw, label)


def _builtin_dir() -> str:
    """The shipped profiles: ``rules/`` of a checkout, or the installed package data
    (``sbatch_migrate/profiles``; a wheel installs files, never a zip)."""
    here = os.path.dirname(os.path.realpath(__file__))
    checkout = os.path.join(os.path.dirname(here), "rules")
    if os.path.isfile(os.path.join(checkout, f"{DEFAULT_PROFILE}.toml")):
        return checkout
    return os.path.join(here, "profiles")


SNAPSHOT = ".py"  # beside a shipped profile NAME.toml: NAME.toml.py, its parsed snapshot


def _parsed_snapshot(ref: str, raw: bytes) -> dict[str, Any] | None:
    """The parsed document of the shipped profile ``ref`` from its snapshot beside it
    (``scripts/profile_snapshots.py`` writes it), when the snapshot was made from exactly
    these bytes; else None (the TOML is parsed).  The snapshot is a module (``SOURCE``, the
    TOML text; ``DOC``, its document) whose compiled form Python keeps, so a one-file run
    needs no TOML parser (tomllib and what it imports: 40% of its instructions) and no
    JSON parser (3%).  Only the shipped profiles' folder is read this way, never a profile
    a user names."""
    import sys
    from importlib.machinery import SourceFileLoader

    path = ref + SNAPSHOT
    if not os.path.isfile(path):
        return None
    loader = SourceFileLoader("sbatch_migrate._profile_snapshot", path)
    module = type(sys)(loader.name)
    module.__file__ = path
    try:
        loader.exec_module(module)
        source, doc = module.SOURCE, module.DOC
        if source == raw.decode("utf-8") and isinstance(doc, dict):
            return doc
    except Exception:  # not one (broken, or not ours): the TOML is the profile
        pass
    return None


def parse(raw: bytes, label: str, doc: dict[str, Any] | None = None) -> Profile:
    """The profile in ``raw`` (TOML; ``doc``: its parsed document, when known)."""
    if doc is None:
        import tomllib

        try:
            doc = tomllib.loads(raw.decode("utf-8"))
        except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
            raise ProfileError(f"{label}: not valid TOML: {exc}") from None
    r = _Reader(doc, label)
    parts = r.table("partitions")
    mapping = _checked_map(r.str_map(parts, "partitions.map"), f"{label}: [partitions] map")
    targets = frozenset(r.str_list(parts, "partitions.targets", default=[])) | frozenset(mapping.values())
    implicit = r.str_map(parts, "partitions.implicit_time", default={})
    mods = r.table("modules")
    rules = _variable_rules(r, r.table("variables", default={}))
    app = r.table("apptainer", default={})
    ns = r.table("nodeset")
    storage = r.table("storage", default={})
    mounts = []
    for i, entry in enumerate(r.list_of_tables(storage, "storage.mounts", default=[])):
        key = f"storage.mounts[{i}]"
        mounts.append(
            Mount(
                r.string(entry, f"{key}.claim"),
                r.string(entry, f"{key}.path"),
                r.boolean(entry, f"{key}.read_only", default=False),
            )
        )
    try:
        mem = memory_mb(r.string(ns, "nodeset.memory_per_node"))
    except ValueError:
        raise ProfileError(f'{label}: nodeset.memory_per_node: expected a size such as "720G"') from None
    target = r.table("target", default={})
    slurm_version = _release(r, target)
    host = r.table("host", default={})
    return Profile(
        name=r.string(doc, "name"),
        description=r.string(doc, "description", default=""),
        partition_map=mapping,
        partition_targets=targets,
        implicit_time=implicit,
        add_time=r.boolean(parts, "partitions.add_time", default=False),
        remove_modules=frozenset(r.str_list(mods, "modules.remove")),
        remove_purge=r.boolean(mods, "modules.remove_purge", default=True),
        module_init=tuple(r.str_list(mods, "modules.init", default=[])),
        variables=rules,
        rename_singularity_env=r.boolean(app, "apptainer.rename_env", default=False),
        nodeset=r.string(ns, "nodeset.name"),
        gpus_per_node=r.integer(ns, "nodeset.gpus_per_node"),
        cpus_per_node=r.integer(ns, "nodeset.cpus_per_node"),
        memory_per_node_mb=mem,
        mounts=tuple(mounts),
        storage_roots=tuple(r.str_list(storage, "storage.roots", default=[])),
        slurmd_image=r.string(ns, "nodeset.slurmd_image", default="your-registry/slurmd-apptainer:25.11-ubuntu24.04"),
        login_image=r.string(ns, "nodeset.login_image", default="your-registry/login-apptainer:25.11-ubuntu24.04"),
        slurm_version=slurm_version,
        gres_types=frozenset(r.str_list(target, "target.gres_types", default=["gpu"])),
        pyxis=r.boolean(target, "target.pyxis", default=False),
        host_software=tuple(r.str_list(host, "host.software", default=[])),
        host_software_present=tuple(r.str_list(host, "host.present", default=[])),
        target_nodes=_node_names(r, target),
        target_features=frozenset(r.str_list(target, "target.features")) if "features" in target else None,
        gpu_types=frozenset(r.str_list(target, "target.gpu_types")) if "gpu_types" in target else None,
        node_count=r.integer(target, "target.node_count") if "node_count" in target else None,
        partition_limits=_partition_limits(r, target),
        default_partition=r.string(target, "target.default_partition") if "default_partition" in target else None,
        enforce_part_limits=r.boolean(target, "target.enforce_part_limits", default=False),
        accounting=r.boolean(target, "target.accounting", default=False) if "accounting" in target else None,
        accounting_enforce=frozenset(r.str_list(target, "target.accounting_enforce", default=[])),
        target_clusters=_names(r, target, "clusters"),
        target_qos=_names(r, target, "qos"),
        target_accounts=_names(r, target, "accounts"),
        path=label,
        digest_parts=(raw,),
    )


def _names(r: _Reader, target: dict[str, Any], key: str) -> frozenset[str] | None:
    return frozenset(r.str_list(target, f"target.{key}")) if key in target else None


def _partition_limits(r: _Reader, target: dict[str, Any]) -> dict[str, PartitionLimits]:
    """``[target] partitions = { slinky = { max_time = "2-00:00:00", max_nodes = 2 } }``
    (and ``default_time``)."""
    from .model.timelimit import seconds

    out = {}
    for name, entry in r.table_of_tables(target, "target.partitions").items():
        key = f"target.partitions.{name}"
        times = {}
        for field_name in ("max_time", "default_time"):
            value = r.string(entry, f"{key}.{field_name}") if field_name in entry else None
            if value is not None and seconds(value) is None:
                raise ProfileError(f'{r.label}: {key}.{field_name}: {value!r} is not a time limit (e.g. "2-00:00:00")')
            times[field_name] = value
        max_nodes = r.integer(entry, f"{key}.max_nodes") if "max_nodes" in entry else None
        out[name] = PartitionLimits(times["max_time"], max_nodes, times["default_time"])
    return out


def _node_names(r: _Reader, target: dict[str, Any]) -> frozenset[str] | None:
    """``[target] nodes``: names or host lists (``slinky-[0-7]``), expanded."""
    if "nodes" not in target:
        return None
    from .model.hostlist import expand

    names: set[str] = set()
    for item in r.str_list(target, "target.nodes"):
        expanded = expand(item)
        if expanded is None:
            raise ProfileError(f"{r.label}: target.nodes: {item!r} is not a host list")
        names.update(expanded)
    return frozenset(names)


def _release(r: _Reader, target: dict[str, Any]) -> str:
    """``[target] slurm_version``: a release there are option tables for."""
    from .read.options import DEFAULT_RELEASE, release_of, releases

    given = r.string(target, "target.slurm_version", default=DEFAULT_RELEASE)
    found = release_of(given)
    if found is None:
        known = ", ".join(releases())
        raise ProfileError(f"{r.label}: target.slurm_version: no option tables for {given!r} (known: {known})")
    return found


def _variable_rules(r: _Reader, fabric: dict[str, Any]) -> tuple[VariableRule, ...]:
    rules = []
    for i, entry in enumerate(r.list_of_tables(fabric, "variables.flag", default=[])):
        key = f"variables.flag[{i}]"
        pats = entry.get("match")
        if isinstance(pats, str):
            pats = [pats]
        if not isinstance(pats, list) or not pats or not all(isinstance(p, str) for p in pats):
            raise ProfileError(f"{r.label}: {key}.match: expected a string or a list of strings")
        code = r.string(entry, f"{key}.code")
        if code not in ("SM301", "SM302", "SM303", "SM304"):
            raise ProfileError(f"{r.label}: {key}.code: expected one of SM301, SM302, SM303, SM304")
        rewrite = r.str_map(entry, f"{key}.set", default={})
        rules.append(VariableRule(tuple(pats), code, r.string(entry, f"{key}.why"), tuple(sorted(rewrite.items()))))
    return tuple(rules)


class _Reader:
    def __init__(self, doc: dict[str, Any], label: str):
        self.doc = doc
        self.label = label

    def _err(self, key: str, expected: str) -> ProfileError:
        return ProfileError(f"{self.label}: {key}: expected {expected}")

    def _get(self, table: dict[str, Any], key: str, default: Any) -> Any:
        leaf = key.rsplit(".", 1)[-1]
        if leaf not in table:
            if default is _MISSING:
                raise ProfileError(f"{self.label}: missing key {key}")
            return default
        return table[leaf]

    def table(self, key: str, default: Any = None) -> dict[str, Any]:
        value = self._get(self.doc, key, _MISSING if default is None else default)
        if not isinstance(value, dict):
            raise self._err(key, "a table")
        return value

    def string(self, table: dict[str, Any], key: str, default: Any = None) -> str:
        value = self._get(table, key, _MISSING if default is None else default)
        if not isinstance(value, str):
            raise self._err(key, "a string")
        return value

    def integer(self, table: dict[str, Any], key: str) -> int:
        value = self._get(table, key, _MISSING)
        if not isinstance(value, int) or isinstance(value, bool) or value < 0:
            raise self._err(key, "a non-negative integer")
        return value

    def boolean(self, table: dict[str, Any], key: str, default: bool) -> bool:
        value = self._get(table, key, default)
        if not isinstance(value, bool):
            raise self._err(key, "true or false")
        return value

    def str_list(self, table: dict[str, Any], key: str, default: Any = None) -> list[str]:
        value = self._get(table, key, _MISSING if default is None else default)
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise self._err(key, "a list of strings")
        return value

    def str_map(self, table: dict[str, Any], key: str, default: Any = None) -> dict[str, str]:
        value = self._get(table, key, _MISSING if default is None else default)
        if not isinstance(value, dict) or not all(isinstance(v, str) for v in value.values()):
            raise self._err(key, "a table of strings")
        return dict(value)

    def list_of_tables(self, table: dict[str, Any], key: str, default: Any = None) -> list[dict[str, Any]]:
        value = self._get(table, key, _MISSING if default is None else default)
        if not isinstance(value, list) or not all(isinstance(v, dict) for v in value):
            raise self._err(key, "an array of tables ([[...]])")
        return value

    def table_of_tables(self, table: dict[str, Any], key: str) -> dict[str, dict[str, Any]]:
        value = self._get(table, key, {})
        if not isinstance(value, dict) or not all(isinstance(v, dict) for v in value.values()):
            raise self._err(key, "a table of tables (name = { ... })")
        return value


_MISSING = object()


# what a partition name may hold here: Slurm itself splits names at whitespace (slurm.conf)
# and commas (a list in -p); the rename writes the name into a directive or a command line,
# where a quote, `#`, `;`, `$` or a backslash would change what the line means
_PARTITION_NAME = re.compile(r"[A-Za-z0-9_.+@%-]+")


def partition_name_problem(name: str) -> str | None:
    """Why ``name`` cannot be a partition name the tool writes into a script (None: it can)."""
    if _PARTITION_NAME.fullmatch(name):
        return None
    return (
        f"{name!r} is not a partition name (letters, digits and . _ - + @ % only: no spaces, commas, "
        "quotes or shell characters)"
    )


def parse_partition_map(items: tuple[str, ...] | list[str]) -> dict[str, str]:
    """``OLD=NEW`` pairs from the command line."""
    out = {}
    for item in items:
        old, sep, new = item.partition("=")
        if not sep or not old.strip() or not new.strip():
            raise ProfileError(f"--partition-map {item!r}: expected OLD=NEW, e.g. gp1d=long")
        for name in (old.strip(), new.strip()):
            if (why := partition_name_problem(name)) is not None:
                raise ProfileError(f"--partition-map {item!r}: {why}")
        out[old.strip()] = new.strip()
    return out


def _checked_map(mapping: dict[str, str], where: str) -> dict[str, str]:
    for old, new in mapping.items():
        for name in (old, new):
            if (why := partition_name_problem(name)) is not None:
                raise ProfileError(f"{where}: {old} = {new!r}: {why}")
    return mapping


def extend(profile: Profile, path: str) -> Profile:
    """Merge a rule file into a profile: ``[partitions]`` map, targets and implicit_time,
    and ``[[variables.flag]]`` entries (checked before the profile's own)."""
    import tomllib

    try:
        with open(path, "rb") as fh:
            raw = fh.read()
        doc = tomllib.loads(raw.decode("utf-8"))
    except OSError as exc:
        raise ProfileError(f"{path}: cannot read rule file: {exc.strerror or exc}") from None
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise ProfileError(f"{path}: not valid TOML: {exc}") from None
    r = _Reader(doc, path)
    unknown = sorted(set(doc) - {"partitions", "variables"})
    if unknown:
        raise ProfileError(f"{path}: unknown key {unknown[0]!r} (a rule file holds [partitions] and [variables])")
    parts = r.table("partitions", default={})
    mapping = _checked_map(r.str_map(parts, "partitions.map", default={}), f"{path}: [partitions] map")
    targets = frozenset(r.str_list(parts, "partitions.targets", default=[])) | frozenset(mapping.values())
    implicit = r.str_map(parts, "partitions.implicit_time", default={})
    extra = _variable_rules(r, r.table("variables", default={}))
    return replace(
        profile,
        partition_map={**profile.partition_map, **mapping},
        partition_targets=profile.partition_targets | targets,
        implicit_time={**profile.implicit_time, **implicit},
        variables=extra + profile.variables,
        digest_parts=(*profile.digest_parts, raw),
    )
