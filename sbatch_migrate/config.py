"""Project configuration: ``[tool.sbatch-migrate]`` in the nearest ``pyproject.toml``, or a
``.sbatch-migrate.toml`` (same keys at top level), found by walking up from a folder.

Keys: ``profile`` (name or path), ``partition-map`` (table OLD = NEW), ``select`` and
``ignore`` (rule codes or prefixes), ``per-file-ignores`` (glob = [codes]), and
``extra-rules`` (profile fragments merged into the profile: partition maps, flagged
variables).  Paths are relative to the file that names them.  A mistake is reported with
the file, the key and what is expected.
"""

from __future__ import annotations

import fnmatch
import os

from .profile import Profile, ProfileError, extend, parse_partition_map
from .profile import load as load_profile
from .record import field, record

TYPE_CHECKING = False  # typing is not imported at run time (docs/design.md: a one-file run)
if TYPE_CHECKING:
    from pathlib import Path
    from typing import Any

    from .checks.index import Entry

KEYS = ("profile", "partition-map", "select", "ignore", "per-file-ignores", "extra-rules", "unsafe-fixes")


class ConfigError(ValueError):
    pass


@record(frozen=True)
class Config:
    path: str | None = None  # the file it came from; None: no configuration
    profile: str | None = None
    partition_map: dict[str, str] = field(default_factory=dict)
    select: tuple[str, ...] = ()
    ignore: tuple[str, ...] = ()
    per_file_ignores: tuple[tuple[str, tuple[str, ...]], ...] = ()
    extra_rules: tuple[str, ...] = ()
    unsafe_fixes: bool = False  # also apply fixes that may change what a job asks for

    @property
    def root(self) -> Path:
        from pathlib import Path

        return Path(self.path).parent if self.path is not None else Path.cwd()

    def ignores_for(self, file: str) -> tuple[str, ...]:
        """Codes ignored for ``file`` by ``per-file-ignores`` (globs relative to the config)."""
        if not self.per_file_ignores:
            return ()
        from pathlib import Path

        try:
            rel = Path(os.path.abspath(file)).relative_to(self.root.resolve()).as_posix()
        except ValueError:
            rel = Path(file).as_posix()
        out: list[str] = []
        for pattern, codes in self.per_file_ignores:
            if fnmatch.fnmatch(rel, pattern) or fnmatch.fnmatch(Path(rel).name, pattern):
                out.extend(codes)
        return tuple(out)


def discover(start: str | os.PathLike[str]) -> Config:
    """The configuration that applies in folder ``start``: the nearest one above it.
    Walked with os.path (pathlib and tomllib are imported once a file is there: a run
    in a tree without one, pre-commit's on a script repository, needs neither)."""
    folder = os.path.realpath(start)
    if os.path.isfile(folder):
        folder = os.path.dirname(folder)
    while True:
        dotfile = os.path.join(folder, ".sbatch-migrate.toml")
        if os.path.isfile(dotfile):
            return load(dotfile)
        pyproject = os.path.join(folder, "pyproject.toml")
        if os.path.isfile(pyproject):
            try:
                with open(pyproject, "rb") as fh:
                    raw = fh.read()
            except OSError as exc:
                raise ConfigError(f"{pyproject}: cannot read: {exc.strerror or exc}") from None
            doc = _pyproject_doc(pyproject, raw)
            if doc is not None and "sbatch-migrate" in doc.get("tool", {}):
                return _from_table(doc["tool"]["sbatch-migrate"], pyproject, "[tool.sbatch-migrate] ")
        parent = os.path.dirname(folder)
        if parent == folder:
            return Config()
        folder = parent


