"""Where in a Python file the front end must read, decided with CPython's own parser.

libcst, which the front end reads with (:mod:`.pyfront`), costs about 10 ms per kB: a
37 kB library module that really runs ``sbatch`` (submitit's own ``core.py``) took 400 ms,
45 times what :func:`ast.parse` takes.  Yet the visitor acts on few nodes: the calls it
knows (``os.system``, ``subprocess.run``, submitit's and the launchers' calls, named
through the imports' aliases), ``os.environ[...] =`` assignments, and the values of the
names bound once that argv lists are built from.  Each of those is a self-contained piece
of text (a call, an assignment statement, an expression), so libcst reads only them, each
as a module of its own, and their spans are moved back by where the piece starts.

What the visitor knows beyond a node, the plan gives it: the aliases in force where the
node is (the imports before it in the file, in order, as the visitor meets them) and the
names bound exactly once in the whole file.  Where the file has an ``#SBATCH``, each
string that holds one is a piece too (an embedded job script).  A file Python does not
parse (libcst then says where and why), or one whose pieces do not read back as what the
plan says they are, is read whole, as before.
"""

from __future__ import annotations

import ast
import re

from ..record import field, record
from .pyfront import LAUNCHER_CLASSES, SHELL_FUNCS, SUBMITIT_CLASSES, SUBPROCESS

# every name the visitor acts on is spelt out in the file: a call's name or the import that
# aliases it (``os.system``, ``from subprocess import run as r``), ``os.environ``, submitit's
# calls; a file holding none of these words has no facts
_WORDS: tuple[bytes, ...] = (b"subprocess", b"system", b"popen", b"environ", b"putenv", b"update_parameters")
_WORDS += tuple(name.encode() for name in SUBMITIT_CLASSES)
_WORDS += tuple(name.encode() for name in LAUNCHER_CLASSES)
_IMPORT_LINE = re.compile(rb"[ \t]*(?:from|import)[ \t]")
_LINE_BREAK = re.compile(rb"\r\n?|\n")  # as CPython's tokenizer splits lines (a lone CR too)


@record(frozen=True)
class Region:
    """A piece the visitor acts on, read with ``aliases`` in force: ``data[start:end]``
    is one call (kind ``call``), one assignment statement (``statement``), or one
    expression holding a string with an ``#SBATCH`` (``expression``: the string, or the
    ``.format`` call it is the template of)."""

    start: int
    end: int
    aliases: dict[str, str]
    kind: str = "call"


@record(frozen=True)
class Plan:
    """What to read: the regions in file order, outermost only (a call inside another
    is read with it), and the names bound once to a list, tuple or binary operation
    (``cmd = ["sbatch"] + opts``), each with its value's span."""

    regions: tuple[Region, ...] = ()
    lists: dict[str, tuple[int, int]] = field(default_factory=dict)


def spelt(data: bytes) -> bool:
    """A word of _WORDS where it can name what the visitor acts on: followed by a call, an
    index or an attribute (``os.system(``, ``os.environ[``, ``subprocess.run``), before
    ``as`` (an alias in an import spread over lines), or on an import line.  Each
    occurrence is looked at (they are few): a pattern of all the forms would be tried at
    every byte, 12 ms on a 150 kB module."""
    for word in _WORDS:
        at = data.find(word)
        while at != -1:
            end = at + len(word)
            rest = data[end : end + 40].lstrip(b" \t")
            if rest[:1] in (b"(", b".", b"[") or rest.startswith(b"as ") or rest.startswith(b"as\t"):
                return True
            line = data.rfind(b"\n", 0, at) + 1
            if _IMPORT_LINE.match(data, line):
                return True
            at = data.find(word, end)
    return False


def wanted(name: str) -> bool:
    """A call the visitor acts on (see its ``visit_Call``), by its dotted name."""
    short = name.rsplit(".", 1)[-1]
    return (
        name in SHELL_FUNCS
        or (name.startswith("subprocess.") and short in SUBPROCESS)
        or name in ("os.environ.update", "os.putenv")
        or short == "update_parameters"
        or short in SUBMITIT_CLASSES
        or short in LAUNCHER_CLASSES
    )


def dotted(node: ast.AST, aliases: dict[str, str]) -> str:
    """A call's name as the visitor spells it: its first name through the aliases."""
    if isinstance(node, ast.Name):
        return aliases.get(node.id, node.id)
    if isinstance(node, ast.Attribute):
        base = dotted(node.value, aliases)
        return f"{base}.{node.attr}" if base else ""
    return ""


def _through(name: str, aliases: dict[str, str]) -> str:
    head, dot, rest = name.partition(".")
    return aliases.get(head, head) + dot + rest


def _imported(node: ast.Import | ast.ImportFrom, aliases: dict[str, str]) -> None:
    """The aliases an import adds, as the visitor's ``visit_Import``/``visit_ImportFrom``."""
    if isinstance(node, ast.Import):
        for a in node.names:
            if a.asname:
                aliases[a.asname] = _through(a.name, aliases)
    elif node.module and node.names[0].name != "*":
        module = _through(node.module, aliases)
        for a in node.names:
            aliases[a.asname or a.name] = f"{module}.{a.name}"


