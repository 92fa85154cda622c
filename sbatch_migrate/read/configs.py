"""Reading submission configs with their own grammars (tree-sitter YAML, Groovy and Make,
from PyPI), byte positions kept: where they name a partition, where they hold sbatch
options, and where they hold shell lines run before each job (prologues).

- YAML (Snakemake profiles, dask-jobqueue, Hydra's submitit launcher): ``slurm_partition``,
  ``partition`` and ``queue`` values, ``slurm_partition=NAME`` items of resource lists;
  option strings (``cluster``, ``slurm_extra``, ``job_extra_directives``, ``additional_parameters``
  ...); prologues (``job_script_prologue``, ``env_extra``, ``prologue``, ``setup``).
- Nextflow (Groovy): ``queue``, ``clusterOptions`` and ``beforeScript`` as assignments
  (``process.queue = 'gp1d'``) or directives (``queue 'gp1d'``), in any scope.
- Make: sbatch/srun/salloc in recipe lines; a ``-p $(VAR)`` there names the partition
  where ``VAR`` is assigned (``VAR ?= gtest``).
"""

from __future__ import annotations

import re
from functools import cache
from typing import Any, Literal

from ..record import field, record

SiteKind = Literal["partition", "options", "prologue", "container", "image", "dynamic"]


@record(frozen=True)
class Site:
    kind: SiteKind
    start: int  # the text's bytes in the file (inside any quotes)
    end: int
    text: str
    where: str  # the key path, for messages: `default-resources.slurm_partition`
    editable: bool = True  # plain text: a replacement of its bytes means the same thing
    # a YAML block-sequence item alone on its lines, among others: (start, end) of its
    # lines, newline included (removing them removes the item and leaves a list)
    item_lines: tuple[int, int] | None = None


@record
class ConfigFacts:
    format: str
    sites: list[Site] = field(default_factory=list)
    errors: list[tuple[int, int]] = field(default_factory=list)  # regions the grammar could not read


@cache
def parser(grammar: str) -> Any:
    import importlib

    import tree_sitter as ts

    module = importlib.import_module(f"tree_sitter_{grammar}")
    return ts.Parser(ts.Language(module.language()))


GRAMMAR = {
    "snakemake-profile": "yaml",
    "dask-jobqueue": "yaml",
    "hydra-submitit": "yaml",
    "nextflow": "groovy",
    "makefile": "make",
}


def _norm(key: str) -> str:
    return key.strip().strip("\"'").lower().replace("-", "_")


PARTITION_KEYS = frozenset({"slurm_partition", "partition", "queue"})
OPTION_KEYS = frozenset(
    {
        "cluster",
        "cluster_generic_submit_cmd",
        "slurm_extra",
        "job_extra_directives",
        "job_extra",
        "extra",
        "additional_parameters",
        "clusteroptions",
        "scheduler_options",
        "submit_cmd",
    }
)
PROLOGUE_KEYS = frozenset({"job_script_prologue", "env_extra", "prologue", "setup", "worker_init", "beforescript"})
# options given to Apptainer/Singularity (`--nv`, `-B /work/...`) and image or cache paths
CONTAINER_KEYS = frozenset({"singularity_args", "apptainer_args", "runoptions", "container_options"})
IMAGE_KEYS = frozenset({"container", "cachedir", "singularity_prefix", "apptainer_prefix", "librarydir"})
GPU_KEYS = frozenset({"gres", "gpus", "gpus_per_node", "accelerator", "gpu"})


def errors_of(tree: Any) -> list[tuple[int, int]]:
    """The regions the grammar could not read: an ERROR node's span; for a token it had to
    assume (MISSING), the span of the construct around it (whose reading is in doubt)."""
    out: list[tuple[int, int]] = []
    stack = [tree.root_node]
    while stack:
        node = stack.pop()
        if node.is_error:
            out.append((node.start_byte, node.end_byte))
        elif node.is_missing:
            around = node.parent if node.parent is not None else node
            out.append((around.start_byte, around.end_byte))
        elif node.has_error:
            stack.extend(node.children)
    return sorted(set(out))


