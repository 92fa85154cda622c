"""Bulk reports: per file and per user, as JSON (machines), Markdown and one HTML page.

Records stream in one at a time (``files.jsonl``); the :class:`Aggregate` keeps only
counters and a bounded list of blocking files per user, so memory grows with the users,
not the files; the reports are written from it a piece at a time (a user's entry made
when it is written: :class:`UserTable`).  ``merge-reports`` feeds several shards' ``files.jsonl`` through the same
aggregate.
"""

from __future__ import annotations

import bisect
import json
from collections import Counter, defaultdict
from collections.abc import Iterable, Iterator, Mapping
from typing import IO, Any, TypeVar

from .. import __version__
from ..output.report import REPORT_VERSION, counted, json_outline_pieces, json_pieces, json_text, md_code, md_text
from ..record import NamedTuple, field, record
from ..site.decisions import markdown_lines, mount_claim, top_folder
from .ownfolder import OwnFolder

BLOCKING_PER_USER = 50
# the HTML report shows the files that need a human with their findings and diff, bounded
# so that the page stays one usable file for any number of files (it says what it leaves out)
DETAIL_FILES = 500
DETAIL_PER_USER = 20
DETAIL_FINDINGS = 20  # per file (each message at most MESSAGE_CHARS)
MESSAGE_CHARS = 400
DIFF_BYTES = 8192  # per file (the diff is cut at a line boundary, and says so)
# a file in one of these states was not migrated and needs someone to look: its user is
# not ready, the run's exit code says so, and the report lists it for a human
NOT_DONE = frozenset({"write-failed", "error", "skipped-changed", "unreadable"})
# findings that say the tool did not read a file's body (SM903: csh, another interpreter),
# a note by severity: nothing can be said of what is there, so the file needs a human and
# its user is not ready.  (A submission config it does not read is an error, SM911.)
NOT_ANALYSED = frozenset({"SM903"})
_W = TypeVar("_W")  # where an offered file's record is


@record(slots=True)
class UserStats:
    files: int = 0
    changed: int = 0
    errors: int = 0  # unfixed error findings
    warnings: int = 0
    blocked_files: int = 0
    blocking: list[tuple[str, tuple[str, ...]]] = field(default_factory=list)  # (path, codes), bounded
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
    findings: tuple[tuple[str, str, str, bool, str], ...]  # (code, rule, severity, fixed, group)
    status: str = ""
    detail: str = ""
    job_script: bool = True


def bounded_diff(result: Any, path: str) -> str:
    """The unified diff of a migration, at most DIFF_BYTES (cut at a line, and said)."""
    from ..output.report import diff

    return _bounded(diff(result, path))


def _bounded(text: str) -> str:
    if len(text) <= DIFF_BYTES:
        return text
    cut = text.rfind("\n", 0, DIFF_BYTES) + 1
    rest = text[cut:].count("\n")
    return text[:cut] + f"… {rest} more diff lines (run sbatch-migrate --diff on the file)\n"


def _detail(record: dict[str, Any]) -> dict[str, Any]:
    """What the HTML report shows of a file that needs a human."""
    findings = [{k: f[k] for k in ("line", "code", "severity", "message", "fixed")} for f in record["findings"]]
    for f in findings:
        if len(f["message"]) > MESSAGE_CHARS:
            f["message"] = f["message"][: MESSAGE_CHARS - 1] + "…"
    findings.sort(key=lambda f: (f["fixed"], {"error": 0, "warning": 1, "info": 2}.get(f["severity"], 3), f["line"]))
    return {
        "path": record["path"],
        "status": record.get("status", ""),
        "findings": findings[:DETAIL_FINDINGS],
        "more_findings": max(0, len(findings) - DETAIL_FINDINGS),
        "diff": _bounded(record.get("diff", "")),
    }


