"""SARIF 2.1.0 for code-scanning services (GitHub, GitLab, Azure DevOps)."""

from __future__ import annotations

import hashlib
import os
import urllib.parse
from typing import Any

from .report import json_text

_SARIF_LEVEL = {"error": "error", "warning": "warning", "info": "note"}
SARIF_SCHEMA = "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json"


DOCS = "https://github.com/sbatch-migrate/sbatch-migrate/blob/main/docs/rules.md"
# rule kinds by code block: what a code-scanning service files them under
_TAGS = {"SM0": "directives", "SM1": "partitions", "SM2": "modules", "SM3": "fabric", "SM4": "containers"}
_TAGS |= {"SM5": "resources", "SM6": "paths", "SM9": "tool"}


def git_top(start: str) -> str | None:
    """The work tree holding ``start`` (the nearest folder above with a ``.git``), if any."""
    folder = os.path.abspath(start)
    while True:
        if os.path.exists(os.path.join(folder, ".git")):
            return folder
        parent = os.path.dirname(folder)
        if parent == folder:
            return None
        folder = parent


def _quoted(path: str) -> str:
    # a URI reference (RFC 3986): spaces, non-ASCII and bytes that are not UTF-8 escaped
    return urllib.parse.quote(os.fsencode(path), safe="/")


def utf16_columns(line_text: str, column: int) -> int:
    """A 1-based column counted in code points, counted in UTF-16 code units (what GitHub
    reads SARIF columns as: an emoji is two)."""
    return len(line_text[: column - 1].encode("utf-16-le")) // 2 + 1


def sarif_report(
    files: list[dict[str, Any]],
    lines: list[list[str]] | None = None,
    root: str | None = None,
    notifications: list[str] | None = None,
) -> str:
    """SARIF 2.1.0: one run, the rules as reportingDescriptors, one result per finding.

    ``lines``: each file's lines (as text), to count columns in UTF-16 code units
    (``columnKind``); ``root``: the folder URIs are relative to (``originalUriBaseIds``
    SRCROOT; default: the git work tree of the current folder, else the folder itself);
    a file outside it is named by an absolute ``file://`` URI.  ``notifications``: files
    that could not be read, as tool execution notifications."""
    from .. import __version__
    from ..checks import RULES

    index = {r.code: i for i, r in enumerate(RULES)}
    rules = [
        {
            "id": r.code,
            "name": r.name,
            "shortDescription": {"text": r.summary},
            "fullDescription": {"text": r.doc().split("\n## ", 1)[0].removeprefix("## What it does\n").strip()},
            "help": {"text": r.doc(), "markdown": r.doc()},
            "helpUri": f"{DOCS}#{r.code.lower()}-{r.name}",
            "defaultConfiguration": {"level": _SARIF_LEVEL[r.severity.value]},
            "properties": {
                "fix": r.fix,
                "tags": ["slurm-migration", _TAGS.get(r.code[:3], "other")],
                "precision": "high" if r.severity.value == "error" else "medium",
                "problem.severity": {"error": "error", "warning": "warning", "info": "recommendation"}[
                    r.severity.value
                ],
            },
        }
        for r in RULES
    ]
    top = os.path.abspath(root) if root else (git_top(os.getcwd()) or os.getcwd())
    results = []
    for n, f in enumerate(files):
        path = f["path"]
        absolute = os.path.abspath(path)
        if absolute == top or absolute.startswith(top.rstrip("/") + "/"):
            where: dict[str, Any] = {"uri": _quoted(os.path.relpath(absolute, top)), "uriBaseId": "SRCROOT"}
        else:
            where = {"uri": "file://" + _quoted(absolute)}
        text = lines[n] if lines is not None else None
        seen: dict[str, int] = {}
        for item in f["findings"]:
            start, end = item["column"], item["end_column"]
            if text is not None:
                if 0 < item["line"] <= len(text):
                    start = utf16_columns(text[item["line"] - 1], start)
                if 0 < item["end_line"] <= len(text):
                    end = utf16_columns(text[item["end_line"] - 1], end)
            key = f"{item['code']}\0{item['message']}"
            seen[key] = seen.get(key, 0) + 1
            results.append(
                {
                    "ruleId": item["code"],
                    "ruleIndex": index[item["code"]],
                    "level": _SARIF_LEVEL[item["severity"]],
                    "message": {"text": item["message"]},
                    "locations": [
                        {
                            "physicalLocation": {
                                "artifactLocation": where,
                                "region": {
                                    "startLine": item["line"],
                                    "startColumn": start,
                                    "endLine": item["end_line"],
                                    "endColumn": end,
                                },
                            }
                        }
                    ],
                    # the same finding in the next run, wherever its line moved
                    "partialFingerprints": {
                        "sbatchMigrate/v1": hashlib.sha256(
                            f"{path}\0{key}\0{seen[key]}".encode("utf-8", "surrogateescape")
                        ).hexdigest()
                    },
                    "properties": {"fixed": item["fixed"]},
                }
            )
    doc = {
        "$schema": SARIF_SCHEMA,
        "version": "2.1.0",
        "runs": [
            {
                "tool": {
                    "driver": {
                        "name": "sbatch-migrate",
                        "version": __version__,
                        "informationUri": "https://github.com/sbatch-migrate/sbatch-migrate",
                        "rules": rules,
                    }
                },
                "columnKind": "utf16CodeUnits" if lines is not None else "unicodeCodePoints",
                "originalUriBaseIds": {"SRCROOT": {"uri": "file://" + _quoted(top.rstrip("/") + "/")}},
                "invocations": [
                    {
                        "executionSuccessful": not notifications,
                        "toolExecutionNotifications": [
                            {"level": "error", "message": {"text": note}} for note in notifications or []
                        ],
                    }
                ],
                "results": results,
            }
        ],
    }
    return json_text(doc, indent=2) + "\n"
