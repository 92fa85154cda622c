"""Renderers: the JSON report contract, the text report, the unified diff."""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterator, Mapping

from ..checks.rule import Severity

TYPE_CHECKING = False  # typing is not imported at run time (docs/design.md: a one-file run)
if TYPE_CHECKING:
    import json
    from typing import Any

    from ..checks.rule import Finding
    from ..fix.engine import Result

REPORT_VERSION = 1


def json_text(obj: Any, **kwargs: Any) -> str:
    """JSON text that can always be written as UTF-8: non-ASCII text as it is, unless a
    file name that is not UTF-8 (Big5 names on an old system; Python holds their bytes as
    lone surrogates) is in it: then ``\\u`` escapes, which read back to the same name."""
    if kwargs:
        import json

        text = json.dumps(obj, ensure_ascii=False, **kwargs)
    else:
        text = (_ENCODER or _encoder()).encode(obj)
    if not text.isascii():
        try:
            text.encode("utf-8")
        except UnicodeEncodeError:
            import json

            return json.dumps(obj, **kwargs)
    return text


# made once: json.dumps builds a new encoder on every call that passes an option (bulk
# encodes a record per file); made at the first use: a one-file run writing text needs no
# json module (importing it is 3% of that run)
_ENCODER: json.JSONEncoder | None = None


def _encoder() -> json.JSONEncoder:
    global _ENCODER
    import json

    _ENCODER = json.JSONEncoder(ensure_ascii=False)
    return _ENCODER


def json_pieces(obj: Mapping[str, Any]) -> Iterator[str]:
    """``json_text(obj)`` in pieces, which join to the same text, for an object whose
    values may be mappings that are not dicts and make their entries when read (the bulk
    summary's users): an entry at a time is encoded, never the whole object at once, and
    no piece is kept (a first pass only asks whether every piece can be written as UTF-8)."""
    encoder = _ENCODER or _encoder()
    try:
        for piece in _pieces(obj, encoder):
            if not piece.isascii():
                piece.encode("utf-8")
    except UnicodeEncodeError:  # a name that is not UTF-8 somewhere: \u escapes, as json_text
        import json

        encoder = json.JSONEncoder()
    yield from _pieces(obj, encoder)


def _pieces(obj: Mapping[str, Any], encoder: json.JSONEncoder) -> Iterator[str]:
    yield "{"
    for i, (key, value) in enumerate(obj.items()):
        yield (", " if i else "") + encoder.encode(key) + ": "
        if isinstance(value, Mapping) and not isinstance(value, dict):
            yield "{"
            for j, (k, v) in enumerate(value.items()):
                yield (", " if j else "") + encoder.encode(k) + ": " + encoder.encode(v)
            yield "}"
        else:
            yield encoder.encode(value)
    yield "}"


def json_outline(obj: Mapping[str, Any]) -> str:
    """A JSON object laid out for reading: one line per key, and one line per entry of a
    value that is itself an object (a user, a rule), each written compactly.  The same
    data as ``json_text(obj, indent=2)`` at a fraction of its cost (``indent`` makes the
    json module use its pure-Python encoder, slow on a summary of 10,000 users)."""
    return "".join(json_outline_pieces(obj))


def json_outline_pieces(obj: Mapping[str, Any]) -> Iterator[str]:
    """:func:`json_outline` a line at a time (an entry of a mapping made when read, such as
    the bulk summary's users, is encoded when its line is written)."""
    if not obj:
        yield "{}"
        return
    yield "{\n"
    for i, (key, value) in enumerate(obj.items()):
        lead = ",\n" if i else ""
        if isinstance(value, Mapping) and value:
            yield f"{lead}  {json_text(key)}: {{\n"
            for j, (k, v) in enumerate(value.items()):
                yield (",\n" if j else "") + f"    {json_text(k)}: {json_text(v)}"
            yield "\n  }"
        else:  # an empty mapping that is not a dict is written as the {} it is
            yield f"{lead}  {json_text(key)}: {json_text({} if isinstance(value, Mapping) else value)}"
    yield "\n}"


def md_code(text: str, in_table: bool = False) -> str:
    """``text`` as one Markdown code span whatever it holds (a file name, an image path
    from a script): a backtick or a newline in it must not end the span, the list or the
    table.  In a table cell a ``|`` is escaped too (GFM splits cells even inside spans)."""
    if not text.isprintable():
        text = "".join(c if c.isprintable() else repr(c)[1:-1] for c in text)
    fence = "`" * (max((len(r) for r in re.findall(r"`+", text)), default=0) + 1) if "`" in text else "`"
    pad = " " if text.startswith("`") or text.endswith("`") else ""
    span = f"{fence}{pad}{text}{pad}{fence}"
    return span.replace("|", "\\|") if in_table else span


def md_text(text: str) -> str:
    """Plain text (a user name from the system) in a Markdown heading, list or table."""
    if not text.isprintable():
        text = "".join(c if c.isprintable() else " " for c in text)
    return re.sub(r"([\\`*_{}\[\]<>()#+!|])", r"\\\1", text)


def finding_dict(result: Result, f: Finding) -> dict[str, Any]:
    src = result.source
    start = src.position(f.start)
    end = src.position(max(f.start, f.end))
    out = {
        "code": f.code,
        "rule": f.rule,
        "severity": f.severity.value,
        "line": start.line,
        "column": start.column,
        "end_line": end.line,
        "end_column": end.column,
        "message": f.message,
        "fixed": f.fixed,
    }
    if f.subject is not None:
        out["subject"] = f.subject
    if f.unsafe_fix:
        out["unsafe_fix"] = True
    return out


