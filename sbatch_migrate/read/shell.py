"""The bash front end: tree-sitter-bash parse tree -> commands, assignments, heredocs.

Every simple command is found wherever it stands (lists, pipelines, compound bodies,
functions, subshells, command substitutions, heredoc pipelines).  Words carry their
parse-byte span and, when the word is static, the value bash would pass after quote
removal.  Straight-line top-level assignments are propagated as constants so that
``SINGULARITY="singularity run --nv $SIF"; srun $SINGULARITY`` is seen as srun running
singularity.
"""

from __future__ import annotations

import os
from functools import cache

from ..record import NamedTuple, field, record

TYPE_CHECKING = False  # typing is not imported at run time (docs/design.md: a one-file run)
if TYPE_CHECKING:
    from typing import Any

    Node = Any  # tree_sitter.Node (untyped library)

# statements whose parent is one of these stand on their own (a "block")
BLOCK_PARENTS = frozenset(
    {
        "program",
        "compound_statement",
        "do_group",
        "if_statement",
        "elif_clause",
        "else_clause",
        "case_item",
        "subshell",
        "while_statement",
    }
)
CONDITIONAL = frozenset(
    {
        "if_statement",
        "elif_clause",
        "else_clause",
        "while_statement",
        "for_statement",
        "c_style_for_statement",
        "case_item",
        "function_definition",
        "subshell",
        "command_substitution",
        "process_substitution",
        "list",
        "pipeline",
        "negated_command",
        "compound_statement",
    }
)
UNKNOWN = object()  # a variable whose value cannot be known statically


@cache
def _language() -> Any:
    return _ts().Language(_bash_binding().language())


def _ts() -> Any:
    """tree-sitter itself: its compiled module (Language, Parser, Query, Node ...)."""
    return _binding("tree_sitter")


def _bash_binding() -> Any:
    """tree-sitter-bash's compiled grammar."""
    return _binding("tree_sitter_bash")


def _binding(package: str) -> Any:
    """The compiled module of a tree-sitter package (``<package>._binding``), loaded from
    where the package's own import would find it, without running the package: tree-sitter's
    imports ``typing`` (a tenth of a one-file run's start-up), tree-sitter-bash's
    ``importlib.resources`` (and with it ``tempfile``, ``zipfile``, ``shutil``: a quarter)
    only to offer its highlight queries.  Found and loaded with :mod:`importlib.machinery`
    alone (``importlib.util`` imports contextlib: 3% of a one-file run).  The module is
    registered under its own name, so that the package, if imported later (the workflow
    configs' grammars import tree-sitter), finds this one and not a second copy; the package
    is imported as usual if this does not work."""
    import importlib
    import sys
    from importlib.machinery import EXTENSION_SUFFIXES, ExtensionFileLoader, ModuleSpec, PathFinder

    name = f"{package}._binding"
    if name in sys.modules:
        return sys.modules[name]
    try:
        found = PathFinder.find_spec(package)  # finds, does not run it
        folders = list(found.submodule_search_locations or ()) if found else []
        for folder in folders:
            for suffix in EXTENSION_SUFFIXES:
                path = f"{folder}/_binding{suffix}"
                if os.path.isfile(path):
                    loader = ExtensionFileLoader(name, path)
                    spec = ModuleSpec(name, loader, origin=path)
                    spec.has_location = True
                    module = loader.create_module(spec)
                    module.__spec__, module.__loader__, module.__file__ = spec, loader, path
                    loader.exec_module(module)
                    sys.modules[name] = module
                    return module
    except (ImportError, OSError):
        pass
    return importlib.import_module(package)


@cache
def _parser() -> Any:
    return _ts().Parser(_language())


@cache
def _query() -> Any:
    return _ts().Query(
        _language(),
        "(command) @command (declaration_command) @declaration "
        "(variable_assignment) @assignment (heredoc_redirect) @heredoc "
        "(ERROR) @error (function_definition) @function",
    )