def read(fmt: str, data: bytes) -> ConfigFacts:
    grammar = GRAMMAR[fmt]
    tree = parser(grammar).parse(data)
    facts = ConfigFacts(fmt, errors=errors_of(tree))
    if grammar == "yaml":
        _yaml(tree.root_node, data, [], facts)
    elif grammar == "groovy":
        _groovy(tree.root_node, data, [], facts)
    else:
        _make(tree.root_node, data, facts)
    facts.sites.sort(key=lambda s: s.start)
    return facts


_OPTION = re.compile(r"(?:^|(?<=[\s'\"]))(?:-p[ \t]*|--partition(?:=|[ \t]+))([A-Za-z0-9_.+@%,-]+)")
_COMMAND = re.compile(r"\b(?:sbatch|srun|salloc)\b|#SBATCH\b")


def option_partitions(text: str) -> list[tuple[int, int, str]]:
    """(start, end, value) of each partition option in an option string: from its start
    when it holds only options (``--gres=gpu:1 -p gtest``), else after each sbatch/srun/
    salloc command in it (``mkdir -p logs && sbatch -p gtest``: not mkdir's ``-p``)."""
    only_options = text.lstrip(" \t'\"").startswith("-")
    starts = [0] if only_options else [m.start() for m in _COMMAND.finditer(text)]
    out = []
    seen = set()
    for begin in starts:
        end = len(text)
        stop = re.search(r"&&|\|\||[;|\n]", text[begin:])
        if stop is not None and not only_options:
            end = begin + stop.start()
        for m in _OPTION.finditer(text, begin, end):
            if m.start(1) not in seen:
                seen.add(m.start(1))
                out.append((m.start(1), m.end(1), m.group(1)))
    return out


# -- YAML --------------------------------------------------------------------------------
def _scalar(node: Any, data: bytes) -> tuple[int, int, str, bool] | None:
    """(start, end, text, editable) of a YAML scalar's value (inside its quotes)."""
    while node is not None and node.type in ("flow_node", "block_node") and node.named_child_count == 1:
        node = node.named_children[0]
    if node is None:
        return None
    raw = data[node.start_byte : node.end_byte]
    if node.type == "plain_scalar":
        return node.start_byte, node.end_byte, raw.decode("utf-8", "replace"), True
    if node.type in ("double_quote_scalar", "single_quote_scalar"):
        inner = raw[1:-1]
        plain = b"\\" not in inner and b"''" not in inner
        return node.start_byte + 1, node.end_byte - 1, inner.decode("utf-8", "replace"), plain
    if node.type == "block_scalar":
        return node.start_byte, node.end_byte, raw.decode("utf-8", "replace"), False
    return None


def _items(node: Any) -> list[Any]:
    """The item nodes of a YAML sequence value (block or flow), else []."""
    while node is not None and node.type in ("flow_node", "block_node") and node.named_child_count == 1:
        node = node.named_children[0]
    if node is None:
        return []
    if node.type == "block_sequence":
        return [
            c.named_children[-1] for c in node.named_children if c.type == "block_sequence_item" and c.named_children
        ]
    if node.type == "flow_sequence":
        return [c for c in node.named_children]
    return []


def _item_lines(item: Any, data: bytes) -> tuple[int, int] | None:
    """The lines of a block-sequence item (``- module load singularity``) when nothing else
    is on them."""
    parent = item.parent
    if parent is None or parent.type != "block_sequence_item":
        return None
    start = data.rfind(b"\n", 0, parent.start_byte) + 1
    end = data.find(b"\n", parent.end_byte)
    end = len(data) if end == -1 else end + 1
    if data[start : parent.start_byte].strip() or data[parent.end_byte : end].strip():
        return None
    return start, end


_RESOURCE = re.compile(r"(slurm_partition|partition)\s*=\s*['\"]?([^'\"\s,]+)")


