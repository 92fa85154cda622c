"""GitHub Actions workflow commands (``::error file=…::message``): annotations on the
changed lines of a pull request."""

from __future__ import annotations

from typing import Any


def _gh_escape(text: str, prop: bool = False) -> str:
    text = text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")
    if prop:
        text = text.replace(":", "%3A").replace(",", "%2C")
    return text


def github_lines(file: dict[str, Any]) -> list[str]:
    """GitHub Actions workflow commands: ``::error file=…,line=…::message``."""
    level = {"error": "error", "warning": "warning", "info": "notice"}
    out = []
    for item in file["findings"]:
        props = (
            f"file={_gh_escape(file['path'], True)},line={item['line']},col={item['column']},"
            f"endLine={item['end_line']},endColumn={item['end_column']},"
            f"title={_gh_escape(item['code'] + ' ' + item['rule'], True)}"
        )
        suffix = " (fixable)" if item["fixed"] else ""
        out.append(f"::{level[item['severity']]} {props}::{_gh_escape(item['message'] + suffix)}")
    return out


GITHUB_SHOWN = 10  # annotations of each type GitHub shows per step


def github_overflow(files: list[dict[str, Any]]) -> tuple[list[str], str | None]:
    """When a type has more findings than GitHub shows (it drops the rest silently): a
    plain line saying so on stdout, and a Markdown table of every finding for the job
    summary (``$GITHUB_STEP_SUMMARY``); ``([], None)`` when all are shown."""
    counts = {"error": 0, "warning": 0, "info": 0}
    for f in files:
        for item in f["findings"]:
            counts[item["severity"]] += 1
    over = {k: n for k, n in counts.items() if n > GITHUB_SHOWN}
    if not over:
        return [], None
    said = ", ".join(f"{n} {k}" for k, n in over.items())
    line = (
        f"sbatch-migrate: {said} findings, more than the {GITHUB_SHOWN} per type GitHub shows as "
        "annotations: every finding is in the job summary (and in --format text or sarif)"
    )
    rows = ["| file | line | code | severity | message |", "|---|---|---|---|---|"]
    for f in files:
        for item in f["findings"]:
            cells = [f["path"], str(item["line"]), item["code"], item["severity"], item["message"]]
            rows.append("| " + " | ".join(c.replace("|", "\\|").replace("\n", " ") for c in cells) + " |")
    return [line], "## sbatch-migrate findings\n\n" + "\n".join(rows) + "\n"
