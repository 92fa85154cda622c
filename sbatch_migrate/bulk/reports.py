"""Bulk reports: per file and per user, as JSON (machines), Markdown and one HTML page.

Records stream in one at a time (``files.jsonl``); the :class:`Aggregate` keeps only
counters and a bounded list of blocking files per user, so memory stays flat however many
files there are.  ``merge-reports`` feeds several shards' ``files.jsonl`` through the same
aggregate.
"""

from __future__ import annotations

import bisect
import json
from collections import Counter, defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any, NamedTuple

from .. import __version__
from ..output.report import REPORT_VERSION, json_outline, json_text, md_code, md_text
from .ownfolder import OwnFolder

BLOCKING_PER_USER = 50
# a file in one of these states was not migrated and needs someone to look: its user is
# not ready, the run's exit code says so, and the report lists it for a human
NOT_DONE = frozenset({"write-failed", "error", "skipped-changed", "unreadable"})


@dataclass
class UserStats:
    files: int = 0
    changed: int = 0
    errors: int = 0  # unfixed error findings
    warnings: int = 0
    blocked_files: int = 0
    blocking: list[tuple[str, list[str]]] = field(default_factory=list)  # (path, codes), bounded
    not_done: int = 0  # files in a NOT_DONE state
    unfinished: list[tuple[str, str, str]] = field(default_factory=list)  # (path, status, detail), bounded

    @property
    def ready(self) -> bool:
        return self.blocked_files == 0 and self.not_done == 0


class Tally(NamedTuple):
    """What the aggregate counts of one record: a job script's, or a file's that was not
    done (NOT_DONE: counted against its user)."""

    path: str
    user: str
    changed: bool
    findings: tuple[tuple[str, str, str, bool], ...]  # (code, rule, severity, fixed)
    status: str = ""
    detail: str = ""
    job_script: bool = True


def tally_of(record: dict[str, Any]) -> Tally | None:
    status = record.get("status", "")
    if "findings" not in record:
        if status in NOT_DONE and record.get("user"):
            return Tally(record["path"], record["user"], False, (), status, record.get("detail", ""), False)
        return None
    return Tally(
        record["path"],
        record.get("user") or "?",
        bool(record["changed"]),
        tuple((f["code"], f["rule"], f["severity"], f["fixed"]) for f in record["findings"]),
        status,
        record.get("detail", "") if status in NOT_DONE else "",
    )


@dataclass
class Aggregate:
    statuses: Counter[str] = field(default_factory=Counter)
    rules: Counter[str] = field(default_factory=Counter)
    rules_fixed: Counter[str] = field(default_factory=Counter)
    severities: Counter[str] = field(default_factory=Counter)
    rule_names: dict[str, str] = field(default_factory=dict)
    users: dict[str, UserStats] = field(default_factory=lambda: defaultdict(UserStats))
    job_scripts: int = 0
    not_done: int = 0

    def add(self, record: dict[str, Any]) -> None:
        self.add_tally(record["status"], tally_of(record))

    def add_tally(self, status: str, tally: Tally | None) -> None:
        self.statuses[status] += 1
        if tally is None:
            return
        user = self.users[tally.user]
        if status in NOT_DONE:
            self.not_done += 1
            user.not_done += 1
            bisect.insort(user.unfinished, (tally.path, status, tally.detail))
            if len(user.unfinished) > BLOCKING_PER_USER:
                user.unfinished.pop()
        if not tally.job_script:
            return
        self.job_scripts += 1
        user.files += 1
        user.changed += tally.changed
        codes = []
        rules, severities = self.rules, self.severities
        for code, rule, severity, fixed in tally.findings:
            rules[code] += 1
            severities[severity] += 1
            if code not in self.rule_names:
                self.rule_names[code] = rule
            if fixed:
                self.rules_fixed[code] += 1
            elif severity == "error":
                user.errors += 1
                codes.append(code)
            if severity == "warning":
                user.warnings += 1
        if codes:
            user.blocked_files += 1
            # keep the first paths in sorted order: the same report whatever order records came in
            bisect.insort(user.blocking, (tally.path, sorted(set(codes))))
            if len(user.blocking) > BLOCKING_PER_USER:
                user.blocking.pop()

    def summary(self) -> dict[str, Any]:
        users = {
            name: {
                "files": u.files,
                "changed": u.changed,
                "errors": u.errors,
                "warnings": u.warnings,
                "blocked_files": u.blocked_files,
                "ready": u.ready,
                "blocking": [{"path": p, "codes": c} for p, c in u.blocking],
                "not_done": u.not_done,
                "unfinished": [{"path": p, "status": s, "detail": d} for p, s, d in u.unfinished],
            }
            for name, u in sorted(self.users.items())
        }
        return {
            "version": REPORT_VERSION,
            "tool": f"sbatch-migrate {__version__}",
            "files_seen": sum(self.statuses.values()),
            "job_scripts": self.job_scripts,
            "statuses": dict(sorted(self.statuses.items())),
            "findings": {s: self.severities.get(s, 0) for s in ("error", "warning", "info")},
            "rules": {
                code: {"rule": self.rule_names[code], "count": n, "fixed": self.rules_fixed.get(code, 0)}
                for code, n in sorted(self.rules.items())
            },
            "users": users,
            "errors_remaining": sum(u.errors for u in self.users.values()),
            "files_not_done": self.not_done,
            "users_ready": sum(1 for u in self.users.values() if u.ready),
            "users_total": len(self.users),
        }