def first_details(offers: list[tuple[tuple[str, str], _W]]) -> list[tuple[tuple[str, str], _W]]:
    """Of the files offered for the drill-down (``(user, path)``, where its record is), the
    ones an aggregate can keep: the first DETAIL_PER_USER of each user, then the first
    DETAIL_FILES of those, in (user, path) order.  The first of a union are among the
    first of each part: a part's offers cut so lose nothing (:meth:`Aggregate.merge`)."""
    per_user: Counter[str] = Counter()
    kept = []
    for offer in sorted(offers, key=lambda o: o[0]):
        per_user[offer[0][0]] += 1
        if per_user[offer[0][0]] <= DETAIL_PER_USER:
            kept.append(offer)
            if len(kept) == DETAIL_FILES:
                break
    return kept


def count_folder(
    statuses: dict[str, int], tallied: list[tuple[str, Tally | None, int, int]]
) -> tuple[Aggregate, list[tuple[tuple[str, str], int, int]]]:
    """A folder's records counted (``statuses`` counts them all; ``tallied``: those the
    aggregate reads, with where each record is), without details, and the files the
    drill-down may show: (user, path), where the record is."""
    agg = Aggregate()
    return agg, agg.add_folder(statuses, tallied)


def group_of(finding: dict[str, Any]) -> str:
    """What a finding shares with others across files that one site decision settles: for
    an unmounted path (SM601), its top folder (a claim mounted there covers it); else ""."""
    if finding["code"] == "SM601" and not finding["fixed"]:
        return top_folder(finding.get("subject") or "") or ""
    return ""


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
        tuple((f["code"], f["rule"], f["severity"], f["fixed"], group_of(f)) for f in record["findings"]),
        status,
        record.get("detail", "") if status in NOT_DONE else "",
    )