class _Offsets:
    """(line, column) of the parser (columns in UTF-8 bytes) to byte offsets in the file."""

    def __init__(self, data: bytes):
        self.starts = [0] + [m.end() for m in _LINE_BREAK.finditer(data)]

    def start(self, node: ast.expr | ast.stmt) -> int:
        return self.starts[node.lineno - 1] + node.col_offset

    def end(self, node: ast.expr | ast.stmt) -> int:
        assert node.end_lineno is not None and node.end_col_offset is not None
        return self.starts[node.end_lineno - 1] + node.end_col_offset


def _bound_once(nodes: list[ast.AST]) -> dict[str, ast.expr]:
    """The names bound exactly once in the file, to a list or tuple literal or a binary
    operation, counted as the visitor's ``visit_Module`` counts them."""
    bound: dict[str, ast.expr] = {}
    times: dict[str, int] = {}
    for n in nodes:
        if isinstance(n, ast.Assign):
            for target in n.targets:
                if isinstance(target, ast.Name):
                    times[target.id] = times.get(target.id, 0) + 1
                    bound[target.id] = n.value
        elif isinstance(n, (ast.AugAssign, ast.AnnAssign)) and isinstance(n.target, ast.Name):
            times[n.target.id] = times.get(n.target.id, 0) + 2  # changed in place: not known
        elif isinstance(n, (ast.For, ast.AsyncFor, ast.comprehension)) and isinstance(n.target, ast.Name):
            times[n.target.id] = times.get(n.target.id, 0) + 2
    return {k: v for k, v in bound.items() if times.get(k) == 1 and isinstance(v, (ast.List, ast.Tuple, ast.BinOp))}


def plan(data: bytes) -> Plan | None:
    """The plan for reading ``data``; None: read it whole (not UTF-8, or not Python); a
    plan without regions: nothing in it to read."""
    scripts = b"#SBATCH" in data  # a string may embed a job script
    if not scripts and not spelt(data):
        # no call or assignment the visitor acts on is spelt here: nothing to read, and no
        # need to parse (a 150 kB lexer module listing 'subprocess' and 'putenv' among its
        # keyword strings cost 60-100 ms to parse)
        return Plan()
    try:
        tree = ast.parse(data.decode("utf-8"))
    except (SyntaxError, ValueError, UnicodeDecodeError, RecursionError, MemoryError):
        return None
    offsets = _Offsets(data)
    nodes = list(ast.walk(tree))
    # the imports and the candidate nodes in file order: the aliases the visitor has at a
    # node are those of the imports before it (an import is a statement: never inside one)
    events: list[tuple[int, int, ast.AST]] = []
    parts: set[int] = set()  # the literal parts of f-strings: read with their f-string
    for node in nodes:
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            events.append((offsets.start(node), 0, node))
        elif isinstance(node, ast.Call):
            events.append((offsets.start(node), 1, node))
        elif isinstance(node, ast.Assign) and any(isinstance(t, ast.Subscript) for t in node.targets):
            events.append((offsets.start(node), 1, node))
        elif scripts and isinstance(node, ast.JoinedStr):
            parts.update(id(v) for v in node.values)
            parts.update(id(v.format_spec) for v in node.values if isinstance(v, ast.FormattedValue) and v.format_spec)
            events.append((offsets.start(node), 1, node))
        elif scripts and isinstance(node, ast.Constant) and isinstance(node.value, str):
            events.append((offsets.start(node), 1, node))
    events.sort(key=lambda e: (e[0], e[1]))
    aliases: dict[str, str] = {}
    found: list[Region] = []
    for start, _, node in events:
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            _imported(node, aliases)
        elif isinstance(node, ast.Call):
            func = node.func
            if wanted(dotted(func, aliases)):
                found.append(Region(start, offsets.end(node), dict(aliases)))
            elif (
                scripts
                and isinstance(func, ast.Attribute)
                and func.attr == "format"
                and isinstance(func.value, ast.Constant)
                and isinstance(func.value.value, str)
                and b"#SBATCH" in data[offsets.start(func.value) : offsets.end(func.value)]
            ):
                # a template: the visitor marks its string as the call is visited
                found.append(Region(start, offsets.end(node), dict(aliases), "expression"))
        elif isinstance(node, ast.Assign):
            targets = [t for t in node.targets if isinstance(t, ast.Subscript)]
            if any(dotted(t.value, aliases) == "os.environ" for t in targets):
                found.append(Region(start, offsets.end(node), dict(aliases), "statement"))
        elif isinstance(node, (ast.JoinedStr, ast.Constant)) and id(node) not in parts:
            end = offsets.end(node)
            if b"#SBATCH" in data[start:end]:
                found.append(Region(start, end, dict(aliases), "expression"))
    found.sort(key=lambda r: (r.start, -r.end))
    regions: list[Region] = []
    for r in found:
        if regions and r.start < regions[-1].end:
            continue  # inside the one before: read with it
        regions.append(r)
    if not regions:
        return Plan()
    lists = {name: (offsets.start(v), offsets.end(v)) for name, v in _bound_once(nodes).items()}
    return Plan(tuple(regions), lists)