def file_dict(result: Result, path: str | None = None) -> dict[str, Any]:
    out: dict[str, Any] = {
        "path": path or result.source.path,
        "changed": result.changed,
        "findings": [finding_dict(result, f) for f in result.findings],
    }
    if result.format:
        out["format"] = result.format  # a workflow manager's config, not a job script
    return out


def summary(files: list[dict[str, Any]], failures: int = 0) -> dict[str, Any]:
    counts: Counter[str] = Counter()
    fixed = 0
    remaining_errors = 0
    for f in files:
        for item in f["findings"]:
            counts[item["severity"]] += 1
            fixed += item["fixed"]
            remaining_errors += item["severity"] == "error" and not item["fixed"]
    return {
        "files": len(files),
        "changed": sum(1 for f in files if f["changed"]),
        "unreadable": failures,
        "findings": {s.value: counts.get(s.value, 0) for s in Severity},
        "fixed": fixed,
        "errors_remaining": remaining_errors,
    }


def json_report(files: list[dict[str, Any]], failures: int = 0) -> str:
    doc = {"version": REPORT_VERSION, "files": files, "summary": summary(files, failures)}
    return json_text(doc, indent=2) + "\n"


_COLOUR = {"error": "red", "warning": "yellow", "info": "cyan"}


def text_lines(file: dict[str, Any], written: bool = True, colour: bool = False) -> list[str]:
    """``path:line:col: CODE [severity] message (fixed)``; "(fixable)" when nothing is
    written; ``colour``: the location bold, the code and severity in the severity's colour."""
    from .terminal import style

    out = []
    for item in file["findings"]:
        fixed = (" (fixed)" if written else " (fixable)") if item["fixed"] else ""
        if item.get("unsafe_fix"):
            fixed = " (unsafe fix: --unsafe-fixes)"
        where = f"{file['path']}:{item['line']}:{item['column']}:"
        what = f"{item['code']} [{item['severity']}]"
        if colour:
            where = style(where, bold=True)
            what = style(what, fg=_COLOUR[item["severity"]])
        out.append(f"{where} {what} {item['message']}{fixed}")
    return out


def statistics_lines(files: list[dict[str, Any]]) -> list[str]:
    """Counts per rule, most frequent first (as ``ruff --statistics``): ``12  SM301
    ucx-fabric-variable  warning  (3 fixable)``."""
    counts: Counter[tuple[str, str, str]] = Counter()
    fixable: Counter[str] = Counter()
    for f in files:
        for item in f["findings"]:
            counts[(item["code"], item["rule"], item["severity"])] += 1
            fixable[item["code"]] += bool(item["fixed"])
    width = len(str(max(counts.values(), default=0)))
    out = []
    for (code, rule, severity), n in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0])):
        fix = f"  ({fixable[code]} fixable)" if fixable[code] else ""
        out.append(f"{n:>{width}}  {code}  {rule}  {severity}{fix}")
    return out


def summary_line(files: list[dict[str, Any]], failures: int = 0, written: bool = True) -> str:
    """``3 files, 2 changed; 1 error, 4 warnings, 2 info (3 fixed, 0 errors remaining)``;
    with nothing written (``--check``, ``--diff``): ``would change`` and ``fixable``."""
    s = summary(files, failures)
    f = s["findings"]
    changed, fixed = ("changed", "fixed") if written else ("would change", "fixable")
    text = (
        f"{counted(s['files'], 'file')}, {s['changed']} {changed}; {counted(f['error'], 'error')}, "
        f"{counted(f['warning'], 'warning')}, {f['info']} info ({s['fixed']} {fixed}, "
        f"{counted(s['errors_remaining'], 'error')} remaining)"
    )
    if failures:
        text += f"; {failures} unreadable"
    hidden = sum(1 for f in files for item in f["findings"] if item.get("unsafe_fix"))
    if hidden:
        text += f"; {counted(hidden, 'unsafe fix')} withheld (--unsafe-fixes applies {'it' if hidden == 1 else 'them'})"
    return text


def fixes_lines(files: list[dict[str, Any]], written: bool = True) -> list[str]:
    """What was fixed, per file and rule (as ``ruff --show-fixes``): ``Fixed 3 findings:``
    then ``- job.sh:`` and ``    2 × SM101 (partition-rename)``."""
    per_file = []
    total = 0
    for f in files:
        counts: Counter[tuple[str, str]] = Counter((i["code"], i["rule"]) for i in f["findings"] if i["fixed"])
        if counts:
            total += sum(counts.values())
            per_file.append((f["path"], counts))
    if not total:
        return ["No fixes applied." if written else "No fixes available."]
    out = [f"{'Fixed' if written else 'Would fix'} {counted(total, 'finding')}:"]
    for path, counts in per_file:
        out.append(f"- {path}:")
        out += [f"    {n} × {code} ({rule})" for (code, rule), n in sorted(counts.items())]
    return out


def counted(n: int, noun: str) -> str:
    return f"{n} {noun}" if n == 1 else f"{n} {noun}s"


def diff(result: Result, path: str) -> str:
    src = result.source
    old = src.text
    new_source = result.output.decode(src.encoding if not src.is_identity else "utf-8", "replace")
    import difflib

    lines = difflib.unified_diff(
        old.splitlines(keepends=True),
        new_source.splitlines(keepends=True),
        f"a/{path.lstrip('/')}",
        f"b/{path.lstrip('/')}",
    )
    out = []
    for line in lines:
        out.append(line if line.endswith("\n") else line + "\n\\ No newline at end of file\n")
    return "".join(out)