@record
class Aggregate:
    statuses: Counter[str] = field(default_factory=Counter)
    rules: Counter[str] = field(default_factory=Counter)
    rules_fixed: Counter[str] = field(default_factory=Counter)
    severities: Counter[str] = field(default_factory=Counter)
    rule_names: dict[str, str] = field(default_factory=dict)
    users: dict[str, UserStats] = field(default_factory=lambda: defaultdict(UserStats))
    job_scripts: int = 0
    not_done: int = 0
    # unmounted paths by top folder: [findings, files, users]
    mount_gaps: dict[str, list[Any]] = field(default_factory=dict)
    # files that need a human, for the HTML report: (user, path) in order, bounded
    detail_keys: list[tuple[str, str]] = field(default_factory=list)
    details: dict[tuple[str, str], dict[str, Any]] = field(default_factory=dict)
    detail_users: Counter[str] = field(default_factory=Counter)
    _codes: dict[tuple[str, ...], tuple[str, ...]] = field(default_factory=dict, repr=False, compare=False)

    def add(self, record: dict[str, Any]) -> None:
        self.add_tally(record["status"], tally_of(record), record)

    def add_folder(
        self, statuses: dict[str, int], tallied: list[tuple[str, Tally | None, int, int]], lines: str | None = None
    ) -> list[tuple[tuple[str, str], int, int]]:
        """Count a folder's records at once: ``statuses`` counts them all, ``tallied`` holds
        those the aggregate reads (status, tally, and where the record's JSON line is in
        ``lines``: start, end).  Without ``lines``, no details are kept: returned are the
        files the drill-down may show, (user, path) and where the record is."""
        self.statuses.update(statuses)
        offers = []
        for status, tally, start, end in tallied:
            self.statuses[status] -= 1  # counted above
            needs_human = self.add_tally(status, tally, None if lines is None else lines[start:end])
            if needs_human and lines is None and tally is not None:
                offers.append(((tally.user, tally.path), start, end))
        return offers

    def add_tally(self, status: str, tally: Tally | None, record: dict[str, Any] | str | None = None) -> bool:
        """Count one file; ``record`` (its record, or the JSON line of it) gives the HTML
        report the findings and diff of a file that needs a human.  True when the file
        needs one (its details may be shown: :meth:`offer`)."""
        self.statuses[status] += 1
        if tally is None:
            return False
        user = self.users[tally.user]
        if status in NOT_DONE:
            self.not_done += 1
            user.not_done += 1
            bisect.insort(user.unfinished, (tally.path, status, tally.detail))
            if len(user.unfinished) > BLOCKING_PER_USER:
                user.unfinished.pop()
        if not tally.job_script:
            return False
        self.job_scripts += 1
        user.files += 1
        user.changed += tally.changed
        codes = []
        rules, severities = self.rules, self.severities
        tops = set()
        for code, rule, severity, fixed, group in tally.findings:
            if group:
                gap = self.mount_gaps.setdefault(group, [0, 0, set()])
                gap[0] += 1
                if group not in tops:
                    tops.add(group)
                    gap[1] += 1
                    gap[2].add(tally.user)
            rules[code] += 1
            severities[severity] += 1
            if code not in self.rule_names:
                self.rule_names[code] = rule
            if fixed:
                self.rules_fixed[code] += 1
            elif severity == "error":
                user.errors += 1
                codes.append(code)
            elif code in NOT_ANALYSED:
                codes.append(code)
            if severity == "warning":
                user.warnings += 1
        if codes:
            user.blocked_files += 1
            # keep the first paths in sorted order: the same report whatever order records came in
            key = tuple(sorted(set(codes)))
            # one tuple per set of codes, shared by the users' entries (10,000 users keep 500,000)
            bisect.insort(user.blocking, (tally.path, self._codes.setdefault(key, key)))
            if len(user.blocking) > BLOCKING_PER_USER:
                user.blocking.pop()
            if record is not None:
                self.offer((tally.user, tally.path), record)
        return bool(codes)

    def offer(self, key: tuple[str, str], record: dict[str, Any] | str) -> None:
        """Keep the details of the file ``key`` (user, path), which needs a human, if it is
        among the first DETAIL_PER_USER of its user and the first DETAIL_FILES in all, by
        (user, path): the same page whatever the order."""
        if not self._admits(key):
            return
        if isinstance(record, str):
            try:
                record = json.loads(record)
            except ValueError:
                return
        assert isinstance(record, dict)
        self._insert(key, _detail(record))

    def _insert(self, key: tuple[str, str], detail: dict[str, Any]) -> None:
        keys = self.detail_keys
        bisect.insort(keys, key)
        self.details[key] = detail
        self.detail_users[key[0]] += 1
        if self.detail_users[key[0]] > DETAIL_PER_USER:
            self._drop(keys[bisect.bisect_left(keys, (key[0], "\U0010ffff")) - 1])
        if len(keys) > DETAIL_FILES:
            self._drop(keys[-1])

    def merge(self, other: Aggregate) -> None:
        """Count in what ``other`` counted (a worker's aggregate of the files of one part):
        the same aggregate as if its files had been added here one by one.  Every kept list
        holds the first entries in sorted order, and the first of a union are among the
        first of each side: the bounded lists merge by keeping the first of both."""
        self.merge_counts(other.counts())
        for key in other.detail_keys:
            if self._admits(key):
                self._insert(key, other.details[key])

    def counts(self) -> list[Any]:
        """The counts as plain JSON values (what the cache keeps of a folder; not the
        details), for :meth:`merge_counts`."""
        users = {
            name: [u.files, u.changed, u.errors, u.warnings, u.blocked_files, u.not_done, u.blocking, u.unfinished]
            for name, u in self.users.items()
        }
        gaps = {group: [n, files, sorted(users)] for group, (n, files, users) in self.mount_gaps.items()}
        # plain dicts, not the Counters: a Counter is unpickled through Python code (four
        # per part, a tenth of what the main process took to read the workers' results)
        return [dict(self.statuses), dict(self.rules), dict(self.rules_fixed), dict(self.severities),
                self.rule_names, self.job_scripts, self.not_done, users, gaps]  # fmt: skip

    def merge_counts(self, counts: list[Any]) -> None:
        """Count in what :meth:`counts` gave (decoded from JSON), as :meth:`merge` does an
        aggregate's, without making one (a folder answered from the cache holds a few)."""
        statuses, rules, fixed, severities, names, job_scripts, not_done, users, gaps = counts
        self.statuses.update(statuses)
        self.rules.update(rules)
        self.rules_fixed.update(fixed)
        self.severities.update(severities)
        for code, name in names.items():
            self.rule_names.setdefault(code, name)
        self.job_scripts += job_scripts
        self.not_done += not_done
        for name, (files, changed, errors, warnings, blocked, nd, blocking, unfinished) in users.items():
            mine = self.users[name]
            mine.files += files
            mine.changed += changed
            mine.errors += errors
            mine.warnings += warnings
            mine.blocked_files += blocked
            mine.not_done += nd
            if blocking:
                codes = self._codes
                theirs = [(path, codes.setdefault(c, c)) for path, c in ((p, tuple(c)) for p, c in blocking)]
                mine.blocking = sorted(mine.blocking + theirs)[:BLOCKING_PER_USER]
            if unfinished:
                theirs_u = [(path, status, detail) for path, status, detail in unfinished]
                mine.unfinished = sorted(mine.unfinished + theirs_u)[:BLOCKING_PER_USER]
        for group, (n, files, users_) in gaps.items():
            gap = self.mount_gaps.setdefault(group, [0, 0, set()])
            gap[0] += n
            gap[1] += files
            gap[2].update(users_)

    def _admits(self, key: tuple[str, str]) -> bool:
        """``key`` would be kept: not kept yet, and among the first of its user and of all."""
        keys = self.detail_keys
        if key in self.details:
            return False
        if len(keys) >= DETAIL_FILES and key > keys[-1]:
            return False
        if self.detail_users[key[0]] >= DETAIL_PER_USER:
            last = keys[bisect.bisect_left(keys, (key[0], "\U0010ffff")) - 1]
            if key > last:
                return False
        return True

    def _drop(self, key: tuple[str, str]) -> None:
        self.detail_keys.remove(key)
        del self.details[key]
        self.detail_users[key[0]] -= 1

    def drill_down(self) -> dict[str, Any]:
        """The HTML report's per-user details: what is shown, and how much is left out."""
        users: dict[str, list[dict[str, Any]]] = {}
        for key in self.detail_keys:
            users.setdefault(key[0], []).append(self.details[key])
        needing = sum(u.blocked_files for u in self.users.values())
        return {
            "users": users,
            "shown": len(self.detail_keys),
            "needing": needing,
            "limits": {"files": DETAIL_FILES, "per_user": DETAIL_PER_USER, "findings": DETAIL_FINDINGS},
        }

    def summary(self, lazy: bool = False) -> dict[str, Any]:
        """The run's summary (summary.json); ``lazy``: its ``users`` a :class:`UserTable`,
        each user's entry made when read (the reports are written from it: the entries of
        10,000 users as dicts took 240 MB)."""
        table = UserTable(self.users)
        users: Mapping[str, dict[str, Any]] = table if lazy else dict(table.items())
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
            "decisions": self.decisions(),
        }

    def decisions(self) -> list[dict[str, Any]]:
        """The site decisions that settle most, first: a claim mounted at the top folder of
        unmounted paths covers them all (inventory says whether they are only read)."""
        out = []
        for top, (n, files, users) in sorted(self.mount_gaps.items(), key=lambda kv: (-kv[1][0], kv[0])):
            out.append(
                {"mount": top, "findings": n, "files": files, "users": len(users), **mount_claim(top, read_only=False)}
            )
        return out


