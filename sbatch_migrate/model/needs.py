"""What a job script needs from the pod: host paths, images, binds, GPUs, fabric, modules.

Read off the parsed facts (constants resolved: ``SIF=/work/…; srun singularity run --nv
$SIF`` names the image).  Used by the ``path-not-mounted`` rule and by ``inventory``.
"""

from __future__ import annotations

import re

from ..profile import Profile
from ..read.shell import Word
from ..record import NamedTuple
from .context import Context
from .launch import split_bind, split_list
from .modules import module_commands, module_name
from .variables import assignments

TYPE_CHECKING = False  # typing is not imported at run time (docs/design.md: a one-file run)
if TYPE_CHECKING:
    from typing import Any, Literal

    Access = Literal["read", "write"]
BIND_VARIABLES = ("SINGULARITY_BINDPATH", "APPTAINER_BINDPATH", "SINGULARITY_BIND", "APPTAINER_BIND")
_DIRECTIVE_PATHS = {"chdir": "read", "output": "write", "error": "write", "input": "read"}


class PathUse(NamedTuple):
    path: str
    kind: str  # image, bind, directive --output, cd, argument
    access: Access
    start: int
    end: int


def prefix(path: str) -> str:
    """Group by the first two components: /work/TWCC_cntr, /work/u1234567, /home/u1234567."""
    parts = [p for p in path.split("/") if p]
    return "/" + "/".join(parts[:2])


def under_roots(path: str, profile: Profile) -> bool:
    return any(path == r or path.startswith(r.rstrip("/") + "/") for r in profile.storage_roots)


def path_uses(ctx: Context) -> list[PathUse]:
    """Absolute host paths under the profile's storage roots that the job uses."""
    found: list[PathUse] = ctx.cached("path-uses", lambda: list(_path_uses(ctx)))
    return found


def _path_uses(ctx: Context):  # type: ignore[no-untyped-def]
    profile = ctx.profile
    for unit in ctx.units():
        for use in unit.directives.options:
            access = _DIRECTIVE_PATHS.get(use.name) if use.kind in ("SBATCH", "SLURM") else None
            if access and use.in_block and use.value and use.value.startswith("/") and "$" not in use.value:
                path = use.value if access == "read" else use.value.rsplit("/", 1)[0] or "/"
                if under_roots(path, profile):
                    yield PathUse(path, f"#SBATCH {use.written}", access, use.start, use.end)  # type: ignore[arg-type]
        if unit.shell is None:
            continue
        for a in unit.shell.assignments:
            if a.name in BIND_VARIABLES and a.value is not None:
                text = a.value.value if a.value.value is not None else a.value.fallback
                for spec in split_list(text if text is not None else a.value.text.strip("\"'")):
                    yield from _bind(spec, a.name, a.start, a.end, profile)
        for cmd in unit.shell.commands:
            for op, target in cmd.redirects:
                yield from _word_use(target, f"redirect {op}", profile, op)
            call = ctx.container(cmd)
            if call is not None:
                img = call.image
                if img is not None and img.known and img.value.startswith("/") and under_roots(img.value, profile):
                    yield PathUse(img.value, "image", "read", cmd.start, cmd.end)
                for spec in call.binds:
                    yield from _bind(spec, "bind", cmd.start, cmd.end, profile)
                continue
            if not cmd.argv:
                continue
            head = cmd.argv[0]
            if head.value == "cd" and len(cmd.argv) > 1:
                yield from _word_use(cmd.argv[1].word, "cd", profile, "dir")
                continue
            if head.known and head.value.startswith("/") and under_roots(head.value, profile):
                # a program run from a host path: `/work/u2/local/bin/cmake`, `$PYTHON` set to one
                yield PathUse(head.value, "command", "read", head.word.start, head.word.end)
            elif not head.known and head.word.fallback and under_roots(head.word.fallback, profile):
                yield PathUse(head.word.fallback, "command", "read", head.word.start, head.word.end)
            for arg in cmd.argv[1:]:
                value = arg.value
                if arg.known and value.startswith("/") and "$" not in value and under_roots(value, profile):
                    yield PathUse(value, "argument", "write", arg.word.start, arg.word.end)
                elif not arg.known:
                    yield from _word_use(arg.word, "argument", profile, "file")


def _word_use(word: Word, kind: str, profile: Profile, role: str):  # type: ignore[no-untyped-def]
    """The path a word names for the job: its value; else its value once unset variables
    take their defaults (``${ROOT:-/work/u1/run}``); else the folder before its first
    variable (``/work/u1/$RUN/x`` is in ``/work/u1``).  ``role``: ``dir`` (cd), ``file``
    (an argument), or a redirection operator (the file's folder must exist)."""
    access: Access = "read" if role in ("dir", "<") else "write"
    whole = role in ("dir", "<", "file")
    for value, said in ((word.value, kind), (word.fallback, f"{kind}, when its variables are not set")):
        if value is None:
            continue
        if value.startswith("/") and "$" not in value and under_roots(value, profile):
            yield PathUse(value if whole else value.rsplit("/", 1)[0] or "/", said, access, word.start, word.end)
        return
    folder = _static_folder(word.text, profile, whole=role == "dir")
    if folder is not None:
        yield PathUse(folder, kind, access, word.start, word.end)