_CAPTURED = {
    "command": "command",
    "declaration_command": "declaration",
    "variable_assignment": "assignment",
    "heredoc_redirect": "heredoc",
    "ERROR": "error",
    "function_definition": "function",
}
ORDERED = ("function", "heredoc")  # the captures read in order; the others are sorted where read
_WALKED = 16 << 10  # a parse of up to this many bytes is walked while no query is compiled
_WALKS = 16  # and only so many: a longer run (bulk, pre-commit) compiles the query, faster per tree
_walks = 0


def captured(tree: Any, size: int) -> dict[str, list[Node]]:
    """The nodes :func:`_query` captures, by capture name; the lists :data:`ORDERED` in
    document order.
    Compiling the query costs about 5 ms whatever the script (tree-sitter analyses the
    grammar), many times the parse of a job script: a small tree is walked instead, until
    a larger one, or enough of them (bulk), make the query worth it (a test compares the
    two)."""
    global _walks
    _walks += 1
    if size > _WALKED or _walks > _WALKS or _query.cache_info().currsize:
        found = _ts().QueryCursor(_query()).captures(tree.root_node)
        for name in ORDERED:  # the query's order is its own: the walk's is the document's
            if name in found:
                found[name].sort(key=_document_order)
        return found
    return walk_captures(tree.root_node)


def _document_order(node: Node) -> tuple[int, int]:
    return node.start_byte, -node.end_byte


def walk_captures(root: Node) -> dict[str, list[Node]]:
    """:func:`captured` by a walk over the named nodes (anonymous nodes are tokens), in
    document order: by start, an enclosing node before what it holds."""
    out: dict[str, list[Node]] = {}
    stack = [root]
    while stack:
        n = stack.pop()
        if not n.end_byte:  # a query cursor never matches a node that ends where its range starts
            continue  # (zero-width at byte 0: a MISSING command before an error), nor what it holds
        name = _CAPTURED.get(n.type)
        if name is not None:
            out.setdefault(name, []).append(n)
        if n.named_child_count:
            stack.extend(reversed(n.named_children))
    return out


# nodes with the same span are handled outer first: a command before its assignments
_RANK = {"command": 0, "declaration": 1, "assignment": 2, "heredoc": 3, "error": 4}


def parse(data: bytes, ranges: tuple[int, int] | None = None, gaps: tuple[tuple[int, int], ...] = ()) -> Any:
    """Parse ``data``; with ``ranges`` only that byte span is read, less the ``gaps``
    (the escapes an unquoted heredoc's bash removes); offsets stay global."""
    if ranges is None:
        return _parser().parse(data)
    ts = _ts()
    Parser, Range = ts.Parser, ts.Range

    pieces, at = [], ranges[0]
    for gap_start, gap_end in (*gaps, (ranges[1], ranges[1])):
        if gap_start > at:
            pieces.append(Range(_point(data, at), _point(data, gap_start), at, gap_start))
        at = gap_end
    if not pieces:  # nothing left to read: an empty range, not the whole file
        pieces = [Range(_point(data, ranges[0]), _point(data, ranges[0]), ranges[0], ranges[0])]
    parser = Parser(_language())
    parser.included_ranges = pieces
    return parser.parse(data)


def heredoc_escapes(data: bytes, start: int, end: int) -> tuple[tuple[int, int], ...]:
    """What bash removes from an unquoted heredoc's body while writing it out: the
    backslash of ``\\$``, ``\\\\`` and ``\\```, and a backslash-newline whole.  The
    job script a driver writes is the body without these (and with its expansions)."""
    gaps = []
    i = data.find(b"\\", start, end)
    while i != -1 and i + 1 < end:
        nxt = data[i + 1 : i + 2]
        if nxt in (b"$", b"`", b"\\"):
            gaps.append((i, i + 1))
            i = data.find(b"\\", i + 2, end)
        elif nxt == b"\n":
            gaps.append((i, i + 2))
            i = data.find(b"\\", i + 2, end)
        else:
            i = data.find(b"\\", i + 1, end)
    return tuple(gaps)