class UserTable(Mapping[str, dict[str, Any]]):
    """The summary's users by name, in name order, each entry made from its
    :class:`UserStats` when it is read and not kept."""

    def __init__(self, users: dict[str, UserStats]):
        self._users = users
        self._names = sorted(users)

    def __getitem__(self, name: str) -> dict[str, Any]:
        u = self._users[name]
        return {
            "files": u.files,
            "changed": u.changed,
            "errors": u.errors,
            "warnings": u.warnings,
            "blocked_files": u.blocked_files,
            "ready": u.ready,
            "blocking": [{"path": p, "codes": list(c)} for p, c in u.blocking],
            "not_done": u.not_done,
            "unfinished": [{"path": p, "status": s, "detail": d} for p, s, d in u.unfinished],
        }

    def __iter__(self) -> Iterator[str]:
        return iter(self._names)

    def __len__(self) -> int:
        return len(self._names)


Records = list[tuple[OwnFolder, str]]  # journals: (folder, file name)


def read_records(sources: Records) -> Iterator[dict[str, Any]]:
    for folder, name in sources:
        with folder.open_read(name) as fh:
            for line in fh:
                if line.strip():
                    yield json.loads(line)


_JOB_KEY = b'"findings": '  # in a job script's record only (it cannot occur inside a JSON string)