def _static_folder(raw: str, profile: Profile, whole: bool = False) -> str | None:
    """The folder a word names whatever its variables hold: `/work/u1/out_${i}.log` is in
    `/work/u1` for every value of `i` (and `cd /work/u1/$X` goes below `/work/u1`: with
    ``whole``, the static part of a folder's own name counts too).  Only a folder strictly
    below a storage root (not `/work` itself, which `/work/$USER/x` is in without saying
    where)."""
    quoted = raw.startswith('"')  # "/work/u1/$x": the same folder, no globbing inside
    text = raw[1:] if quoted else raw
    stops = '$`"\\' if quoted else "$`\"'\\*?[{~"
    end = next((i for i, c in enumerate(text) if c in stops), len(text))
    folder = text[:end].rsplit("/", 1)[0]
    if not folder.startswith("/") or not under_roots(folder, profile):
        return None
    if any(folder.rstrip("/") == root.rstrip("/") for root in profile.storage_roots):
        return None
    return folder


_DEFAULTED = re.compile(r"\$\{\w+:?[-=]([^}$]*)\}(.*)")


def _bind(spec: str, kind: str, start: int, end: int, profile: Profile):  # type: ignore[no-untyped-def]
    parts = split_bind(spec)
    src = parts[0]
    access = "read" if len(parts) > 2 and "ro" in parts[2].split(",") else "write"
    default = _DEFAULTED.fullmatch(src)
    if default is not None:  # ${SCRATCH:-/work/u7/s}: that folder when SCRATCH is not set
        src = default.group(1) + default.group(2)
        kind = f"{kind}, when its variable is not set"
    if src.startswith("/") and "$" not in src:
        if under_roots(src, profile):
            yield PathUse(src, kind, access, start, end)  # type: ignore[arg-type]
        return
    folder = _static_folder(src, profile, whole=True)
    if folder is not None:  # /work/u1/$SLURM_JOB_ID: somewhere below /work/u1
        yield PathUse(folder, kind, access, start, end)  # type: ignore[arg-type]


def covered(path: str, profile: Profile) -> bool:
    return any(m.covers(path) for m in profile.mounts)


def exists_in_pod(path: str, profile: Profile) -> bool:
    """Mounted, or a folder the mounts sit in (`/work` when `/work/users` is mounted:
    `-B /work:/work` and `cd /work` work; what the job then reads there is checked on its
    own)."""
    return covered(path, profile) or any(m.path.startswith(path.rstrip("/") + "/") for m in profile.mounts)


def script_needs(ctx: Context) -> dict[str, Any]:
    """One script's needs, as plain data (inventory records)."""
    source = ctx.source
    images: list[str] = []
    unresolved: list[dict[str, Any]] = []
    binds: list[str] = []
    for unit in ctx.units():
        if unit.shell is None:
            continue
        for cmd in unit.shell.commands:
            call = ctx.container(cmd)
            if call is None or call.subcommand in ("", "build"):
                continue
            binds.extend(call.binds)
            img = call.image
            if img is None:
                continue
            if img.known and "$" not in img.value:
                images.append(img.value)
            else:
                unresolved.append({"from": img.word.text, "line": source.position(cmd.start).line})
        for a in unit.shell.assignments:
            if a.name in BIND_VARIABLES and a.value is not None and a.value.value:
                binds.extend(s for s in a.value.value.split(",") if s)
    paths: dict[str, dict[str, Any]] = {}
    for use in path_uses(ctx):
        key = prefix(use.path)
        entry = paths.setdefault(key, {"access": "read", "mounted": covered(use.path, ctx.profile)})
        if use.access == "write":
            entry["access"] = "write"
        entry["mounted"] = entry["mounted"] and covered(use.path, ctx.profile)
    main = ctx.facts.units[0]
    job = main.job
    partitions = [n for u in main.directives.partitions if u.value for n in u.value.split(",")]
    fabric = sorted(
        {a.name for a in assignments(ctx) if _fabric_code(a.name, ctx.profile) in ("SM301", "SM302", "SM304")}
    )
    modules = [
        a.value
        for mc in module_commands(ctx)
        if mc.action in ("load", "swap")
        for a in (mc.names[-1:] if mc.action == "swap" else mc.names)
        if module_name(a) not in ctx.profile.remove_modules
    ]
    return {
        "images": sorted(set(images)),
        "unresolved_images": unresolved,
        "binds": sorted(set(binds)),
        "paths": paths,
        "partitions": partitions,
        "nodes": job.nodes,
        "gpus_per_node": job.gpus_per_node,
        "cpus_per_node": job.cpus_per_node,
        "fabric": fabric,
        "modules": sorted(set(modules)),
    }


def _fabric_code(name: str, profile: Profile) -> str | None:
    rule = next((v for v in profile.variables if v.matches(name)), None)
    return rule.code if rule else None