def without(data: bytes, start: int, end: int, gaps: tuple[tuple[int, int], ...]) -> bytes:
    """``data[start:end]`` less the gaps."""
    out, at = [], start
    for gap_start, gap_end in gaps:
        out.append(data[at:gap_start])
        at = gap_end
    out.append(data[at:end])
    return b"".join(out)


def restored(offset: int, start: int, gaps: tuple[tuple[int, int], ...]) -> int:
    """The offset in ``data`` of ``offset`` in ``without(data, start, end, gaps)``."""
    at = start + offset
    for gap_start, gap_end in gaps:
        if gap_start >= at:
            break
        at += gap_end - gap_start
    return at


def _point(data: bytes, offset: int) -> Any:
    Point = _ts().Point

    row = data.count(b"\n", 0, offset)
    col = offset - (data.rfind(b"\n", 0, offset) + 1)
    return Point(row, col)


class Word(NamedTuple):
    start: int
    end: int
    text: str  # raw source text
    value: str | None  # static value after quote removal, None when not static
    node_type: str
    splits: bool  # an unquoted expansion: bash splits its value into words
    variables: tuple[str, ...] = ()  # variables the word refers to
    # not static, but static once unset variables take their defaults
    # (``${ROOT:-/work/u1/run}``, and variables assigned from such a word): a path the job
    # uses when the variable is not set
    fallback: str | None = None

    @property
    def is_literal(self) -> bool:
        """Static without depending on any variable: safe to edit in place."""
        return self.value is not None and not self.variables


class Arg(NamedTuple):
    """One word of a command's effective argv, after constant propagation."""

    value: str
    word: Word  # the word in this command that produced it
    direct: bool  # True: the value is written right here (word.is_literal)

    @property
    def known(self) -> bool:
        """The value is known statically (possibly through a variable)."""
        return self.word.value is not None


class Assignment(NamedTuple):
    name: str
    start: int  # span of NAME=VALUE
    end: int
    value: Word | None
    exported: bool
    keyword: str | None  # export / declare / local / readonly / None
    straight_line: bool  # top level, unconditional
    prefix: bool  # FOO=1 cmd: scoped to one command
    node: Node

    @property
    def value_text(self) -> str | None:
        return self.value.value if self.value is not None else ""


class Command(NamedTuple):
    start: int
    end: int
    name: Word | None
    args: tuple[Word, ...]
    env: tuple[Assignment, ...]
    argv: tuple[Arg, ...]  # effective argv after propagation (name included)
    resolved: bool  # every word of argv is known
    node: Node
    redirects: tuple[tuple[str, Word], ...] = ()  # file redirections: (operator, target)

    @property
    def context(self) -> tuple[str, ...]:
        """Ancestor node types, innermost first (if_statement, function_definition ...)."""
        return _context(self.node)

    @property
    def name_value(self) -> str | None:
        return self.argv[0].value if self.argv else None

    @property
    def words(self) -> tuple[Word, ...]:
        return ((self.name,) if self.name else ()) + self.args


class Heredoc(NamedTuple):
    start: int  # span of the body
    end: int
    delimiter: str
    expands: bool  # unquoted delimiter: bash expands $VAR in the body
    strip_tabs: bool
    command: Command | None  # the command fed by it (cat, sbatch, ...)
    statement: Node
    env: dict[str, object]


@record
class ShellFacts:
    commands: list[Command]
    assignments: list[Assignment]
    heredocs: list[Heredoc]
    errors: list[tuple[int, int]]  # spans the parser could not make sense of
    tree: Any
    functions: list[Node] = field(default_factory=list)  # function definitions
    # closing lines of heredocs that bash does not take as closing (see _overruns)
    heredoc_overruns: list[tuple[int, int]] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.errors