def _yaml(root: Any, data: bytes, path: list[str], facts: ConfigFacts) -> None:
    """Every mapping pair under ``root``, with its key path; a worklist, not recursion: a
    user's file may nest thousands deep (``[[[[...]]]]``)."""
    work = [(root, path)]
    while work:
        node, where_path = work.pop()
        work += reversed(_yaml_node(node, data, where_path, facts))


def _yaml_node(node: Any, data: bytes, path: list[str], facts: ConfigFacts) -> list[tuple[Any, list[str]]]:
    """One node's sites; returns the nodes to look at next."""
    if node.type in ("block_mapping_pair", "flow_pair"):
        key_node = node.child_by_field_name("key")
        value = node.child_by_field_name("value")
        key = data[key_node.start_byte : key_node.end_byte].decode("utf-8", "replace") if key_node else ""
        here = [*path, key.strip().strip("\"'")]
        where = ".".join(here)
        k = _norm(key)
        if value is not None:
            scalar = _scalar(value, data)
            items = _items(value)
            if k in PARTITION_KEYS and scalar is not None:
                facts.sites.append(Site("partition", scalar[0], scalar[1], scalar[2], where, scalar[3]))
            elif k in CONTAINER_KEYS and scalar is not None:
                facts.sites.append(Site("container", scalar[0], scalar[1], scalar[2], where, scalar[3]))
            elif k in IMAGE_KEYS and scalar is not None:
                facts.sites.append(Site("image", scalar[0], scalar[1], scalar[2], where, scalar[3]))
            elif k in GPU_KEYS and scalar is not None:
                gres = scalar[2] if scalar[2].startswith("gpu") else f"gpu:{scalar[2]}"
                facts.sites.append(Site("options", scalar[0], scalar[1], f"--gres={gres}", where, False))
            elif k in OPTION_KEYS or k in PROLOGUE_KEYS:
                kind: SiteKind = "options" if k in OPTION_KEYS else "prologue"
                for item in [value] if scalar is not None else items:
                    s = _scalar(item, data)
                    if s is not None:
                        lines = _item_lines(item, data) if len(items) > 1 else None
                        facts.sites.append(Site(kind, s[0], s[1], s[2], where, s[3], lines))
            elif scalar is not None and scalar[2].lstrip().startswith(("sbatch", "srun", "salloc")):
                facts.sites.append(Site("options", scalar[0], scalar[1], scalar[2], where, scalar[3]))
            for item in items:  # resource lists: `- slurm_partition=gp2d`
                s = _scalar(item, data)
                if s is not None and s[3]:
                    for m in _RESOURCE.finditer(s[2]):
                        start = s[0] + len(s[2][: m.start(2)].encode())
                        facts.sites.append(
                            Site("partition", start, start + len(m.group(2).encode()), m.group(2), where)
                        )
            return [(value, here)]
        return []
    return [(child, path) for child in node.named_children]


# -- Groovy (Nextflow) ------------------------------------------------------------------------
NEXTFLOW_KEYS = {
    "queue": "partition",
    "clusteroptions": "options",
    "beforescript": "prologue",
    "runoptions": "container",
    "container": "image",
    "cachedir": "image",
}


def _groovy_string(node: Any, data: bytes) -> tuple[int, int, str, bool] | None:
    raw = data[node.start_byte : node.end_byte]
    if node.type in ("character_literal", "string_literal") and len(raw) >= 2 and raw[:1] in (b"'", b'"'):
        quote = 3 if raw[:3] in (b"'''", b'"""') else 1
        inner = raw[quote:-quote]
        plain = b"\\" not in inner and b"${" not in inner and not (raw[:1] == b'"' and b"$" in inner)
        return node.start_byte + quote, node.end_byte - quote, inner.decode("utf-8", "replace"), plain
    return None


def _groovy(root: Any, data: bytes, scope: list[str], facts: ConfigFacts) -> None:
    """Every setting under ``root``, with its scope; a worklist, not recursion."""
    work = [(root, scope)]
    while work:
        node, where_scope = work.pop()
        work += reversed(_groovy_node(node, data, where_scope, facts))


