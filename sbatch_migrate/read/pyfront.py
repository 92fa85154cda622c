"""The Python front end (libcst): launchers and Python batch scripts.

Finds, with byte spans in the file:

- shell command strings: ``os.system("…")``, ``os.popen("…")``,
  ``subprocess.run("…", shell=True)``, submitit's ``slurm_setup=[...]`` lines;
- argv lists of ``subprocess.run/call/check_call/check_output/Popen([...])`` that run
  ``srun``/``sbatch``/``salloc``, and the partition they name;
- submitit partitions: ``slurm_partition=`` / ``partition=`` in ``update_parameters``,
  ``SlurmExecutor``/``AutoExecutor`` calls;
- string literals that embed a job script (``#SBATCH`` lines), f-strings and ``.format``
  templates included (their ``{…}`` parts are interpolations);
- environment variables set through ``os.environ[...] =``, ``os.environ.update``,
  ``os.putenv`` and ``env={...}``.

The shell strings and embedded scripts become units analysed by the bash rules; edits
land inside the string literals, so the Python around them is untouched.  libcst is
imported only here, only for Python files.
"""

from __future__ import annotations

from typing import Any

from ..record import field, record, replace
from .shell import Arg, Assignment, Word

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable

    from .pyregions import Plan

SUBPROCESS = {"run", "call", "check_call", "check_output", "Popen", "getoutput", "getstatusoutput"}
SHELL_FUNCS = {"os.system", "os.popen", "subprocess.getoutput", "subprocess.getstatusoutput"}
SUBMITIT_CLASSES = {"SlurmExecutor", "AutoExecutor"}
# launchers that write the job script themselves: dask-jobqueue's SLURMCluster, Parsl's
# SlurmProvider.  Their keywords: the partition, sbatch option strings, shell lines run
# before the worker starts
LAUNCHER_CLASSES: dict[str, dict[str, tuple[str, ...]]] = {
    "SLURMCluster": {
        "partition": ("queue",),
        "options": ("job_extra_directives", "job_extra"),
        "lines": ("job_script_prologue", "env_extra"),
    },
    "SlurmProvider": {"partition": ("partition",), "options": ("scheduler_options",), "lines": ("worker_init",)},
}
_UNKNOWN = "\x00"  # an argv element only known at run time


@record(frozen=True)
class PyString:
    start: int  # span of the content between the quotes
    end: int
    value: str | None  # the string's value when it is a plain literal
    editable: bool  # the content is the value byte for byte (no escapes): spans map 1:1
    template: bool  # f-string or .format template: {...} are filled in at run time
    where: str  # what it is: "os.system", "subprocess.run(shell=True)", "slurm_setup", "script"
    element: tuple[int, int] | None = None  # (list, index) of a slurm_setup element: it goes when it empties
    masked: bytes | None = None  # not editable: the content with each escape turned into what it
    # means for the shell, in as many bytes (``\n`` -> space + newline), for the parse only


_SIMPLE = {ord("n"): b" \n", ord("\n"): b"  "}  # a newline; a line continuation: nothing


def mask_escapes(raw: bytes) -> bytes:
    """A string literal's content with each escape replaced by what it means to the shell
    that runs the value, in exactly as many bytes (so spans stay those of the file):
    ``\n`` is a space and a newline, ``\t``/``\r`` and the like are blanks, ``\"`` a
    blank and the quote, a numeric escape blanks; ``\\`` and unknown escapes stay."""
    out = bytearray()
    i = 0
    while i < len(raw):
        c = raw[i]
        if c != 0x5C or i + 1 >= len(raw):
            out.append(c)
            i += 1
            continue
        n = raw[i + 1]
        width = 2
        if n in _SIMPLE:
            out += _SIMPLE[n]
        elif n in b"rtfvab":
            out += b"  "
        elif n in b"\"'":
            out += bytes((0x20, n))
        elif n in b"xuU":
            width = {ord("x"): 4, ord("u"): 6, ord("U"): 10}[n]
            out += b" " * min(width, len(raw) - i)
        elif n == ord("N") and raw[i + 2 : i + 3] == b"{":
            close = raw.find(b"}", i)
            width = (close - i + 1) if close != -1 else 2
            out += b" " * width
        elif 0x30 <= n <= 0x37:
            width = 2
            while width < 4 and i + width < len(raw) and 0x30 <= raw[i + width] <= 0x37:
                width += 1
            out += b" " * width
        else:
            out += raw[i : i + 2]  # `\\` and escapes Python keeps as written
        i += width
    return bytes(out[: len(raw)])