# ---------------------------------------------------------------------------------------
def _text(data: bytes, node: Node) -> str:
    return data[node.start_byte : node.end_byte].decode("utf-8", "replace")


def _unescape(raw: str, escapable: str | None = None) -> str:
    """Backslash removal: in a plain word every character can be escaped; inside double
    quotes only those in ``escapable``.  A backslash-newline is a line continuation."""
    if "\\" not in raw:
        return raw
    out = []
    i = 0
    while i < len(raw):
        c = raw[i]
        if c == "\\" and i + 1 < len(raw) and (escapable is None or raw[i + 1] in escapable):
            if raw[i + 1] != "\n":
                out.append(raw[i + 1])
            i += 2
            continue
        out.append(c)
        i += 1
    return "".join(out)


_DQUOTE_ESCAPABLE = '$`"\\\n'


_DEFAULT_OPS = (":-", "-", ":=", "=")


class _Evaluator:
    def __init__(self, data: bytes, env: dict[str, object]):
        self.data = data
        self.env = env
        self.defaults: dict[str, str] = {}  # variables' values when unset ones take their defaults

    def fallback(self, node: Node) -> str | None:
        """The word's value when every variable that is not known takes its default
        (``${V:-d}``, ``${V-d}``, ``${V:=d}``) or its own fallback; None when one has none."""
        t = node.type
        if t in ("word", "number", "raw_string", "ansi_c_string"):
            return self.value(node, [])
        if t in ("string", "concatenation"):
            parts = []
            for child in node.named_children if t == "string" else node.children:
                if child.type == "string_content":
                    parts.append(_unescape(_text(self.data, child), _DQUOTE_ESCAPABLE))
                    continue
                v = self.fallback(child)
                if v is None:
                    return None
                parts.append(v)
            return "".join(parts)
        if t == "simple_expansion":
            var = node.named_children[0] if node.named_children else None
            if var is None or var.type != "variable_name":
                return None
            name = _text(self.data, var)
            known = self.env.get(name, UNKNOWN)
            return known if isinstance(known, str) else self.defaults.get(name)
        if t == "expansion":
            kids = node.children
            names = [k for k in kids if k.type == "variable_name"]
            if len(names) != 1:
                return None
            name = _text(self.data, names[0])
            known = self.env.get(name, UNKNOWN)
            if isinstance(known, str):
                return known if node.child_count == 3 else None
            ops = [k for k in kids if k.type in _DEFAULT_OPS]
            if node.child_count == 3:
                return self.defaults.get(name)
            if len(ops) != 1:
                return None
            at = kids.index(ops[0])
            rest = [k for k in kids[at + 1 :] if k.type != "}"]
            parts = []
            for k in rest:
                v = self.fallback(k)
                if v is None:
                    return None
                parts.append(v)
            return "".join(parts)
        return None

    def lookup(self, name: str, refs: list[str]) -> str | None:
        refs.append(name)
        value = self.env.get(name, UNKNOWN)
        return value if isinstance(value, str) else None

    def value(self, node: Node, refs: list[str]) -> str | None:
        t = node.type
        if t in ("word", "number"):
            return _unescape(_text(self.data, node))
        if t == "raw_string":
            return _text(self.data, node)[1:-1]
        if t == "string":
            raw = _text(self.data, node)
            if "$" not in raw and "`" not in raw:  # no expansion: the text between the quotes
                return _unescape(raw[1:-1], _DQUOTE_ESCAPABLE)
            parts = []
            for child in node.named_children:
                if child.type == "string_content":
                    parts.append(_unescape(_text(self.data, child), _DQUOTE_ESCAPABLE))
                else:
                    v = self.value(child, refs)
                    if v is None:
                        return None
                    parts.append(v)
            return "".join(parts)
        if t == "concatenation":
            parts = []
            for child in node.children:
                v = self.value(child, refs)
                if v is None:
                    return None
                parts.append(v)
            return "".join(parts)
        if t == "simple_expansion":
            var = node.named_children[0] if node.named_children else None
            if var is not None and var.type == "variable_name":
                return self.lookup(_text(self.data, var), refs)
            return None
        if t == "expansion":
            kids = node.named_children
            if len(kids) == 1 and kids[0].type == "variable_name" and node.child_count == 3:
                return self.lookup(_text(self.data, kids[0]), refs)
            return None
        if t == "ansi_c_string":
            raw = _text(self.data, node)[2:-1]
            if "\\" in raw:
                return None
            return raw
        return None

    def word(self, node: Node) -> Word:
        t = node.type
        if t == "word" or t == "number":  # most words: plain text, no expansion
            start, end = node.start_byte, node.end_byte
            text = self.data[start:end].decode("utf-8", "replace")
            return Word(start, end, text, _unescape(text), t, False, ())
        refs: list[str] = []
        value = self.value(node, refs)
        splits = node.type in ("simple_expansion", "expansion") or (
            node.type == "concatenation" and any(c.type in ("simple_expansion", "expansion") for c in node.children)
        )
        return Word(
            node.start_byte,
            node.end_byte,
            _text(self.data, node),
            value,
            node.type,
            splits,
            tuple(refs),
            self.fallback(node) if value is None else None,
        )


