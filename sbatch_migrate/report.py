"""Renderers: the JSON report contract, the text report, the unified diff."""

from __future__ import annotations

import difflib
import json
from collections import Counter
from typing import Any

from .engine import Result
from .rule import Finding, Severity

REPORT_VERSION = 1


def finding_dict(result: Result, f: Finding) -> dict[str, Any]:
    src = result.source
    start = src.position(f.start)
    end = src.position(max(f.start, f.end))
    return {
        "code": f.code,
        "rule": f.rule,
        "severity": str(f.severity),
        "line": start.line,
        "column": start.column,
        "end_line": end.line,
        "end_column": end.column,
        "message": f.message,
        "fixed": f.fixed,
    }


def file_dict(result: Result, path: str | None = None) -> dict[str, Any]:
    return {
        "path": path or result.source.path,
        "changed": result.changed,
        "findings": [finding_dict(result, f) for f in result.findings],
    }


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
    return json.dumps(doc, indent=2, ensure_ascii=False) + "\n"


def text_lines(file: dict[str, Any]) -> list[str]:
    out = []
    for item in file["findings"]:
        fixed = " (fixed)" if item["fixed"] else ""
        out.append(
            f"{file['path']}:{item['line']}:{item['column']}: {item['code']} "
            f"[{item['severity']}] {item['message']}{fixed}"
        )
    return out


def summary_line(files: list[dict[str, Any]], failures: int = 0) -> str:
    s = summary(files, failures)
    f = s["findings"]
    noun = "file" if s["files"] == 1 else "files"
    text = (
        f"{s['files']} {noun}, {s['changed']} changed; {f['error']} errors, {f['warning']} warnings, "
        f"{f['info']} info ({s['fixed']} fixed, {s['errors_remaining']} errors remaining)"
    )
    if failures:
        text += f"; {failures} unreadable"
    return text


def diff(result: Result, path: str) -> str:
    src = result.source
    old = src.text
    new_source = result.output.decode(src.encoding if not src.is_identity else "utf-8", "replace")
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