@record(frozen=True)
class PySite:
    """A partition named in Python (argv element or submitit keyword)."""

    value: str | None
    raw: str | None  # editable content
    raw_start: int
    start: int
    end: int
    where: str
    origin: str | None = None


@record
class PyFacts:
    shell_strings: list[PyString] = field(default_factory=list)
    scripts: list[PyString] = field(default_factory=list)
    partitions: list[PySite] = field(default_factory=list)
    assignments: list[Assignment] = field(default_factory=list)
    lists: list[tuple[tuple[int, int], ...]] = field(default_factory=list)  # slurm_setup lists: element spans
    error: tuple[int, str] | None = None  # (byte offset, message) when Python does not parse
    unread: tuple[int, str] | None = None  # valid Python that libcst cannot read (offset, why)


# Where libcst runs when it is not imported here: a bulk worker asks the one process
# that reads every worker's Python files (bulk/pyreader.py) to :func:`read` the file
# with the plan made here; None from it: read here
reader: Callable[[bytes, Plan | None], PyFacts | None] | None = None


def analyse(data: bytes, whole: bool = False) -> PyFacts:
    """The facts of a Python file.  Only the pieces :func:`.pyregions.plan` names are
    read with libcst (``whole``: the whole file, as the reference the plan is tested
    against)."""
    from . import pyregions

    plan = None if whole else pyregions.plan(data)
    if plan is not None and not plan.regions:
        return PyFacts()
    if reader is not None:
        facts = reader(data, plan)
        if facts is not None:
            return facts
    return read(data, plan)


def read(data: bytes, plan: Plan | None) -> PyFacts:
    """The facts of a Python file, read with libcst: the regions of ``plan`` (None: the
    whole file; the whole file too when a region does not read as planned)."""
    import libcst as cst
    from libcst.metadata import ByteSpanPositionProvider, MetadataWrapper

    if plan is not None:
        facts = _read_regions(data, plan, cst, ByteSpanPositionProvider, MetadataWrapper)
        if facts is not None:
            return facts
    facts = PyFacts()
    try:
        module = cst.parse_module(data.decode("utf-8"))
        wrapper = MetadataWrapper(module, unsafe_skip_copy=True)  # the module is ours alone
        wrapper.visit(_Visitor(facts, data, cst, ByteSpanPositionProvider))
    except (cst.ParserSyntaxError, UnicodeDecodeError) as exc:
        line = getattr(exc, "raw_line", 1) or 1
        offset = 0
        for _ in range(line - 1):
            nl = data.find(b"\n", offset)
            if nl == -1:
                break
            offset = nl + 1
        said = (offset, str(exc).splitlines()[0] if str(exc) else "syntax error")
        if _python_parses(data):  # the reader's limit, not the user's error
            return PyFacts(unread=(offset, f"libcst cannot read it ({said[1]})"))
        facts.error = said
    except RecursionError:
        if _python_parses(data):
            return PyFacts(unread=(0, "it is nested too deeply for libcst"))
        facts = PyFacts(error=(0, "it is nested too deeply for Python's own compiler"))
    return facts