def _context(node: Node) -> tuple[str, ...]:
    out = []
    parent = node.parent
    while parent is not None:
        out.append(parent.type)
        parent = parent.parent
    return tuple(out)


def _straight_line(node: Node) -> bool:
    parent = node.parent
    while parent is not None:
        if parent.type in CONDITIONAL:
            return False
        if parent.type == "program":
            return True
        parent = parent.parent
    return True


def _argv(cmd_words: list[Word]) -> tuple[tuple[Arg, ...], bool]:
    argv: list[Arg] = []
    resolved = True
    for w in cmd_words:
        if w.value is None:
            resolved = False
            argv.append(Arg(w.text, w, False))
            continue
        if w.splits:
            for piece in w.value.split():
                argv.append(Arg(piece, w, False))
        else:
            argv.append(Arg(w.value, w, w.is_literal))
    return tuple(argv), resolved


def analyse(
    data: bytes,
    env: dict[str, object] | None = None,
    span: tuple[int, int] | None = None,
    gaps: tuple[tuple[int, int], ...] = (),
) -> ShellFacts:
    """Parse bash and collect its facts.  ``env`` seeds constant propagation; ``span``
    limits the parse to one region (an embedded script) with offsets kept global, less
    the ``gaps`` (see :func:`heredoc_escapes`)."""
    tree = parse(data, span, gaps)
    captures = captured(tree, len(data) if span is None else span[1] - span[0])
    items: list[tuple[int, int, int, int, str, Node]] = []
    functions = captures.pop("function", [])
    for kind, nodes in captures.items():
        for n in nodes:
            # assignments are handled through their statement or command
            items.append((n.start_byte, -n.end_byte, _RANK[kind], n.id, kind, n))
    items.sort()
    errors = sorted({_region(n) for n in captures.get("error", [])} | {_region(n) for n in _missing(tree.root_node)})

    state: dict[str, object] = dict(env or {})
    ev = _Evaluator(data, state)
    commands: list[Command] = []
    assignments: list[Assignment] = []
    heredocs: list[Heredoc] = []
    by_node: dict[int, Command] = {}
    declared: set[int] = set()
    for *_, kind, node in items:
        if kind == "command":
            env_words: list[Assignment] = []
            name_node = node.child_by_field_name("name")
            args: list[Word] = []
            for child in node.children:
                if child.type == "variable_assignment":
                    env_words.append(_assignment(ev, child, None, prefix=True))
                elif child.type == "command_name":
                    break
            args = [ev.word(child) for child in node.children_by_field_name("argument")]
            name = None
            if name_node is not None and name_node.named_children:
                name = ev.word(name_node.named_children[0])
            words = ([name] if name else []) + args
            argv, resolved = _argv(words)
            cmd = Command(
                node.start_byte,
                node.end_byte,
                name,
                tuple(args),
                tuple(env_words),
                argv,
                resolved,
                node,
                _redirects(ev, node),
            )
            commands.append(cmd)
            by_node[node.id] = cmd
            for a in env_words:
                declared.add(a.node.id)
        elif kind == "declaration":
            keyword = node.children[0].type if node.children else None
            for child in node.named_children:
                if child.type == "variable_assignment":
                    a = _assignment(ev, child, keyword, prefix=False)
                    assignments.append(a)
                    declared.add(child.id)
                    _bind(ev, a)
                elif child.type == "variable_name" and keyword == "export":
                    assignments.append(
                        Assignment(
                            _text(data, child),
                            child.start_byte,
                            child.end_byte,
                            None,
                            True,
                            keyword,
                            _straight_line(child),
                            False,
                            child,
                        )
                    )
        elif kind == "assignment":
            parent_type = node.parent.type if node.parent is not None else ""
            if node.id in declared or parent_type in ("command", "declaration_command"):
                continue
            a = _assignment(ev, node, None, prefix=False)
            assignments.append(a)
            _bind(ev, a)
        elif kind == "heredoc":
            heredocs.append(_heredoc(data, node, by_node, dict(state)))
    limit = span[1] if span else len(data)
    overruns, misread = _overruns(data, captures.get("heredoc", []), limit)
    if overruns or misread:  # bash reads on to the end, or to a later line: not code as parsed
        errors = sorted(set(errors) | {(_region(node)[0], limit) for node, _ in overruns} | set(misread))
    return ShellFacts(commands, assignments, heredocs, errors, tree, functions, [line for _, line in overruns])


