"""Removing statements without breaking the script.

Rules ask for statements to be removed (``module load singularity``); this module turns
all such requests of one script *together* into edits, because the right edit depends on
the neighbours:

- ``A && B`` with A removed becomes ``B``; with B removed, ``A``.  ``A || B`` with A
  removed goes as a whole (B only ran when A failed).
- A statement alone on its line goes with its line and newline (and its trailing
  comment); ``A; B`` on one line loses ``A; `` only.
- A block (if/loop/function/case/subshell body) whose statements are all removed keeps a
  ``:`` so it still parses.
- Consecutive removed lines form one group; when a group sat between two blank lines the
  blank lines after it go too, so a run of blank lines created by the removal collapses
  to one.
- A statement in a pipeline, a condition, ``$(...)`` and the like is never removed: the
  request fails and the rule reports it unfixed.
"""

from __future__ import annotations

from ..read.shell import BLOCK_PARENTS
from ..read.source import Source
from ..record import field, record
from .edits import Edit

TYPE_CHECKING = False  # typing is not imported at run time (docs/design.md: a one-file run)
if TYPE_CHECKING:
    from typing import Any

    Node = Any

_ALWAYS_BODY = frozenset({"program", "compound_statement", "subshell", "do_group", "else_clause"})


@record
class Plan:
    edits: list[Edit] = field(default_factory=list)
    failed: dict[int, str] = field(default_factory=dict)  # request node id -> why


def statement_of(node: Node) -> Node:
    """The statement a command stands as (a redirected command is one statement)."""
    parent = node.parent
    if parent is not None and parent.type == "redirected_statement":
        body = parent.child_by_field_name("body")
        if body is not None and body.id == node.id:
            return parent
    return node


def _segment(node: Node) -> list[Node] | None:
    """The statements of the block body ``node`` stands in; None when it is not in one
    (a condition, a case pattern, a pipeline ...)."""
    parent = node.parent
    if parent is None or parent.type not in BLOCK_PARENTS or parent.type == "while_statement":
        return None
    in_body = parent.type in _ALWAYS_BODY
    if in_body:  # no condition, value or clause among the children: every statement counts
        plain = [c for c in parent.children if c.is_named and c.type != "comment"]
        return plain if any(s.id == node.id for s in plain) else None
    opener = ")" if parent.type == "case_item" else "then"
    segment = []
    for i, child in enumerate(parent.children):
        if not child.is_named:
            if child.type == opener:
                in_body = True
            continue
        if child.type in ("elif_clause", "else_clause", "comment"):
            continue
        if parent.field_name_for_child(i) in ("condition", "value"):
            continue
        if in_body:
            segment.append(child)
    return segment if any(s.id == node.id for s in segment) else None