def _read_regions(data: bytes, plan: Any, cst: Any, provider: Any, wrapper_cls: Any) -> PyFacts | None:
    """The facts of the plan's regions, each piece read as a module of its own; None when
    a piece does not read back as the call or assignment the plan says it is (then the
    file is read whole)."""
    facts = PyFacts()
    spans: dict[Any, tuple[int, int]] = {}

    def piece(start: int, end: int) -> Any:
        """The one statement ``data[start:end]`` is, its nodes' spans moved to the file's."""
        try:
            module = cst.parse_module(data[start:end].decode("utf-8"))
            positions = wrapper_cls(module, unsafe_skip_copy=True).resolve(provider)
        except (cst.ParserSyntaxError, UnicodeDecodeError, RecursionError):
            return None
        if len(module.body) != 1 or not isinstance(module.body[0], cst.SimpleStatementLine):
            return None
        line = module.body[0]
        if len(line.body) != 1 or module.header or module.footer or line.leading_lines:
            return None
        for node, s in positions.items():
            spans[node] = (start + s.start, start + s.start + s.length)
        return line.body[0]

    class Lists:
        """The names bound once (``visit_Module`` finds them in a whole file), their values
        read when an argv names them."""

        def __init__(self) -> None:
            self.read: dict[str, Any] = {}

        def __contains__(self, name: str) -> bool:
            return name in plan.lists

        def __getitem__(self, name: str) -> Any:
            if name not in self.read:
                value = piece(*plan.lists[name])
                if not isinstance(value, cst.Expr):
                    raise _NotAPiece(name)
                self.read[name] = value.value
            return self.read[name]

    visitor = _Visitor(facts, data, cst, provider, spans)
    visitor.lists = Lists()
    for region in plan.regions:
        statement = piece(region.start, region.end)
        if region.kind == "statement":
            if not isinstance(statement, cst.Assign):
                return None
        elif not isinstance(statement, cst.Expr):
            return None
        elif region.kind == "call" and not isinstance(statement.value, cst.Call):
            return None
        visitor.aliases = dict(region.aliases)
        try:
            statement.visit(visitor)
        except _NotAPiece:
            return None
    return facts


class _NotAPiece(Exception):
    """A bound-once name's value did not read back as one expression."""


def _python_parses(data: bytes) -> bool:
    """CPython compiles it (and so would run it)."""
    try:
        compile(data.decode("utf-8"), "<job>", "exec", dont_inherit=True)
    except (SyntaxError, ValueError, UnicodeDecodeError, RecursionError, MemoryError):
        return False
    return True


class _Visitor:
    """Built on first use (libcst is imported lazily), see :func:`analyse`."""

    def __new__(
        cls, facts: PyFacts, data: bytes, cst: Any, provider: Any, spans: dict[Any, tuple[int, int]] | None = None
    ) -> Any:
        visitor_cls = _make_visitor(cst, provider)
        return visitor_cls(facts, data, spans)