def _redirects(ev: _Evaluator, node: Node) -> tuple[tuple[str, Word], ...]:
    """The file redirections of a command (``> /work/u1/out.log``, ``2>> err``, ``< in``):
    operator and target word."""
    parent = node.parent
    if parent is None or parent.type != "redirected_statement":
        return ()
    out = []
    for child in parent.children:
        if child.type != "file_redirect":
            continue
        dest = child.child_by_field_name("destination")
        if dest is None:
            continue
        op = next((c.type for c in child.children if not c.is_named), ">")
        out.append((op, ev.word(dest)))
    return tuple(out)


# what follows a delimiter on a line a user may have meant to end the heredoc with (`EOF
# && next`, `EOF;`, `EOF `, `EOF\r`): an overrun (bash reads on as heredoc text), said so
_AFTER_DELIMITER = frozenset(b" \t\r;&|#<>()")


def _overruns(
    data: bytes, heredocs: list[Node], end: int
) -> tuple[list[tuple[Node, tuple[int, int]]], list[tuple[int, int]]]:
    """Heredocs that tree-sitter-bash ends at a line holding more than the delimiter
    (``EOF && next``, ``EOF ``, ``EOF\\r``, and ``SHIM_PATH=...`` for the delimiter
    ``SH``: it ends a heredoc at a line that starts with the delimiter).  bash does not end
    it there (the delimiter must stand alone on its line).

    Returns the overruns (each with the span of that line: to bash, the rest of the script
    is heredoc text), and, for a line that is another word (``SHIM_PATH=...``), the span
    from the statement to the line that is the delimiter alone, where bash ends the
    heredoc: the parse tree does not read that span as bash does.  (A line that is another
    word with no such line after it is an overrun.)"""
    overruns, misread = [], []
    for node in heredocs:
        strip_tabs = any(c.type == "<<-" for c in node.children)
        for child in node.children:
            if child.type == "heredoc_end" and child.end_byte < end and data[child.end_byte] != 0x0A:
                nl = data.find(b"\n", child.end_byte, end)
                closed = None
                if data[child.end_byte] not in _AFTER_DELIMITER:  # the line is another word
                    closed = _closing_line(data, data[child.start_byte : child.end_byte], nl, end, strip_tabs)
                if closed is None:
                    overruns.append((node, (child.start_byte, nl if nl != -1 else end)))
                else:
                    misread.append((_region(node)[0], closed))
    return overruns, misread