def _groovy_node(node: Any, data: bytes, scope: list[str], facts: ConfigFacts) -> list[tuple[Any, list[str]]]:
    """One node's sites; returns the nodes to look at next."""
    name = value = None
    if node.type == "assignment_expression" and node.named_child_count >= 2:
        left, value = node.named_children[0], node.named_children[-1]
        name = data[left.start_byte : left.end_byte].decode("utf-8", "replace").rsplit(".", 1)[-1]
        prefix = data[left.start_byte : left.end_byte].decode("utf-8", "replace").rsplit(".", 1)[0]
        scope_here = [*scope, prefix] if "." in data[left.start_byte : left.end_byte].decode() else scope
    elif node.type == "juxt_function_call" and node.named_child_count >= 2:
        first, args = node.named_children[0], node.named_children[-1]
        name = data[first.start_byte : first.end_byte].decode("utf-8", "replace")
        value = args.named_children[0] if args.named_child_count else None
        scope_here = scope
    if name is not None and value is not None and name.lower() in NEXTFLOW_KEYS:
        if value.type == "method_invocation" and value.named_child_count:  # """...""".stripIndent()
            value = value.named_children[0]
        if value.type == "closure" and NEXTFLOW_KEYS[name.lower()] == "partition":
            # `queue = { task.memory > 50.GB ? 'largemem' : 'short' }`: chosen per task
            text = data[value.start_byte : value.end_byte].decode("utf-8", "replace")
            facts.sites.append(
                Site("dynamic", value.start_byte, value.end_byte, text, ".".join([*scope_here, name]), False)
            )
            return []
        s = _groovy_string(value, data)
        if s is not None:
            where = ".".join([*scope_here, name])
            facts.sites.append(Site(NEXTFLOW_KEYS[name.lower()], s[0], s[1], s[2], where, s[3]))  # type: ignore[arg-type]
        return []
    if node.type == "method_invocation" and node.named_child_count >= 2 and node.named_children[-1].type == "closure":
        head = node.named_children[0]
        label = data[head.start_byte : head.end_byte].decode("utf-8", "replace")
        return [(node.named_children[-1], [*scope, label])]
    return [(child, scope) for child in node.named_children]


# -- Make ----------------------------------------------------------------------------------------
_MAKE_OPTION = re.compile(r"(?:^|\s)(?:-p\s*|--partition[=\s]\s*)(\$\((\w+)\)|\$\{(\w+)\}|[A-Za-z0-9_.+@%,-]+)")
_SLURM_COMMAND = re.compile(r"\b(?:sbatch|srun|salloc)\b")


def _make(root: Any, data: bytes, facts: ConfigFacts) -> None:
    assignments: dict[str, tuple[int, int, str]] = {}
    recipes: list[tuple[int, str]] = []
    stack = [root]
    while stack:
        node = stack.pop()
        if node.type == "variable_assignment":
            name_node = node.child_by_field_name("name") or (node.named_children[0] if node.named_children else None)
            text_node = next((c for c in node.named_children if c.type == "text"), None)
            if name_node is not None and text_node is not None:
                name = data[name_node.start_byte : name_node.end_byte].decode("utf-8", "replace")
                assignments[name] = (
                    text_node.start_byte,
                    text_node.end_byte,
                    data[text_node.start_byte : text_node.end_byte].decode("utf-8", "replace"),
                )
        elif node.type == "shell_text":
            recipes.append((node.start_byte, data[node.start_byte : node.end_byte].decode("utf-8", "replace")))
            continue
        stack.extend(reversed(node.named_children))
    for start, text in recipes:
        command = _SLURM_COMMAND.search(text)
        if command is None:
            continue
        for m in _MAKE_OPTION.finditer(text, command.start()):
            variable = m.group(2) or m.group(3)
            if variable is not None:
                if variable in assignments:
                    a_start, a_end, value = assignments[variable]
                    facts.sites.append(Site("partition", a_start, a_end, value.strip(), f"{variable} (Makefile)"))
                continue
            at = start + len(text[: m.start(1)].encode())
            facts.sites.append(Site("partition", at, at + len(m.group(1).encode()), m.group(1), "recipe (Makefile)"))