def _job_records(fh: IO[bytes], size: int = 1 << 20) -> Iterator[list[bytes]]:
    """The job scripts' lines of a records file (no newline), a MiB of the file at a time.
    About one record in a hundred is a job script's: each block is searched for the key
    and only the lines holding it are cut out, instead of testing every line."""
    rest = b""
    while True:
        block = fh.read(size)
        if not block:
            break
        block = rest + block
        end = block.rfind(b"\n") + 1  # whole lines only: a partial last line waits for the next block
        block, rest = block[:end], block[end:]
        kept: list[bytes] = []
        at = block.find(_JOB_KEY)
        while at >= 0:
            start = block.rfind(b"\n", 0, at) + 1
            stop = block.find(b"\n", at)
            kept.append(block[start:stop])
            at = block.find(_JOB_KEY, stop)
        if kept:
            yield kept
    if rest.find(_JOB_KEY) >= 0:  # a last line without its newline
        yield [rest]


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
    summary = agg.summary(lazy=True)
    if incomplete:  # a partial merge: what it lacks, said first in every report
        summary = {"incomplete": incomplete, **summary}
    # every report is written a piece at a time: no report, and no user's entry, is ever
    # whole in memory (the summary of 10,000 users as one text, copied to encode it and to
    # fill the page, was most of a run's memory)
    with folder.replacing("report.json") as out:  # records are copied as bytes: UTF-8 both
        out.write(b'{"version": %d, "files": [\n' % REPORT_VERSION)
        first = True
        for source, name in sources:
            with source.open_read(name) as fh:
                for kept in _job_records(fh):
                    out.write((b"" if first else b",\n") + b",\n".join(kept))
                    first = False
        out.write(b'\n], "summary": ')
        _write_text(out, json_pieces(summary))  # json_text(summary), an entry at a time
        out.write(b"}\n")
    with folder.replacing("summary.json") as out:
        _write_text(out, json_outline_pieces(summary))
        out.write(b"\n")
    with folder.replacing("report.md") as out:
        _write_text(out, markdown_pieces(summary))
    with folder.replacing("report.html") as out:
        _write_text(out, html_pieces(agg.drill_down(), json_pieces(summary)))
    return summary


def _write_text(out: Any, pieces: Iterable[str]) -> None:
    """Write text pieces as UTF-8, a batch at a time."""
    batch: list[str] = []
    size = 0
    for piece in pieces:
        batch.append(piece)
        size += len(piece)
        if size >= 1 << 18:
            out.write("".join(batch).encode("utf-8"))
            batch.clear()
            size = 0
    out.write("".join(batch).encode("utf-8"))


def markdown(s: Mapping[str, Any]) -> str:
    """The Markdown report (report.md) as one text."""
    return "".join(markdown_pieces(s))


