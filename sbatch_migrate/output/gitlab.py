"""GitLab Code Quality (a JSON array of issues, the format `artifacts:reports:codequality`
takes): merge requests show them beside the changed lines."""

from __future__ import annotations

import hashlib
from typing import Any

from .report import json_text

# GitLab's severities: info, minor, major, critical, blocker
_SEVERITY = {"error": "critical", "warning": "major", "info": "info"}


def gitlab_report(files: list[dict[str, Any]]) -> str:
    issues = []
    for f in files:
        seen: dict[str, int] = {}
        for item in f["findings"]:
            # stable across runs and line moves: the file, the rule and the message, with
            # a counter for repeats (GitLab matches issues between pipelines by it)
            key = f"{f['path']}\0{item['code']}\0{item['message']}"
            seen[key] = seen.get(key, 0) + 1
            fingerprint = hashlib.sha256(f"{key}\0{seen[key]}".encode("utf-8", "surrogateescape")).hexdigest()
            issues.append(
                {
                    "description": f"{item['code']} {item['message']}" + (" (fixable)" if item["fixed"] else ""),
                    "check_name": f"{item['code']} {item['rule']}",
                    "fingerprint": fingerprint,
                    "severity": _SEVERITY[item["severity"]],
                    "location": {
                        "path": f["path"].removeprefix("./"),
                        "lines": {"begin": item["line"], "end": item["end_line"]},
                    },
                }
            )
    return json_text(issues, indent=2) + "\n"
