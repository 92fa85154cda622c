"""Reading `module` / `ml` commands (Environment Modules and Lmod)."""

from __future__ import annotations

import re
from collections.abc import Iterator

from ..read.shell import Arg, Command
from ..record import NamedTuple
from .context import Context
from .facts import Unit

LOAD = {"load", "add", "try-load", "try-add", "load-any"}
UNLOAD = {"unload", "rm", "del", "remove"}
SWAP = {"swap", "switch"}
INFO = {
    "list",
    "avail",
    "av",
    "show",
    "display",
    "spider",
    "help",
    "whatis",
    "keyword",
    "key",
    "is-loaded",
    "is-avail",
    "savelist",
    "describe",
    "overview",
    "tablelist",
    "--version",
    "-v",
}
ML_SUBCOMMANDS = (
    LOAD | UNLOAD | SWAP | INFO | {"purge", "use", "unuse", "save", "restore", "reset", "refresh", "update", "initadd"}
)


class ModuleCommand(NamedTuple):
    command: Command
    unit: Unit
    tool: str  # module | ml
    action: str  # load, unload, purge, swap, use, info, other
    names: tuple[Arg, ...]  # module names the action is about
    dynamic: bool  # some word is not known statically


_VERSION = re.compile(r"(?:[vV]?\d[\w.+~-]*|default|latest|stable)")
_DOTTED = re.compile(r"\d\.\d")  # conda24.5.0_py3.9: a version by another name
_VERSION_SUFFIX = re.compile(r"^(?P<name>[A-Za-z][A-Za-z_+]*?)[-_@]v?\d[\d.]*(?:[-_.+~]?[A-Za-z]*\d*)?$")


def package_of(name: str) -> str:
    """The package a module name loads, lower case: the last component of a hierarchical
    name that is not a version (``apps/singularity/3.5.0``, ``libs/singularity``,
    ``Singularity/default`` and ``singularity-3.2.0`` are ``singularity``;
    ``apps/singularity/madym/4.23.0`` is ``madym``, an application that merely sits under a
    folder named after the runtime)."""
    parts = [p for p in name.split("/") if p]
    while len(parts) > 1 and (
        _VERSION.fullmatch(parts[-1]) or (_DOTTED.search(parts[-1]) and not _VERSION_SUFFIX.match(parts[-1]))
    ):
        parts.pop()
    if not parts:
        return name.lower()
    last = parts[-1]
    m = _VERSION_SUFFIX.match(last)
    return (m.group("name") if m else last).lower()


def module_name(arg: Arg) -> str:
    return package_of(arg.value)


def module_commands(ctx: Context) -> list[ModuleCommand]:
    """Every module/ml command (computed once per script)."""
    found: list[ModuleCommand] = ctx.cached("module-commands", lambda: list(_module_commands(ctx)))
    return found


def _module_commands(ctx: Context) -> Iterator[ModuleCommand]:
    for unit in ctx.units():
        if unit.shell is None:
            continue
        for cmd in unit.shell.commands:
            if cmd.name is None or not cmd.name.is_literal or cmd.name.value not in ("module", "ml"):
                continue
            tool = cmd.argv[0].value
            if tool == "module":
                rest = [a for a in cmd.argv[1:] if not a.value.startswith("-")]
            else:  # ml: "-name" unloads, "--opt" is an option
                rest = [a for a in cmd.argv[1:] if not a.value.startswith("--")]
            dynamic = not cmd.resolved
            if tool == "ml":
                if not rest:
                    yield ModuleCommand(cmd, unit, tool, "info", (), dynamic)
                    continue
                first = rest[0].value
                if first not in ML_SUBCOMMANDS:
                    loads = tuple(a for a in rest if not a.value.startswith("-"))
                    unloads = tuple(a for a in rest if a.value.startswith("-"))
                    if loads:
                        yield ModuleCommand(cmd, unit, tool, "load", loads, dynamic)
                    if unloads:
                        yield ModuleCommand(cmd, unit, tool, "unload", unloads, dynamic)
                    continue
            if not rest:
                yield ModuleCommand(cmd, unit, tool, "other", (), dynamic)
                continue
            sub = rest[0].value
            names = tuple(a for a in rest[1:] if not a.value.startswith("-"))
            if sub in LOAD:
                action = "load"
            elif sub in UNLOAD:
                action = "unload"
            elif sub == "purge":
                action = "purge"
            elif sub in SWAP:
                action = "swap"
            elif sub in ("use", "unuse"):
                action = "use"
            elif sub in INFO:
                action = "info"
            else:
                action = "other"
            yield ModuleCommand(cmd, unit, tool, action, names, dynamic)


def removable(mc: ModuleCommand, remove: frozenset[str]) -> tuple[list[Arg], list[Arg]]:
    """(names the profile removes, the other names)."""
    gone = [a for a in mc.names if a.direct and module_name(a) in remove]
    kept = [a for a in mc.names if a not in gone]
    return gone, kept


def starts_module_system(path: str, patterns: tuple[str, ...] | list[str]) -> bool:
    """Is ``path`` (a sourced file) one of the profile's module-system init files
    (``[modules] init``: a folder ending in ``/``, an absolute file, or a fragment)?"""
    for pattern in patterns:
        if pattern.endswith("/"):
            if path.startswith(pattern):
                return True
        elif pattern.startswith("/"):
            if path == pattern:
                return True
        elif pattern in path:
            return True
    return False