def plan(source: Source, requests: list[Node]) -> Plan:
    result = Plan()
    removed: dict[int, Node] = {}
    origin: dict[int, list[int]] = {}  # removed node id -> request ids it carries
    for req in requests:
        stmt = statement_of(req)
        removed[stmt.id] = stmt
        origin.setdefault(stmt.id, []).append(req.id)

    # propagate: a list whose removal leaves nothing goes as a whole
    changed = True
    while changed:
        changed = False
        for node in list(removed.values()):
            parent = node.parent
            if parent is None or parent.type != "list" or parent.id in removed:
                continue
            left, op, right = parent.children[0], parent.children[1], parent.children[-1]
            if (left.id in removed and right.id in removed) or (op.type == "||" and left.id in removed):
                removed[parent.id] = parent
                origin[parent.id] = origin.get(left.id, []) + origin.get(right.id, [])
                changed = True

    def top(node: Node) -> bool:
        return node.parent is None or node.parent.id not in removed

    # statements removed from a block body, grouped by block
    blocks: dict[int, tuple[list[Node], list[Node]]] = {}
    for node in sorted(removed.values(), key=lambda n: n.start_byte):
        if not top(node):
            continue
        parent = node.parent
        if parent is not None and parent.type == "list":
            left, right = parent.children[0], parent.children[-1]
            if node.id == left.id:
                result.edits.append(Edit(node.start_byte, right.start_byte, ""))
            else:
                result.edits.append(Edit(left.end_byte, node.end_byte, ""))
            continue
        segment = _segment(node)
        if segment is None:
            where = parent.type.replace("_", " ") if parent is not None else "statement"
            for rid in origin.get(node.id, []):
                result.failed[rid] = f"it stands inside a {where}"
            continue
        key = segment[0].id
        blocks.setdefault(key, (segment, []))[1].append(node)

    gone: list[Node] = []  # removed statements that do not become ":"
    plans: list[tuple[list[Node], list[Node]]] = []
    for segment, nodes in blocks.values():
        ids = {n.id for n in nodes}
        parent = segment[0].parent
        if len(ids) == len(segment) and parent is not None and parent.type != "program":
            first = segment[0]
            result.edits.append(Edit(first.start_byte, first.end_byte, ":"))
            nodes = [n for n in nodes if n.id != first.id]
        gone.extend(nodes)
        plans.append((segment, nodes))

    cleared = _cleared_lines(source, gone)
    line_removals: set[int] = set()
    for segment, nodes in plans:
        removed_ids = {n.id for n in nodes}
        inline = []
        for node in nodes:
            lines = range(source.line_of(node.start_byte), source.line_of(max(node.end_byte - 1, node.start_byte)) + 1)
            if all(line in cleared for line in lines):
                line_removals.update(lines)
            else:
                inline.append(node)
        for run in _runs(source, segment, inline):
            result.edits.append(_inline_edit(source, segment, run, removed_ids))
    result.edits.extend(_line_edits(source, sorted(line_removals)))
    return result


def _after_separator(data: bytes, end: int, limit: int) -> int:
    """End of the blanks and one ``;`` (not ``;;``) that follow a statement ending at ``end``."""
    pos = end
    while pos < limit and data[pos] in b" \t":
        pos += 1
    if data[pos : pos + 1] == b";" and data[pos : pos + 2] != b";;":
        return pos + 1
    return end


def _cleared_lines(source: Source, nodes: list[Node]) -> set[int]:
    """Lines left with nothing but blanks, ``;`` and a comment once ``nodes`` are gone."""
    data = source.parse_bytes
    by_line: dict[int, list[tuple[int, int]]] = {}
    for n in nodes:
        first = source.line_of(n.start_byte)
        last = source.line_of(max(n.end_byte - 1, n.start_byte))
        _, le = source.line_span(last)
        span = (n.start_byte, _after_separator(data, n.end_byte, le))
        for line in range(first, last + 1):
            by_line.setdefault(line, []).append(span)
    cleared = set()
    for line, spans in by_line.items():
        ls, le = source.line_span(line)
        text = bytearray(data[ls:le])
        for s, e in spans:
            a, b = max(s, ls), min(e, le)
            if a < b:
                text[a - ls : b - ls] = b" " * (b - a)
        rest = bytes(text).strip(b" \t")
        if not rest or rest.startswith(b"#"):
            cleared.add(line)
    return cleared


def _runs(source: Source, segment: list[Node], nodes: list[Node]) -> list[list[Node]]:
    """Consecutive removed statements of a block that share lines."""
    order = {s.id: i for i, s in enumerate(segment)}
    runs: list[list[Node]] = []
    for node in sorted(nodes, key=lambda n: order[n.id]):
        if runs:
            last = runs[-1][-1]
            adjacent = order[node.id] == order[last.id] + 1
            if adjacent and source.line_of(max(last.end_byte - 1, 0)) == source.line_of(node.start_byte):
                runs[-1].append(node)
                continue
        runs.append([node])
    return runs