def markdown_pieces(s: Mapping[str, Any]) -> Iterator[str]:
    """The Markdown report, a line (with its newline) at a time."""
    for line in _markdown(s):
        yield line + "\n"


def _markdown(s: Mapping[str, Any]) -> Iterator[str]:
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
    if s.get("decisions"):
        lines += ["## Decisions first", ""]
        for d in s["decisions"]:
            lead = (
                f"it settles {d['findings']} of the {counted(s['errors_remaining'], 'error')} left "
                f"(SM601 path-not-mounted) in {counted(d['files'], 'file')} of {counted(d['users'], 'user')}. "
                "In the profile (`read_only = true` where jobs only read it: `inventory` tells):"
            )
            lines += markdown_lines(d, lead)
    lines += ["## Needs a human", ""]
    yield from lines
    blocked = 0
    for name, u in s["users"].items():  # a user at a time: never all users' entries at once
        if u["ready"]:
            continue
        blocked += 1
        parts = []
        if u["blocked_files"]:
            parts.append(f"{u['blocked_files']} file(s) with errors")
        if u.get("not_done"):
            parts.append(f"{u['not_done']} file(s) not migrated")
        yield f"### {md_text(name)}: {', '.join(parts)}"
        yield ""
        for item in u["blocking"]:
            yield f"- {md_code(item['path'])}: {', '.join(item['codes'])}"
        more = u["blocked_files"] - len(u["blocking"])
        if more > 0:
            yield f"- … and {more} more (see report.json)"
        for item in u.get("unfinished", []):
            detail = f": {md_text(item['detail'])}" if item["detail"] else ""
            yield f"- {md_code(item['path'])}: not migrated ({item['status']}){detail}"
        more = u.get("not_done", 0) - len(u.get("unfinished", []))
        if more > 0:
            yield f"- … and {more} more not migrated (see files.jsonl)"
        yield ""
    if not blocked:
        yield from ["Nothing: every error was fixed automatically.", ""]
    yield from ["## Findings by rule", "", "| code | rule | findings | fixed |", "|---|---|---:|---:|"]
    for code, r in s["rules"].items():
        yield f"| {code} | {r['rule']} | {r['count']} | {r['fixed']} |"
    yield from [
        "",
        "## Users",
        "",
        "| user | job scripts | changed | errors | warnings | ready |",
        "|---|---:|---:|---:|---:|---|",
    ]
    for name, u in s["users"].items():
        yield (
            f"| {md_text(name)} | {u['files']} | {u['changed']} | {u['errors']} | {u['warnings']} | "
            f"{'yes' if u['ready'] else 'no'} |"
        )


def html_page(summary: Mapping[str, Any], drill_down: dict[str, Any] | None = None) -> str:
    """One self-contained page: the summary and the bounded per-user details are embedded
    as JSON and drawn by inline script.  Filters (rule, severity) live in the address's
    fragment (``report.html#rule=SM601&severity=error``), so a filtered view can be shared."""
    return "".join(html_pieces(drill_down, json_pieces(summary)))


def html_pieces(drill_down: dict[str, Any] | None, data: Iterable[str]) -> Iterator[str]:
    """:func:`html_page` in pieces, from the summary's JSON pieces (:func:`json_pieces`)."""
    from importlib import resources

    page = resources.files("sbatch_migrate.bulk").joinpath("report.html").read_text(encoding="utf-8")
    details = drill_down or {"users": {}, "shown": 0, "needing": 0, "limits": {}}
    # split first: a user's name or path holding a placeholder's text must not be filled in
    head, rest = page.split("__DATA__", 1)
    middle, tail = rest.split("__DETAILS__", 1)
    yield head
    # "</" cannot close the <script>: no piece ends in "<" (each ends a key's ": " or a value)
    yield from (piece.replace("</", "<\\/") for piece in data)
    yield middle
    yield json_text(details).replace("</", "<\\/")
    yield tail