def _make_visitor(cst: Any, provider: Any) -> Any:
    m = cst

    class Visitor(m.CSTVisitor):  # type: ignore[name-defined]
        METADATA_DEPENDENCIES = (provider,)

        def __init__(self, facts: PyFacts, data: bytes, spans: dict[Any, tuple[int, int]] | None) -> None:
            super().__init__()
            self.facts = facts
            self.data = data
            self.spans = spans  # reading pieces (_read_regions): the spans of their nodes in the file
            self.aliases: dict[str, str] = {}  # local name -> dotted origin
            self.used: set[int] = set()  # string nodes already taken
            self.templates: set[int] = set()  # strings with .format(...)
            self.lists: Any = {}  # a name bound once, to a list: `argv = ["-p", "gtest"]`

        def visit_Module(self, node: Any) -> None:
            """The names bound exactly once in the file, to a list or tuple literal (or a sum
            of them): argv built in a variable and passed to sbatch is read through them."""
            bound: dict[str, Any] = {}
            times: dict[str, int] = {}
            stack = [node]
            while stack:
                n = stack.pop()
                if isinstance(n, m.Assign):
                    for target in n.targets:
                        if isinstance(target.target, m.Name):
                            times[target.target.value] = times.get(target.target.value, 0) + 1
                            bound[target.target.value] = n.value
                elif isinstance(n, (m.AugAssign, m.AnnAssign)) and isinstance(n.target, m.Name):
                    times[n.target.value] = times.get(n.target.value, 0) + 2  # changed in place: not known
                elif isinstance(n, (m.For, m.CompFor)) and isinstance(n.target, m.Name):
                    times[n.target.value] = times.get(n.target.value, 0) + 2
                stack.extend(n.children)
            self.lists = {
                k: v
                for k, v in bound.items()
                if times.get(k) == 1 and isinstance(v, (m.List, m.Tuple, m.BinaryOperation))
            }

        # -- helpers ---------------------------------------------------------------
        def span(self, node: Any) -> tuple[int, int]:
            if self.spans is not None:
                return self.spans[node]
            s = self.get_metadata(provider, node)
            return s.start, s.start + s.length

        def dotted(self, node: Any) -> str | None:
            if isinstance(node, m.Name):
                return self.aliases.get(node.value, node.value)
            if isinstance(node, m.Attribute):
                base = self.dotted(node.value)
                return f"{base}.{node.attr.value}" if base else None
            return None

        def string(self, node: Any, where: str) -> PyString | None:
            start, end = self.span(node)
            if isinstance(node, m.SimpleString):
                prefix = node.prefix.lower()
                if "b" in prefix:
                    return None
                q = len(node.quote)
                cstart, cend = start + len(node.prefix) + q, end - q
                raw = self.data[cstart:cend].decode("utf-8", "replace")
                value = node.evaluated_value
                editable = isinstance(value, str) and raw == value
                masked = None if editable or "r" in prefix else mask_escapes(self.data[cstart:cend])
                return PyString(
                    cstart,
                    cend,
                    value if isinstance(value, str) else None,
                    editable,
                    id(node) in self.templates,
                    where,
                    masked=masked,
                )
            if isinstance(node, m.FormattedString):
                cstart = start + len(node.start)
                cend = end - len(node.end)
                content = self.data[cstart:cend]
                editable = b"\\" not in content
                masked = None if editable or "r" in node.start.lower() else mask_escapes(content)
                return PyString(cstart, cend, None, editable, True, where, masked=masked)
            return None

        def argv(self, node: Any, depth: int = 0) -> list[Arg] | None:
            if depth > 8:
                return None
            if isinstance(node, m.Name) and node.value in self.lists:
                return self.argv(self.lists[node.value], depth + 1)  # cmd = ["sbatch", ...]; run(cmd)
            if isinstance(node, m.BinaryOperation) and isinstance(node.operator, m.Add):
                left, right = self.argv(node.left, depth + 1), self.argv(node.right, depth + 1)
                return None if left is None or right is None else left + right  # ["sbatch"] + opts
            if not isinstance(node, (m.List, m.Tuple)):
                return None
            out = []
            for el in node.elements:
                value = el.value
                if isinstance(el, m.StarredElement):  # ["sbatch", *argv]: argv's elements, where it is bound
                    spliced = self.argv(value, depth + 1)
                    if spliced is not None:
                        out += spliced
                        continue
                if isinstance(value, m.SimpleString):
                    s = self.string(value, "argv")
                    if s is not None and s.value is not None:
                        w = Word(
                            s.start,
                            s.end,
                            self.data[s.start : s.end].decode("utf-8", "replace"),
                            s.value,
                            "python-string",
                            False,
                            (),
                        )
                        out.append(Arg(s.value, w, s.editable))
                        continue
                start, end = self.span(value)
                text = self.data[start:end].decode("utf-8", "replace")
                static = ""
                if isinstance(value, m.FormattedString):  # f"--partition={p}": the option is known
                    for part in value.parts:
                        if not isinstance(part, m.FormattedStringText):
                            break
                        static += part.value
                out.append(Arg(static + _UNKNOWN + text, Word(start, end, text, None, "python-expr", False, ()), False))
            return out

        def env_dict(self, node: Any, keyword: str) -> None:
            if not isinstance(node, m.Dict):
                return
            for el in node.elements:
                if isinstance(el, m.DictElement) and isinstance(el.key, m.SimpleString):
                    self.env(el.key, el.value, keyword)

        def env(self, key: Any, value: Any, keyword: str) -> None:
            k = self.string(key, "env") if isinstance(key, m.SimpleString) else None
            if k is None or k.value is None:
                return
            vstart, vend = self.span(value)
            vtext = self.data[vstart:vend].decode("utf-8", "replace")
            vval = value.evaluated_value if isinstance(value, m.SimpleString) else None
            word = Word(vstart, vend, vtext, vval if isinstance(vval, str) else None, "python-expr", False, ())
            self.facts.assignments.append(Assignment(k.value, k.start, vend, word, True, keyword, True, False, None))

        # -- imports ---------------------------------------------------------------
        def visit_Import(self, node: Any) -> None:
            for alias in node.names:
                name = self.dotted(alias.name) or ""
                if alias.asname is not None and isinstance(alias.asname.name, m.Name):
                    self.aliases[alias.asname.name.value] = name

        def visit_ImportFrom(self, node: Any) -> None:
            module = self.dotted(node.module) if node.module is not None else None
            if module is None or isinstance(node.names, m.ImportStar):
                return
            for alias in node.names:
                if isinstance(alias.name, m.Name):
                    local = alias.asname.name.value if alias.asname is not None else alias.name.value
                    self.aliases[local] = f"{module}.{alias.name.value}"

        # -- calls -----------------------------------------------------------------
        def visit_Call(self, node: Any) -> None:
            name = self.dotted(node.func) or ""
            if isinstance(node.func, m.Attribute) and node.func.attr.value == "format":
                if isinstance(node.func.value, m.SimpleString):
                    self.templates.add(id(node.func.value))
            kwargs = {a.keyword.value: a.value for a in node.args if a.keyword is not None}
            positional = [a.value for a in node.args if a.keyword is None and not a.star]
            short = name.rsplit(".", 1)[-1]
            if name in SHELL_FUNCS and positional:
                self.shell(positional[0], name)
            elif name.startswith("subprocess.") and short in SUBPROCESS:
                target = positional[0] if positional else kwargs.get("args")
                shell = kwargs.get("shell")
                if target is not None and isinstance(shell, m.Name) and shell.value == "True":
                    self.shell(target, f"{name}(shell=True)")
                elif target is not None:
                    self.slurm_argv(target, name)
                if "env" in kwargs:
                    self.env_dict(kwargs["env"], f"{name}(env=...)")
            elif name in ("os.environ.update",) and positional:
                self.env_dict(positional[0], "os.environ.update")
            elif name == "os.putenv" and len(positional) == 2:
                self.env(positional[0], positional[1], "os.putenv")
            if short in LAUNCHER_CLASSES:
                keys = LAUNCHER_CLASSES[short]
                for key in keys["partition"]:
                    if key in kwargs:
                        self.partition_kw(kwargs[key], f"{short}({key}=...)")
                if short == "SlurmProvider" and positional and "partition" not in kwargs:
                    # Parsl's own site configs pass it first: SlurmProvider('compute', ...)
                    self.partition_kw(positional[0], f"{short}(partition, ...)")
                for key in keys["options"]:
                    value = kwargs.get(key)
                    if isinstance(value, (m.List, m.Tuple)):
                        for el in value.elements:
                            self.option_string(el.value, f"{short}({key}=...)")
                    elif value is not None:
                        self.option_string(value, f"{short}({key}=...)")
                for key in keys["lines"]:
                    value = kwargs.get(key)
                    if isinstance(value, (m.List, m.Tuple)):
                        index = len(self.facts.lists)
                        self.facts.lists.append(tuple(self.span(el.value) for el in value.elements))
                        for i, el in enumerate(value.elements):
                            self.shell(el.value, f"{short}({key}=...)", (index, i))
                    elif value is not None:
                        self.shell(value, f"{short}({key}=...)")
            if short == "update_parameters" or short in SUBMITIT_CLASSES:
                for key in ("slurm_partition", "partition"):
                    if key in kwargs:
                        self.partition_kw(kwargs[key], f"{short}({key}=...)")
                setup = kwargs.get("slurm_setup")
                if isinstance(setup, (m.List, m.Tuple)):
                    index = len(self.facts.lists)
                    self.facts.lists.append(tuple(self.span(el.value) for el in setup.elements))
                    for i, el in enumerate(setup.elements):
                        self.shell(el.value, "slurm_setup", (index, i))

        def shell(self, node: Any, where: str, element: tuple[int, int] | None = None) -> None:
            s = self.string(node, where)
            if s is None:
                return
            self.used.add(id(node))
            self.facts.shell_strings.append(replace(s, element=element) if element else s)

        def slurm_argv(self, node: Any, where: str) -> None:
            from ..model.launch import partition_options, value_text

            args = self.argv(node)
            if not args:
                return
            for _, opt in partition_options(tuple(args)):
                arg = opt.value_arg
                assert arg is not None
                label = f"{where}([... {opt.written} ...])"
                if _UNKNOWN in arg.value and (opt.value is None or _UNKNOWN in opt.value):
                    text = arg.word.text
                    self.facts.partitions.append(
                        PySite(None, None, arg.word.start, arg.word.start, arg.word.end, label, text)
                    )
                    continue
                located = value_text(opt) if arg.direct else None
                raw, offset = located if located is not None else (None, 0)
                self.facts.partitions.append(
                    PySite(opt.value, raw, arg.word.start + offset, arg.word.start, arg.word.end, label)
                )

        def option_string(self, node: Any, where: str) -> None:
            """sbatch options in one string (``'-p gtest --gres=gpu:1'``, Parsl's
            ``'#SBATCH -p gtest'`` lines): each partition option's value is a site."""
            from .configs import option_partitions

            s = self.string(node, where) if isinstance(node, m.SimpleString) else None
            if s is None or s.value is None:
                return
            self.used.add(id(node))
            for a, b, value in option_partitions(s.value):
                start = s.start + len(s.value[:a].encode())
                end = s.start + len(s.value[:b].encode())
                raw = value if s.editable else None
                self.facts.partitions.append(PySite(value, raw, start, start, end, f"{where}: -p"))

        def partition_kw(self, node: Any, where: str) -> None:
            start, end = self.span(node)
            s = self.string(node, where) if isinstance(node, m.SimpleString) else None
            if s is not None and s.value is not None:
                self.used.add(id(node))
                self.facts.partitions.append(
                    PySite(
                        s.value, self.data[s.start : s.end].decode() if s.editable else None, s.start, start, end, where
                    )
                )
            else:
                text = self.data[start:end].decode("utf-8", "replace")
                self.facts.partitions.append(PySite(None, None, start, start, end, where, text))

        # -- assignments and embedded scripts ---------------------------------------
        def visit_Assign(self, node: Any) -> None:
            for target in node.targets:
                t = target.target
                if isinstance(t, m.Subscript) and self.dotted(t.value) == "os.environ" and len(t.slice) == 1:
                    index = t.slice[0].slice
                    if isinstance(index, m.Index):
                        self.env(index.value, node.value, "os.environ")

        def visit_SimpleString(self, node: Any) -> None:
            self.maybe_script(node)

        def visit_FormattedString(self, node: Any) -> None:
            self.maybe_script(node)

        def maybe_script(self, node: Any) -> None:
            if id(node) in self.used:
                return
            s = self.string(node, "script")
            if s is None:
                return
            content = self.data[s.start : s.end]
            if b"#SBATCH" in content and (content.startswith((b"#!", b"#SBATCH")) or b"\n#SBATCH" in content):
                self.facts.scripts.append(s)

    return Visitor