def _inline_edit(source: Source, segment: list[Node], run: list[Node], removed: set[int]) -> Edit:
    """Remove a run of statements that shares its line with statements that stay."""
    data = source.parse_bytes
    order = {s.id: i for i, s in enumerate(segment)}
    first, last = run[0], run[-1]
    ls, _ = source.line_span(source.line_of(first.start_byte))
    _, le = source.line_span(source.line_of(max(last.end_byte - 1, last.start_byte)))
    i, j = order[first.id], order[last.id]
    nxt = segment[j + 1] if j + 1 < len(segment) and segment[j + 1].id not in removed else None
    prev = segment[i - 1] if i > 0 and segment[i - 1].id not in removed else None
    if nxt is not None and nxt.start_byte <= le and _plain_gap(data, last.end_byte, nxt.start_byte):
        return Edit(first.start_byte, nxt.start_byte, "")
    if prev is not None and prev.end_byte >= ls and _plain_gap(data, prev.end_byte, first.start_byte):
        return Edit(prev.end_byte, _after_separator(data, last.end_byte, le), "")
    start = first.start_byte
    while start > ls and data[start - 1] in b" \t":
        start -= 1
    end = _after_separator(data, last.end_byte, le)
    if end != last.end_byte:
        while end < le and data[end] in b" \t":
            end += 1
    return Edit(start, end, "")


def _plain_gap(data: bytes, start: int, end: int) -> bool:
    """Only `;` and blanks between two statements (no `&`, which backgrounds one)."""
    return b"&" not in data[start:end]


def _blank(source: Source, index: int) -> bool:
    return 0 <= index < source.line_count and not source.line_bytes(index).strip()


def _line_edits(source: Source, lines: list[int]) -> list[Edit]:
    if not lines:
        return []
    groups: list[list[int]] = [[lines[0]]]
    for line in lines[1:]:
        prev = groups[-1][-1]
        if line == prev + 1 or all(_blank(source, i) for i in range(prev + 1, line)):
            groups[-1].extend(range(prev + 1, line + 1))
        else:
            groups.append([line])
    edits = []
    total = len(source.parse_bytes)
    for group in groups:
        first, last = group[0], group[-1]
        if _blank(source, first - 1):
            while _blank(source, last + 1):
                last += 1
        start = source.line_starts[first]
        end = source.line_starts[last + 1] if last + 1 < source.line_count else total
        if end == total and not source.parse_bytes.endswith(b"\n") and first > 0:
            # the file ends without a newline: keep it that way (drop the one before)
            start -= 1
            if source.has_crlf and source.parse_bytes[start - 1 : start] == b" ":
                if source.data[source.to_original(start - 1)] == 0x0D:
                    start -= 1
        edits.append(Edit(start, end, ""))
    return edits


def list_deletions(lists: list[tuple[tuple[int, int], ...]], gone: set[tuple[int, int]]) -> list[Edit]:
    """Edits deleting the elements ``gone`` ((list, index) pairs) of Python lists whose
    element spans are ``lists``: each run of consecutive elements goes with the separator
    after it, or, at the end of the list, with the one before it; a list that empties keeps
    its brackets.  One edit per run, so deletions of neighbours never overlap."""
    edits: list[Edit] = []
    for key, spans in enumerate(lists):
        indexes = sorted(i for k, i in gone if k == key)
        runs: list[list[int]] = []
        for i in indexes:
            if runs and runs[-1][-1] == i - 1:
                runs[-1].append(i)
            else:
                runs.append([i])
        for run in runs:
            first, last = run[0], run[-1]
            if last + 1 < len(spans):
                edits.append(Edit(spans[first][0], spans[last + 1][0], ""))
            elif first > 0 and first - 1 not in indexes:
                edits.append(Edit(spans[first - 1][1], spans[last][1], ""))
            else:
                edits.append(Edit(spans[first][0], spans[last][1], ""))
    return edits