def _pyproject_doc(path: str, raw: bytes) -> dict[str, Any] | None:
    """The parsed ``pyproject.toml``, or None when it cannot hold a ``[tool.sbatch-migrate]``
    table (:func:`_may_hold_table`): a project's pyproject.toml, which most script
    repositories and checkouts have, is not ours to judge, and tomllib with what it
    imports is a quarter of a one-file run."""
    if not _may_hold_table(raw):
        return None
    import tomllib

    try:
        return tomllib.loads(raw.decode("utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{path}: not valid TOML: {exc}") from None


# Where the table's key can be, written without escapes: in a dotted key or table header
# after `tool.` (bare or quoted, spaces around the dot), among the keys of a `[tool]` table,
# or in an inline table `tool = {...}` (one line); a BOM may open the file.
_AFTER_TOOL = rb"tool['\"]?[ \t]*\.[ \t]*['\"]?sbatch-migrate"
_TOOL_TABLE = rb"(?m)^(?:\xef\xbb\xbf)?[ \t]*\[\[?[ \t]*['\"]?tool['\"]?[ \t]*\]"
_TOOL_INLINE = rb"(?m)^(?:\xef\xbb\xbf)?[ \t]*['\"]?tool['\"]?[ \t]*=[^\n]*sbatch-migrate"


def _may_hold_table(raw: bytes) -> bool:
    """Whether a ``pyproject.toml`` can define ``tool.sbatch-migrate``.  A TOML key is
    written bare, in quotes, or with escapes (a backslash) in double quotes: a file with a
    backslash may, one without the name cannot; one with the name may only where it can be
    that key (:data:`_AFTER_TOOL`, :data:`_TOOL_TABLE`, :data:`_TOOL_INLINE`), not as the
    project's own name, a console script's or a dependency's (this repository's
    pyproject.toml names it twice and was parsed on every run: 44M of 183M instructions)."""
    if b"\\" in raw:
        return True
    if b"sbatch-migrate" not in raw:
        return False
    import re

    return any(re.search(pattern, raw) for pattern in (_AFTER_TOOL, _TOOL_TABLE, _TOOL_INLINE))


def load(path: str) -> Config:
    """The configuration in file ``path`` (a ``pyproject.toml`` or a ``.sbatch-migrate.toml``).
    Paths stay strings: pathlib, with the ``urllib.parse`` and ``ipaddress`` it imports, was
    7% of a one-file run in a project whose pyproject.toml configures the tool (13.7M of
    189.8M instructions)."""
    import tomllib

    try:
        with open(path, encoding="utf-8") as fh:
            raw = fh.read()
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read: {exc.strerror or exc}") from None
    except UnicodeDecodeError as exc:
        raise ConfigError(f"{path}: not valid TOML: {exc}") from None
    try:
        doc = tomllib.loads(raw)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: not valid TOML: {exc}") from None
    if os.path.basename(path) == "pyproject.toml":
        doc = doc.get("tool", {}).get("sbatch-migrate", {})
        return _from_table(doc, path, "[tool.sbatch-migrate] ")
    return _from_table(doc, path, "")


def _from_table(table: Any, path: str, prefix: str) -> Config:
    def err(key: str, expected: str) -> ConfigError:
        return ConfigError(f"{path}: {prefix}{key}: expected {expected}")

    if not isinstance(table, dict):
        raise ConfigError(f"{path}: {prefix.strip() or 'the file'}: expected a table")
    unknown = sorted(set(table) - set(KEYS))
    if unknown:
        raise ConfigError(f"{path}: {prefix}unknown key {unknown[0]!r} (known: {', '.join(KEYS)})")

    def codes(key: str) -> tuple[str, ...]:
        value = table.get(key, [])
        if not isinstance(value, list) or not all(isinstance(v, str) and v for v in value):
            raise err(key, 'a list of rule codes or prefixes, e.g. ["SM3", "SM101"]')
        return tuple(v.upper() for v in value)

    profile = table.get("profile")
    if profile is not None and not isinstance(profile, str):
        raise err("profile", "a profile name or a path to a .toml file")
    if isinstance(profile, str) and (profile.endswith(".toml") or "/" in profile):
        profile = os.path.realpath(os.path.join(os.path.dirname(path), profile))
    pmap = table.get("partition-map", {})
    if not isinstance(pmap, dict) or not all(isinstance(v, str) and v for v in pmap.values()):
        raise err("partition-map", 'a table of partition names, e.g. { gp1d = "long" }')
    pfi = table.get("per-file-ignores", {})
    if not isinstance(pfi, dict):
        raise err("per-file-ignores", 'a table of glob = [codes], e.g. { "legacy/*.sh" = ["SM301"] }')
    per_file = []
    for pattern, value in pfi.items():
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise err(f"per-file-ignores.{pattern!r}", "a list of rule codes")
        per_file.append((pattern, tuple(v.upper() for v in value)))
    unsafe = table.get("unsafe-fixes", False)
    if not isinstance(unsafe, bool):
        raise err("unsafe-fixes", "true or false")
    extra = table.get("extra-rules", [])
    if not isinstance(extra, list) or not all(isinstance(v, str) for v in extra):
        raise err("extra-rules", "a list of paths to .toml rule files")
    return Config(
        path=path,
        profile=profile,
        partition_map=dict(pmap),
        select=codes("select"),
        ignore=codes("ignore"),
        per_file_ignores=tuple(per_file),
        extra_rules=tuple(os.path.realpath(os.path.join(os.path.dirname(path), e)) for e in extra),
        unsafe_fixes=unsafe,
    )


def check_codes(codes: tuple[str, ...], where: str) -> None:
    """Every code or prefix must name at least one rule."""
    if not codes:
        return
    from .checks.index import INDEX

    for code in codes:
        if not any(r.code.startswith(code) or r.name == code.lower() for r in INDEX):
            raise ProfileError(f"{where}: {code!r} matches no rule (see `sbatch-migrate rules`)")


def split_codes(values: tuple[str, ...]) -> list[str]:
    """Codes given as repeated and comma-separated options."""
    return [v.strip() for item in values for v in item.split(",") if v.strip()]


class Settings:
    """Profile and rule selection for a run: configuration file, then command line."""

    def __init__(self, profile: Profile, config: Config, select: tuple[str, ...], ignore: tuple[str, ...]):
        self.profile = profile
        self.config = config
        self.select = select
        self.ignore = ignore
        self._cache: dict[tuple[str, ...], list[Entry]] = {}

    @classmethod
    def resolve(
        cls,
        files: tuple[str, ...],
        profile: str | None,
        partition_map: tuple[str, ...],
        select: tuple[str, ...],
        ignore: tuple[str, ...],
        config_path: str | None,
        isolated: bool,
    ) -> Settings:
        if config_path:
            config = load(config_path)
        elif isolated:
            config = Config()
        else:
            first = next((f for f in files if f != "-"), None)
            config = discover((os.path.dirname(first) or ".") if first else os.getcwd())
        return cls.from_config(config, profile, partition_map, select, ignore)

    @classmethod
    def from_config(
        cls,
        config: Config,
        profile: str | None,
        partition_map: tuple[str, ...],
        select: tuple[str, ...],
        ignore: tuple[str, ...],
    ) -> Settings:
        """The configuration file's settings, then the command line's over them."""
        prof = load_profile(profile or config.profile)
        for extra in config.extra_rules:
            prof = extend(prof, extra)
        mapping = {**config.partition_map, **parse_partition_map(partition_map)}
        if mapping:
            prof = prof.with_partition_map(mapping)
        sel = tuple(s.upper() for s in split_codes(select)) or config.select
        ign = config.ignore + tuple(s.upper() for s in split_codes(ignore))
        where = str(config.path) if config.path else "command line"
        check_codes(sel, f"{where}: select")
        check_codes(ign, f"{where}: ignore")
        for pattern, codes in config.per_file_ignores:
            check_codes(codes, f"{where}: per-file-ignores {pattern!r}")
        return cls(prof, config, sel, ign)

    def rules_for(self, path: str) -> list[Entry]:
        extra = self.config.ignores_for(path) if path != "-" else ()
        if extra not in self._cache:
            from .checks.index import select_rules

            self._cache[extra] = select_rules(self.select, self.ignore + extra)
        return self._cache[extra]