def _closing_line(data: bytes, delimiter: bytes, at: int, end: int, strip_tabs: bool) -> int | None:
    """The end of the first line after offset ``at`` that is ``delimiter`` alone (less
    leading tabs for ``<<-``), as bash ends a heredoc; None: there is none before ``end``."""
    while at != -1 and at < end:
        start = at + 1
        nl = data.find(b"\n", start, end)
        line = data[start : nl if nl != -1 else end]
        if (line.lstrip(b"\t") if strip_tabs else line) == delimiter:
            return nl if nl != -1 else end
        at = nl
    return None


def _missing(root: Node) -> list[Node]:
    if not root.has_error:
        return []
    out = []
    stack = [root]
    while stack:
        n = stack.pop()
        if n.is_missing:
            out.append(n)
        elif n.has_error:
            stack.extend(n.children)
    return out


def _region(node: Node) -> tuple[int, int]:
    """What the parser could not make sense of: the whole top-level statement holding
    the error (an ERROR node at top level stands for itself)."""
    top = node
    while top.parent is not None and top.parent.parent is not None:
        top = top.parent
    return top.start_byte, max(top.end_byte, node.end_byte)


def _assignment(ev: _Evaluator, node: Node, keyword: str | None, prefix: bool) -> Assignment:
    name_node = node.child_by_field_name("name")
    value_node = node.child_by_field_name("value")
    name = _text(ev.data, name_node) if name_node is not None else ""
    value = ev.word(value_node) if value_node is not None else None
    if value_node is not None and value_node.type == "array":
        value = Word(value_node.start_byte, value_node.end_byte, _text(ev.data, value_node), None, "array", False, ())
    if value is None and value_node is None:
        value = Word(node.end_byte, node.end_byte, "", "", "empty", False, ())
    return Assignment(
        name,
        node.start_byte,
        node.end_byte,
        value,
        keyword == "export",
        keyword,
        _straight_line(node) and not prefix,
        prefix,
        node,
    )


def _bind(ev: _Evaluator, a: Assignment) -> None:
    state = ev.env
    if a.straight_line and a.keyword != "local" and a.value is not None and a.value.value is not None:
        state[a.name] = a.value.value
        ev.defaults.pop(a.name, None)
    else:
        state[a.name] = UNKNOWN
        if a.straight_line and a.keyword != "local" and a.value is not None and a.value.fallback is not None:
            ev.defaults[a.name] = a.value.fallback
        else:
            ev.defaults.pop(a.name, None)


def _heredoc(data: bytes, node: Node, by_node: dict[int, Command], env: dict[str, object]) -> Heredoc:
    start_node = body = None
    strip = False
    for child in node.children:
        if child.type == "heredoc_start":
            start_node = child
        elif child.type == "heredoc_body":
            body = child
        elif child.type == "<<-":
            strip = True
    delim_raw = _text(data, start_node) if start_node is not None else ""
    quoted = any(q in delim_raw for q in "'\"\\")
    statement = node.parent
    command = None
    if statement is not None and statement.type == "redirected_statement":
        body_node = statement.child_by_field_name("body")
        if body_node is not None:
            command = by_node.get(body_node.id)
    if body is not None:
        bstart, bend = body.start_byte, body.end_byte
    else:
        # empty body: it starts after the line holding the redirect
        nl = data.find(b"\n", node.start_byte)
        bstart = bend = nl + 1 if nl != -1 else len(data)
    return Heredoc(bstart, bend, delim_raw.strip("'\"\\"), not quoted, strip, command, statement, env)