Records = list[tuple[OwnFolder, str]]  # journals: (folder, file name)


def read_records(sources: Records) -> Iterator[dict[str, Any]]:
    for folder, name in sources:
        with folder.open_read(name) as fh:
            for line in fh:
                if line.strip():
                    yield json.loads(line)


def write_reports(
    folder: OwnFolder, sources: Records, agg: Aggregate | None = None, incomplete: list[str] | None = None
) -> dict[str, Any]:
    """From streamed records: report.json (the report contract: the records of the job
    scripts, then the summary), summary.json, report.md, report.html, each written whole
    (a temporary file renamed into place) in the report folder.  ``agg``: the records
    already counted (a bulk run counts as it goes); else they are read here.
    ``incomplete``: what a partial merge lacks (shards missing or unfinished).  Returns the
    summary."""
    if agg is None:
        agg = Aggregate()
        for record in read_records(sources):
            agg.add(record)
    summary = agg.summary()
    if incomplete:  # a partial merge: what it lacks, said first in every report
        summary = {"incomplete": incomplete, **summary}
    with folder.replacing("report.json") as out:  # records are copied as bytes: UTF-8 both
        out.write(b'{"version": %d, "files": [\n' % REPORT_VERSION)
        first = True
        for source, name in sources:
            with source.open_read(name) as fh:
                for lines in iter(lambda: fh.readlines(1 << 20), []):  # a MiB at a time
                    # job scripts' records (the key cannot occur inside a JSON string)
                    kept = [line.rstrip(b"\n") for line in lines if b'"findings": ' in line]
                    if kept:
                        out.write((b"" if first else b",\n") + b",\n".join(kept))
                        first = False
        out.write(b'\n], "summary": ' + json_text(summary).encode("utf-8") + b"}\n")
    folder.write("summary.json", (json_outline(summary) + "\n").encode("utf-8"))
    folder.write("report.md", markdown(summary).encode("utf-8"))
    folder.write("report.html", html_page(summary).encode("utf-8"))
    return summary


def markdown(s: dict[str, Any]) -> str:
    f = s["findings"]
    st = s["statuses"]
    lines = [
        "# sbatch-migrate bulk report",
        "",
        *[f"> **Incomplete:** {gap}" for gap in s.get("incomplete", [])],
        *([""] if s.get("incomplete") else []),
        f"- **{s['job_scripts']}** job scripts among {s['files_seen']} files looked at",
        f"- **{st.get('written', 0) + st.get('would-change', 0)}** "
        f"{'rewritten' if st.get('written') else 'would change'}, {st.get('unchanged', 0)} need no change",
        f"- **{s['users_ready']} of {s['users_total']}** users ready (no error left to fix by hand)",
        f"- **{s['errors_remaining']}** errors to fix by hand; findings in all: {f['error']} errors "
        f"(the rest fixed), {f['warning']} warnings, {f['info']} info",
        *(
            [f"- **{s['files_not_done']}** files not migrated (write failed, changed meanwhile, or an error)"]
            if s.get("files_not_done")
            else []
        ),
        "",
    ]
    skipped = {k: v for k, v in st.items() if k not in ("written", "would-change", "unchanged")}
    if skipped:
        lines += ["Files not migrated: " + ", ".join(f"{k} {v}" for k, v in skipped.items()), ""]
    blocked = [(name, u) for name, u in s["users"].items() if not u["ready"]]
    lines += ["## Needs a human", ""]
    if not blocked:
        lines += ["Nothing: every error was fixed automatically.", ""]
    for name, u in blocked:
        parts = []
        if u["blocked_files"]:
            parts.append(f"{u['blocked_files']} file(s) with errors")
        if u.get("not_done"):
            parts.append(f"{u['not_done']} file(s) not migrated")
        lines.append(f"### {md_text(name)}: {', '.join(parts)}")
        lines.append("")
        for item in u["blocking"]:
            lines.append(f"- {md_code(item['path'])}: {', '.join(item['codes'])}")
        more = u["blocked_files"] - len(u["blocking"])
        if more > 0:
            lines.append(f"- … and {more} more (see report.json)")
        for item in u.get("unfinished", []):
            detail = f": {md_text(item['detail'])}" if item["detail"] else ""
            lines.append(f"- {md_code(item['path'])}: not migrated ({item['status']}){detail}")
        more = u.get("not_done", 0) - len(u.get("unfinished", []))
        if more > 0:
            lines.append(f"- … and {more} more not migrated (see files.jsonl)")
        lines.append("")
    lines += ["## Findings by rule", "", "| code | rule | findings | fixed |", "|---|---|---:|---:|"]
    for code, r in s["rules"].items():
        lines.append(f"| {code} | {r['rule']} | {r['count']} | {r['fixed']} |")
    lines += [
        "",
        "## Users",
        "",
        "| user | job scripts | changed | errors | warnings | ready |",
        "|---|---:|---:|---:|---:|---|",
    ]
    for name, u in s["users"].items():
        lines.append(
            f"| {md_text(name)} | {u['files']} | {u['changed']} | {u['errors']} | {u['warnings']} | "
            f"{'yes' if u['ready'] else 'no'} |"
        )
    return "\n".join(lines) + "\n"


_PAGE = """<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>sbatch-migrate bulk report</title>
<style>
body{font:14px/1.4 system-ui,sans-serif;margin:2em;color:#222}
h1{font-size:1.5em}.totals span{display:inline-block;margin-right:2em}
.incomplete span{display:block;color:#a00;font-weight:bold}
table{border-collapse:collapse;margin:1em 0}td,th{border:1px solid #ccc;padding:4px 8px;text-align:left}
td.n{text-align:right}.no{color:#b00020;font-weight:bold}.yes{color:#1b5e20}
svg text{font-size:12px}
</style></head><body>
<h1>sbatch-migrate bulk report</h1>
<p class="incomplete" id="incomplete"></p>
<p class="totals" id="totals"></p>
<h2>Findings by rule</h2>
<svg id="chart" role="img" aria-label="findings by rule"></svg>
<h2>Users</h2>
<table id="users"><thead><tr><th>user</th><th>job scripts</th><th>changed</th><th>errors</th>
<th>warnings</th><th>ready</th></tr></thead><tbody></tbody></table>
<script id="data" type="application/json">__DATA__</script>
<script>
const s = JSON.parse(document.getElementById("data").textContent);
(s.incomplete || []).forEach(gap => {
  const e = document.createElement("span"); e.textContent = "Incomplete: " + gap;
  document.getElementById("incomplete").appendChild(e); });
const t = document.getElementById("totals");
[["job scripts", s.job_scripts], ["files looked at", s.files_seen],
 ["users ready", s.users_ready + " of " + s.users_total],
 ["errors to fix by hand", s.errors_remaining], ["errors found", s.findings.error],
 ["warnings", s.findings.warning]].forEach(([k, v]) => {
  const e = document.createElement("span"); e.textContent = k + ": " + v; t.appendChild(e); });
const rules = Object.entries(s.rules).sort((a, b) => b[1].count - a[1].count);
const max = Math.max(1, ...rules.map(r => r[1].count));
const svg = document.getElementById("chart"), NS = "http://www.w3.org/2000/svg", bh = 22;
svg.setAttribute("width", 760); svg.setAttribute("height", rules.length * bh + 10);
rules.forEach(([code, r], i) => {
  const y = i * bh + 5, w = Math.max(1, 420 * r.count / max);
  const label = document.createElementNS(NS, "text");
  label.setAttribute("x", 0); label.setAttribute("y", y + 15); label.textContent = code + " " + r.rule;
  const bar = document.createElementNS(NS, "rect");
  bar.setAttribute("x", 250); bar.setAttribute("y", y); bar.setAttribute("width", w);
  bar.setAttribute("height", bh - 6); bar.setAttribute("fill", "#3f6fb5");
  bar.setAttribute("class", "bar"); bar.setAttribute("data-code", code);
  const n = document.createElementNS(NS, "text");
  n.setAttribute("x", 255 + w); n.setAttribute("y", y + 15); n.textContent = r.count;
  svg.append(label, bar, n);
});
const body = document.querySelector("#users tbody");
Object.entries(s.users).forEach(([name, u]) => {
  const tr = document.createElement("tr"); tr.setAttribute("data-user", name);
  [name, u.files, u.changed, u.errors, u.warnings].forEach((v, i) => {
    const td = document.createElement("td"); td.textContent = v; if (i) td.className = "n"; tr.appendChild(td); });
  const td = document.createElement("td"); td.textContent = u.ready ? "yes" : "no";
  td.className = u.ready ? "yes" : "no"; tr.appendChild(td); body.appendChild(tr);
});
</script>
</body></html>
"""


def html_page(summary: dict[str, Any]) -> str:
    """One self-contained page: the summary is embedded as JSON and drawn by inline script."""
    data = json_text(summary).replace("</", "<\\/")  # cannot close the <script>
    return _PAGE.replace("__DATA__", data)
