"""Bulk migration of whole trees: safe, parallel, resumable, shardable.

The workers walk the trees themselves, a part at a time (a few folders and what is under
them, up to a cost of ``_PART``: a file costs 1, a job script migrated more; the folders
left go back to the main process as parts of their own), so that the walk is not one
process's work.  The main process takes the parts' results in the order it handed them
out: the records come in the same order whatever -j.
A folder unchanged since a run with the same cache is answered whole (:mod:`.cache`).

Per file, a worker: reads it without following symlinks, skips what is not a job script,
migrates it with the core engine, and with ``--write``: checks the file did not change
since it was read, saves a backup (bytes + description, synced), replaces the file
atomically keeping mode and owner, and reports.  The main process is the only writer of
``files.jsonl`` (one record per file, streamed), which doubles as the journal: ``--resume``
skips every path it already holds.  Memory stays flat: nothing per file is kept.
"""

from __future__ import annotations

import errno
import fcntl
import gc
import hashlib
import json
import os
import pickle
import pwd
import re
import stat
import time
import uuid
from collections import deque
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from itertools import pairwise
from json.encoder import encode_basestring as _json_str
from json.encoder import encode_basestring_ascii as _json_ascii
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from .. import __version__
from ..output.report import file_dict, json_text
from ..profile import Profile
from ..read.kind import is_job_script
from ..read.source import InputError, Source
from ..record import NamedTuple, field, record
from .backup import BackupStore
from .cache import FILE as CACHE_FILE
from .cache import (
    UNHASHED,
    Cache,
    ContentCache,
    FolderHit,
    Stat,
    digest,
    folder_row,
    marked,
    pack_files,
    result_row,
    spans,
    unmarked,
)
from .cache import Row as DbRow
from .memo import Recent
from .ownfolder import OwnFolder, UnsafeFolder, own_folder
from .pool import Pool, WorkerDied, call
from .reports import Aggregate, Tally, bounded_diff, first_details, tally_of
from .walk import Candidate, Chain, Skipped, distinct_roots, list_folder, root_item
from .writer import Changed, ChangedAfter, open_folder, replace_unchanged, root_of, write_at

NO_WRITE_NEEDED = frozenset({"unchanged", "not-a-job-script", "binary"})
CACHEABLE = NO_WRITE_NEEDED | {"would-change"}
if TYPE_CHECKING:
    from ..fix.engine import Rules
    from .pyreader import Reader
_TEMP = re.compile(r"^\..+\.[a-z0-9_]{8}\.sbatch-migrate$")


@record
class Options:
    roots: list[str]
    profile: Profile
    rules: Rules  # the engine's (entries of the rule index)
    write: bool = False
    backup_dir: Path | None = None
    out_dir: Path | None = None
    report_dir: Path | None = None
    jobs: int = 1
    resume: bool = False
    shard: tuple[int, int] | None = None  # (k, n), 0 <= k < n
    max_size: int = 1 << 20
    cache_dir: Path | None = None
    keep_mtime: bool = False
    inventory: bool = False  # also record what each script needs from the pod
    unsafe_fixes: bool = False  # also apply the fixes that may change what a job asks for
    report_group: int | None = None  # a group the reports are shared with (read only)
    run_id: str = field(default_factory=lambda: time.strftime("%Y%m%d-%H%M%S-") + uuid.uuid4().hex[:6])

    @property
    def cache_key(self) -> str:
        rules = ",".join(r.code for r in self.rules)
        key = f"{__version__}|{self.profile.digest}|{rules}|{self.inventory}|{self.unsafe_fixes}"
        return hashlib.sha256(key.encode()).hexdigest()[:32]


def in_shard(path: str, shard: tuple[int, int] | None) -> bool:
    """Deterministic split: the same path always lands in the same shard."""
    if shard is None:
        return True
    k, n = shard
    digest = hashlib.sha1(path.encode("utf-8", "surrogateescape")).digest()
    return int.from_bytes(digest[:8], "big") % n == k


# -- worker side ------------------------------------------------------------------------
_W: dict[str, Any] = {}


@record
class Folders:
    """The run's own folders, opened and checked once (:mod:`.ownfolder`) before any
    worker starts: the workers inherit the descriptors."""

    report: OwnFolder | None = None
    out: OwnFolder | None = None
    cache: OwnFolder | None = None
    backup: BackupStore | None = None
    lock: int = -1

    def close(self) -> None:
        for folder in (self.report, self.out, self.cache):
            if folder is not None:
                folder.close()
        if self.backup is not None:
            self.backup.close()
        if self.lock >= 0:
            os.close(self.lock)
            self.lock = -1


def _init_worker(
    opts: Options, folders: Folders | None = None, done: set[str] | None = None, reader: bool = False
) -> None:
    # Migrating a shell script makes no reference cycles (tests/test_engine.py checks it):
    # its objects go by reference counting, and a cycle collection every few hundred
    # allocations only walks the live facts again (about 10% of a worker's time).  Collect
    # rarely (libcst, for Python launchers, does make cycles) and leave the start-up
    # objects out of every collection.
    gc.freeze()
    gc.set_threshold(100_000, 50, 100)
    folders = folders or Folders()
    _W["opts"] = opts
    _W["users"] = {}
    _W["backup"] = folders.backup if opts.write else None
    _W["out"] = folders.out
    cache = folders.cache
    _W["cache"] = ContentCache(cache.inner_path(CACHE_FILE), opts.cache_key) if cache is not None else None
    _W["roots"] = [os.path.abspath(r) for r in opts.roots]
    # an --out-dir run writes each file's migrated copy: it needs each file migrated
    _W["recent"] = Recent() if opts.out_dir is None else None
    _W["done"] = done or set()
    _release_folder()
    if reader:  # a worker: Python files go to the reader
        from . import pyreader

        pyreader.attach()


_HOME = re.compile(r"/(?:home|work|home2|work1|project)/(?:users/)?([A-Za-z0-9_.-]+)/")


def _user(uid: int, path: str) -> str:
    """The file's owner.  When the account is unknown on this host (no NSS/LDAP on the
    admin node), or is root (files restored or placed by an administrator), the user
    folder it lives in (/home/NAME/, /work/NAME/); else the uid."""
    users: dict[int, str | None] = _W["users"]
    if uid not in users:
        try:
            users[uid] = pwd.getpwuid(uid).pw_name
        except KeyError:
            users[uid] = None
    name = users[uid]
    if name is not None and uid != 0:
        return name
    m = _HOME.search(path)
    return m.group(1) if m else name or str(uid)


class Outcome(NamedTuple):
    """What a worker sends back for one file: its record already as a JSON line (encoded
    in the worker, in parallel), plus what the main process needs without decoding it."""

    path: str
    line: str  # the record, one line of files.jsonl (no newline)
    status: str
    stat: Stat | None  # as read: the cache key
    tally: Tally | None  # job scripts: what the aggregate counts
    digest: str = ""  # of the content read (with a cache only)
    cached: bool = False  # the result of the same content, from the cache


def outcome(record: dict[str, Any], stat_key: Stat | None = None, content: str = "") -> Outcome:
    line = json_text(record)
    return Outcome(record["path"], line, record["status"], stat_key, tally_of(record), content)


def plain_outcome(path: str, user: str, status: str, stat_key: Stat | None, content: str) -> Outcome:
    """The outcome of a file read and not migrated (binary, not a job script): nearly every
    file of a real home.  Its record, ``{"path", "user", "status"}``, is written from a
    template with json's own string encoders: the text :func:`outcome` makes (tests hold
    the two equal), at a seventh of its cost (0.5 against 3.5 us a file)."""
    line = f'{{"path": {_json_str(path)}, "user": {_json_str(user)}, "status": "{status}"}}'
    if not line.isascii():
        try:
            line.encode("utf-8")
        except UnicodeEncodeError:  # a name that is not UTF-8: \u escapes, as json_text has it
            line = f'{{"path": {_json_ascii(path)}, "user": {_json_ascii(user)}, "status": "{status}"}}'
    return Outcome(path, line, status, stat_key, None, content)


def process(c: Candidate) -> Outcome:
    """Everything done to one file; returns its outcome (never raises)."""
    try:
        return _process(c)
    except Exception as exc:  # a bug must cost one file, not the run: it is reported, for its user
        detail = f"internal error: {type(exc).__name__}: {exc}"
        return outcome({"path": c.path, "user": _user(c.uid, c.path), "status": "error", "detail": detail})


def _process(c: Candidate) -> Outcome:
    opts: Options = _W["opts"]
    user = _user(c.uid, c.path)
    base = {"path": c.path, "user": user}
    try:
        folder = _folder(c.path)
    except OSError as exc:
        if exc.errno in (errno.ELOOP, errno.ENOTDIR):
            return outcome({**base, "status": "symlink", "detail": _SWAPPED})
        return outcome({**base, "status": "unreadable", "detail": exc.strerror or str(exc)})
    try:
        st, data = _read(folder, os.path.basename(c.path), opts.max_size + 1)
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            return outcome({**base, "status": "symlink", "detail": _BECAME_LINK})
        return outcome({**base, "status": "unreadable", "detail": exc.strerror or str(exc)})
    if st is None:
        return outcome({**base, "status": "not-a-regular-file"})
    if len(data) > opts.max_size or st.st_size > opts.max_size:  # it grew since the walk
        return outcome({**base, "status": "too-large"})
    key = (st.st_size, st.st_mtime_ns, st.st_ctime_ns, st.st_ino)
    store: ContentCache | None = _W["cache"] if opts.out_dir is None else None
    # what the cache keeps of a file that is not a job script: its stat data (no digest:
    # its kind costs less to test again than its bytes to hash)
    content = "" if store is None else UNHASHED
    if b"\x00" in data:
        return plain_outcome(c.path, user, "binary", key, content)
    if not is_job_script(c.path, data):
        return plain_outcome(c.path, user, "not-a-job-script", key, content)
    recent: Recent | None = _W["recent"]
    if store is not None or recent is not None:
        found = digest(c.path, data)
        content = found if store is not None else ""
        again = recent.get(found, c.path, user) if recent is not None else None
        if again is not None and (not opts.write or again["status"] in NO_WRITE_NEEDED):
            return outcome(again, key, content)
        hit = store.find(content, c.path, user) if store is not None else None
        if hit is not None and (not opts.write or hit.status in NO_WRITE_NEEDED):
            return Outcome(c.path, hit.record, hit.status, key, hit.tally, content, cached=True)
    try:
        source = Source.from_bytes(data, c.path)
    except InputError:
        return plain_outcome(c.path, user, "binary", key, content)
    # the engine is imported by the first job script a process migrates: a re-run answered
    # from the cache needs none of it (10 ms of the main process's start-up)
    from ..fix.engine import migrate

    result = migrate(source, opts.profile, opts.rules, opts.unsafe_fixes)
    record = {**base, **file_dict(result, c.path)}
    if result.changed and any(f.severity.value == "error" and not f.fixed for f in result.findings):
        # a file that needs a human: the report shows what the tool changed beside what is left
        record["diff"] = bounded_diff(result, c.path)
    if opts.inventory:
        from ..model.context import Context
        from ..model.needs import script_needs

        record["needs"] = script_needs(Context(result.facts, opts.profile))
    if not result.changed:
        record["status"] = "unchanged"
    elif not opts.write:
        record["status"] = "would-change"
    else:
        record["status"], detail = _write(folder, c.path, data, result.output, st, opts)
        if record["status"] == "written" and st.st_nlink > 1:
            # the file is replaced, not written in place: its other names keep the original
            detail = f"it had {st.st_nlink} hard links: its other names still hold the original"
        if detail:
            record["detail"] = detail
    out: OwnFolder | None = _W["out"]
    if out is not None:
        try:
            # the mirror is made one name at a time inside the out folder, never through
            # a symlink (a user-made one could send the copy anywhere)
            parts = [p for p in os.path.dirname(c.path).split("/") if p]
            with out.subpath(parts) as mirror:
                mirror.write(os.path.basename(c.path), result.output)
        except (OSError, ValueError) as exc:
            record["detail"] = f"out-dir copy failed: {getattr(exc, 'strerror', None) or exc}"
    done = outcome(record, key, content)
    if recent is not None and (not opts.write or done.status in NO_WRITE_NEEDED):
        recent.put(found, done.line)
    return done


SNIFF = 8192  # a NUL byte among a file's first SNIFF bytes makes it binary (as git and grep judge)


def _release_folder() -> None:
    """Close the folders kept open (a run in this process is over, or a new one starts)."""
    chains: dict[str, Chain] = _W.get("chains") or {}
    _W["chains"] = {}  # tree root -> the folders open on the path last read from
    _W["last_folder"] = None  # (folder, its descriptor in a chain): the folder read last
    for chain in chains.values():
        chain.close()


def _folder(file: str) -> int:
    """A descriptor of the folder holding ``file``, reached from its tree root one name at
    a time without following a symlink (as the walk reaches it, :class:`~.walk.Chain`);
    the folders on the path stay open, as the files of a folder, and then of its
    neighbours, come one after another."""
    folder = file[: file.rfind("/")] or "/"
    last = _W.get("last_folder")
    if last is not None and last[0] == folder:  # the files of a folder come one after another
        return int(last[1])
    root = root_of(file, _W["roots"])
    chains: dict[str, Chain] = _W["chains"]
    if root not in chains:
        chains[root] = Chain(root)
    fd = chains[root].fd(folder)
    _W["last_folder"] = (folder, fd)
    return fd


_SWAPPED = "a folder on its path is a symlink now (it was a folder when the tree was listed): not followed"
_BECAME_LINK = "the file is a symlink now (it was a regular file when the tree was listed): not followed"


def _read(folder: int, name: str, limit: int) -> tuple[os.stat_result | None, bytes]:
    """The status and up to ``limit`` bytes of the file ``name`` in ``folder``, never
    through a symlink; (None, b"") when it is no longer a regular file (replaced by a FIFO
    since the walk: the open does not wait for a writer, and nothing is read).  A binary
    file (a NUL in its first ``SNIFF`` bytes) is read no further: a data file of hundreds
    of KiB costs one block."""
    fd = os.open(name, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC, dir_fd=folder)
    try:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode):
            return None, b""
        want = min(st.st_size + 1, limit, SNIFF)  # one byte more than its size: sees a file that grew
        first = os.read(fd, want)
        # binary: the rest does not matter; a short read of a regular file: its end
        if b"\x00" in first or len(first) < want:
            return st, first
        parts = [first]
        got = len(first)
        want = min(limit, st.st_size + 1) - got  # the rest in one read, as its size says
        while got < limit:
            chunk = os.read(fd, max(want, 1 << 16))
            if not chunk:
                break
            parts.append(chunk)
            got += len(chunk)
            if len(chunk) < want:  # short: the end
                break
            want = min(limit - got, 1 << 16)
        return st, b"".join(parts)
    finally:
        os.close(fd)


def _write(
    folder: int, path: str, original: bytes, migrated: bytes, st: os.stat_result, opts: Options
) -> tuple[str, str]:
    """Replace the file if it is still what was read; backup first.  Everything happens
    in ``folder``, the descriptor the file was read through: a folder swapped for a symlink
    meanwhile cannot send the write elsewhere.  A save the user makes meanwhile is never
    lost (:func:`~sbatch_migrate.bulk.writer.replace_unchanged`): the file is then left, or
    put back, as the user has it, and reported as changed."""
    name = os.path.basename(path)
    backup: BackupStore | None = _W["backup"]
    mode, owner = stat.S_IMODE(st.st_mode), (st.st_uid, st.st_gid)

    def save() -> None:
        if backup is not None:
            backup.save(path, original, migrated, st, root_of(path, _W["roots"]))

    try:
        replace_unchanged(folder, name, original, st, migrated, mode, owner, before=save)
        if opts.keep_mtime:
            os.utime(name, ns=(st.st_atime_ns, st.st_mtime_ns), dir_fd=folder, follow_symlinks=False)
    except Changed as exc:
        return "skipped-changed", str(exc)
    except ChangedAfter as late:
        try:  # the user's version, which landed in the replaced file, goes back in place
            write_at(folder, name, late.data, mode, owner)
        except OSError as exc:
            where = f" (their version before it is in the backup {backup.path})" if backup is not None else ""
            return "write-failed", f"written while it was being replaced, and not put back: {exc.strerror}{where}"
        return "skipped-changed", "the file was written while it was being replaced: the user's version is kept"
    except OSError as exc:
        return "write-failed", exc.strerror or str(exc)
    return "written", ""


# -- main side --------------------------------------------------------------------------
@record
class RunResult:
    records_file: str | None  # the journal's name in the report folder
    counts: dict[str, int]
    seconds: float
    aggregate: Aggregate  # every record of the run (a resumed run: the earlier ones too)
    worker_deaths: int = 0  # workers that died (killed, out of memory): their files were done again


def _skip_record(s: Skipped, write: bool, roots: list[str]) -> dict[str, Any]:
    status = s.reason.split(":", 1)[0]
    record: dict[str, Any] = {"path": s.path, "status": status}
    if ":" in s.reason:
        record["detail"] = s.reason.split(":", 1)[1].strip()
    name = os.path.basename(s.path)
    if status == "stale-temp" and write and _TEMP.match(name):
        try:  # a temporary file of ours left by a killed run, removed in its own folder
            folder = open_folder(os.path.dirname(s.path), root_of(s.path, roots))
            try:
                # only one this user made: a user's file that merely has such a name stays
                if os.stat(name, dir_fd=folder, follow_symlinks=False).st_uid == os.geteuid():
                    os.unlink(name, dir_fd=folder)
                    record["status"] = "stale-temp-removed"
            finally:
                os.close(folder)
        except OSError as exc:
            record["detail"] = exc.strerror or str(exc)
    return record


class ResumeError(Exception):
    """``--resume`` of a run that was started with other options."""


class ReportDirBusy(Exception):
    """Another run is writing to the same report folder."""


@contextmanager
def report_lock(report_dir: Path | None, group: int | None = None) -> Iterator[OwnFolder | None]:
    """The report folder, opened, checked and held for one run: two runs sharing it would
    mix their journals (and a resume would trust records of the other)."""
    if report_dir is None:
        yield None
        return
    with own_folder(report_dir, "reports", group) as folder:
        fd = folder.open_lock(".lock")
        try:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                raise ReportDirBusy(
                    f"{report_dir} is in use by another sbatch-migrate run; wait for it to end"
                ) from None
            except OSError as exc:  # an NFS mount without a lock service: run unguarded
                if exc.errno not in (errno.ENOLCK, errno.EOPNOTSUPP, errno.ENOSYS):
                    raise
            yield folder
        finally:
            os.close(fd)


class FolderError(Exception):
    """One of the run's own folders cannot be used: not safe (another user could control
    it) or not writable.  One line, naming the option and the folder."""

    def __init__(self, option: str, path: Path, cause: OSError):
        super().__init__(option, path, cause)
        self.option, self.path, self.cause = option, path, cause

    def __str__(self) -> str:
        if isinstance(self.cause, UnsafeFolder):
            return f"{self.option} {self.cause}"
        return f"{self.option} {self.path}: cannot write there ({self.cause.strerror or self.cause})"


@contextmanager
def session(opts: Options) -> Iterator[Folders]:
    """The run's own folders (reports, migrated copies, cache, backups), opened, checked and
    marked once, and the report folder locked: FolderError names a folder that is not safe
    or not writable, ReportDirBusy a report folder in use."""
    folders = Folders()

    def opening(option: str, path: Path, make: Callable[[], Any]) -> Any:
        try:
            return make()
        except OSError as exc:
            raise FolderError(option, path, exc) from None

    with ExitStack() as stack:
        stack.callback(folders.close)
        if opts.report_dir is not None:
            folders.report = opening(
                "--report-dir",
                opts.report_dir,
                lambda: stack.enter_context(report_lock(opts.report_dir, opts.report_group)),
            )
            stack.callback(setattr, folders, "report", None)  # closed by report_lock, after this
        if opts.out_dir is not None:
            out_dir = opts.out_dir
            folders.out = opening("--out-dir", out_dir, lambda: own_folder(out_dir, "migrated copies"))
        if opts.cache_dir is not None:
            cache_dir = opts.cache_dir
            folders.cache = opening("--cache-dir", cache_dir, lambda: OwnFolder.open(cache_dir))
        if opts.write and opts.backup_dir is not None:
            backup_dir, roots = opts.backup_dir, [os.path.abspath(r) for r in opts.roots]
            folders.backup = opening("--backup-dir", backup_dir, lambda: BackupStore(backup_dir, opts.run_id, roots))
        yield folders


# what a resumed run must share with the run it continues, and how the user names it
_RESUMED_AS_STARTED = {
    "roots": "roots",
    "write": "--write (a dry run's files are recorded as done: resumed with --write they would never be written)",
    "shard": "--shard",
    "tool": "tool version",
    "key": "profile, selected rules, --unsafe-fixes or --inventory",
    "max_size": "--max-size",
    "out_dir": "--out-dir",
    "backup_dir": "--backup-dir",
}


def _run_state(opts: Options) -> dict[str, Any]:
    """What run.json records of a run: its id and what makes its records what they are."""
    return {
        "run_id": opts.run_id,
        "roots": opts.roots,
        "write": opts.write,
        "shard": list(opts.shard) if opts.shard else None,
        "tool": __version__,
        "key": opts.cache_key,
        "max_size": opts.max_size,
        "out_dir": str(opts.out_dir) if opts.out_dir else None,
        "backup_dir": str(opts.backup_dir) if opts.backup_dir else None,
        "finished": False,  # set when every file has its record (merge-reports checks it)
    }


def _check_resumable(previous: dict[str, Any], now: dict[str, Any], report_dir: Path) -> None:
    """A resumed run continues the same run: the same options (those ``previous`` records)."""
    differ = [
        name for field, name in _RESUMED_AS_STARTED.items() if field in previous and previous[field] != now[field]
    ]
    if differ:
        raise ResumeError(
            f"--resume: the run recorded in {report_dir} was started with another {'; another '.join(differ)}. "
            "Resume it with the options it was started with, or start afresh without --resume"
        )


RECORDS = "files.jsonl"
STATE = "run.json"


def _done_paths(report: OwnFolder, agg: Aggregate) -> set[str]:
    """Paths a previous (interrupted) run already recorded, counted into ``agg``; a torn
    last line is cut off."""
    done: set[str] = set()
    try:
        fh = report.open_update(RECORDS)
    except FileNotFoundError:
        return done
    with fh:
        good = 0
        for line in fh:
            if not line.endswith(b"\n"):
                break
            try:
                record = json.loads(line)
                done.add(record["path"])
            except (ValueError, KeyError):
                break
            agg.add(record)
            good += len(line)
        fh.truncate(good)
    return done


def _previous_state(report: OwnFolder) -> dict[str, Any] | None:
    """The run.json of the run to resume (None: there is none, start afresh)."""
    try:
        data = report.read(STATE, 1 << 20)
    except FileNotFoundError:
        return None
    try:
        state = json.loads(data)
        if not isinstance(state, dict) or not isinstance(state.get("run_id"), str):
            raise ValueError("no run id")
    except ValueError as exc:
        raise ResumeError(
            f"--resume: {report.path / STATE} is damaged ({exc}): the run cannot be continued; "
            "start afresh without --resume"
        ) from None
    return state


def run(
    opts: Options,
    folders: Folders | None = None,
    progress: Callable[[int], None] | None = None,
    on_record: Callable[[dict[str, Any]], None] | None = None,
) -> RunResult:
    """Walk, migrate, write; records go to ``files.jsonl`` (with a report dir), into the
    aggregate, and to ``on_record`` (decoded: only give one when the records are needed).
    ``folders``: the run's own folders from :func:`session` (opened here when not given)."""
    if folders is None:
        with session(opts) as opened:
            return run(opts, opened, progress, on_record)
    t0 = time.monotonic()
    out = None
    done: set[str] = set()
    agg = Aggregate()
    report = folders.report
    if report is not None:
        previous = _previous_state(report) if opts.resume else None
        if previous is not None:
            _check_resumable(previous, _run_state(opts), report.path)
            opts.run_id = previous["run_id"]
            done = _done_paths(report, agg)
        else:
            report.write(STATE, json.dumps(_run_state(opts)).encode() + b"\n")
        out = report.open_append(RECORDS, fresh=previous is None)
    cache = Cache(folders.cache, opts.cache_key) if folders.cache is not None else None
    counts: dict[str, int] = {}
    lines: list[str] = []  # records not yet handed to the file (written a batch at a time)

    waiting = [0]  # records in ``lines``

    def journal() -> None:
        """Write the pending records and flush: a killed run loses at most one batch."""
        if out is not None:
            if lines:
                out.write(("\n".join(lines) + "\n").encode("utf-8", "surrogateescape"))
                lines.clear()
                waiting[0] = 0
            out.flush()

    def emit(o: Outcome, counted: bool = False) -> None:
        counts[o.status] = counts.get(o.status, 0) + 1
        if not counted:
            agg.add_tally(o.status, o.tally, o.line)
        line = marked(o.line) if o.cached else o.line
        if out is not None:
            lines.append(line)
            waiting[0] += 1
            if waiting[0] >= 1024:
                journal()
        if on_record is not None:
            on_record(json.loads(line))
        # a job script's row (by its digest too); other files go with their folder's row
        if cache is not None and o.stat is not None and o.digest not in _UNHASHED and o.status in CACHEABLE:
            cache.put(o.path, o.stat, o.digest, o.status, o.line, o.tally)
        if progress is not None:
            progress(1)

    # large folders shared out in pieces: folder -> [fingerprint, newest, partials, pieces to come]
    pieces: dict[str, list[Any]] = {}

    def emit_folder(fo: FolderOut, counted: bool, split: bool = False) -> None:
        """``split``: the first of a large folder's pieces (the others follow)."""
        hit = fo.hit
        if hit is None:
            for o in fo.outcomes:
                emit(o, counted)
            if cache is not None:  # a folder partly done (resumed), or done again here
                cache.add(*cache_rows(fo.folder, shard, cache.key, fo.fingerprint, fo.newest_ns, fo.outcomes))
            return
        if fo.rows is not None and cache is not None:  # a folder done in a worker: what to store of it
            cache.add(*fo.rows)
        if fo.piece is not None and cache is not None and not split:
            gathered = pieces.get(fo.folder)
            if gathered is None:  # a piece of a folder not stored whole (partly done): rows for its files
                cache.add(_merged(fo.folder, shard, cache.key, b"", 0, [fo.piece], time.time_ns())[0], None)
            else:  # stored whole with the last piece
                gathered[1] = max(gathered[1], fo.newest_ns)
                gathered[2].append(fo.piece)
                gathered[3] -= 1
                if not gathered[3]:
                    del pieces[fo.folder]
                    fingerprint, newest, partials, _ = gathered
                    cache.add(*_merged(fo.folder, shard, cache.key, fingerprint, newest, partials, time.time_ns()))
        n = sum(hit.statuses.values())
        if not n:
            return
        for status, k in hit.statuses.items():
            counts[status] = counts.get(status, 0) + k
        if not counted:  # (a part done again here: its folders' records come one by one)
            agg.add_folder(hit.statuses, hit.tallies, hit.lines)
        if out is not None:
            lines.append(hit.lines)
            waiting[0] += n
            if waiting[0] >= 1024:
                journal()
        if on_record is not None:
            for line in hit.lines.split("\n"):
                on_record(json.loads(line))
        if progress is not None:
            progress(n)

    shard = _shard_key(opts)
    roots = [os.path.abspath(r) for r in opts.roots]
    workers = _Workers(opts, folders, done)
    try:
        pending: list[tuple[str, str]] = []  # (tree root, folder) to walk: a stack, the next on top
        for root in distinct_roots(opts.roots)[0]:
            item = root_item(root)
            if item is None:
                pending.append((root, root))
            elif not in_shard(item.path, opts.shard):
                continue
            elif item.path in done:
                if progress is not None:
                    progress(1)
            elif isinstance(item, Skipped):
                emit(outcome(_skip_record(item, opts.write, roots)))
            else:
                workers.submit(item.path, [], _piece([item]))
        pending.reverse()
        while pending or workers.inflight:
            while pending and len(workers.inflight) < _IN_FLIGHT:
                # a part starts from a few folders of one tree, fewer while there are few
                root = pending[-1][0]
                per = max(1, min(_FOLDERS_PER_PART, len(pending) // _IN_FLIGHT))
                take: list[str] = []
                # the only folder there is, nothing in flight (the start): a short part, so
                # that the folders it finds reach the other workers soon
                budget = _PART if len(pending) > 1 or workers.inflight else _OPENING
                while pending and pending[-1][0] == root and len(take) < per:
                    take.append(pending.pop()[1])
                workers.submit(root, take, budget=budget)
            root, part = workers.next()
            last = len(part.folders) - 1
            split = bool(part.more and part.split and cache is not None)
            for n, fo in enumerate(part.folders):
                emit_folder(fo, part.counts is not None, split and n == last)
            if part.counts is not None:
                agg.merge_counts(part.counts)
                for key, (n, start, end) in part.offers:
                    fo = part.folders[n]
                    agg.offer(key, fo.outcomes[start].line if end < 0 else fo.hit.lines[start:end])  # type: ignore[union-attr]
            more = part.more  # the rest of a large folder: parts of their own, handed out first
            if more and cache is not None and part.split:
                first = part.folders[-1]
                pieces[first.folder] = [part.split, first.newest_ns, [first.piece], 0]
            for piece in more:
                workers.submit(root, [], piece)
            if more and part.split and cache is not None:
                pieces[part.folders[-1].folder][3] += len(more)
            if progress is not None and part.resumed:
                progress(part.resumed)
            pending.extend((root, folder) for folder in reversed(part.rest))
            if waiting[0] >= 256:
                journal()
    finally:
        workers.close()
        if out is not None:
            journal()
            os.fsync(out.fileno())
            out.close()
        if cache is not None:
            cache.close()
    if report is not None:  # every file has its record, synced: the run is complete
        state = json.loads(report.read(STATE, 1 << 20))
        report.write(STATE, json.dumps({**state, "finished": True}).encode() + b"\n")
    return RunResult(RECORDS if report is not None else None, counts, time.monotonic() - t0, agg, workers.deaths)


def merge_problems(states: list[tuple[Path, dict[str, Any] | None]]) -> tuple[list[str], list[str]]:
    """What stands in the way of merging these reports (folder, its run.json): (problems
    that make a merged report meaningless, gaps that make it incomplete)."""
    problems: list[str] = []
    gaps: list[str] = []
    known = [(folder, s) for folder, s in states if s is not None]
    problems += [f"{folder}: no run.json: not a report of `sbatch-migrate bulk`" for folder, s in states if s is None]
    for folder, s in known:
        if s.get("finished") is False:
            gaps.append(
                f"{folder}: its run did not finish (killed, or the array task hit its time limit): "
                "finish it with the same command and --resume"
            )
    if not known:
        return problems, gaps
    first_folder, first = known[0]
    sharded = [s.get("shard") is not None for _, s in known]
    if any(sharded) and not all(sharded):
        problems.append("sharded and unsharded runs are mixed")
        return problems, gaps
    fields = ["tool", "key", "write", "max_size"] + (["roots"] if all(sharded) else [])
    for folder, s in known[1:]:
        differ = [_RESUMED_AS_STARTED[f] for f in fields if f in s and f in first and s[f] != first[f]]
        if differ:
            problems.append(f"{folder}: started with another {'; another '.join(differ)} than {first_folder}")
    if all(sharded):
        counts = {s["shard"][1] for _, s in known}
        if len(counts) > 1:
            problems.append(f"shards of splits into {' and '.join(map(str, sorted(counts)))} are mixed")
            return problems, gaps
        n = counts.pop()
        where: dict[int, list[Path]] = {}
        for folder, s in known:
            where.setdefault(s["shard"][0], []).append(folder)
        problems += [
            f"shard {k}/{n} is there twice: {', '.join(map(str, f))}" for k, f in sorted(where.items()) if len(f) > 1
        ]
        missing = [k for k in range(n) if k not in where]
        if missing:
            some = len(missing) > 1
            gaps.append(
                f"shard{'s' if some else ''} {', '.join(map(str, missing))} of {n} {'are' if some else 'is'} "
                f"missing (did {'their array tasks' if some else 'its array task'} run?)"
            )
    return problems, gaps


# -- parts of trees: the walk itself is done by the workers ------------------------------
_PART = 256  # the cost a worker takes on in one part (in files, see _do) before it hands the folders left back
_OPENING = 16  # the files of a part that starts from the only folder known
# a file of a folder answered whole from the cache counts for this fraction of one done: a
# part of such folders would be over in a few ms, and the workers would wait on the main
# process handing out the next (measured on a cached re-run: idle a third of the time)
_ANSWERED_WHOLE = 8
_FOLDERS_PER_PART = 16  # folders a part starts from (while there are enough for every worker)
# skipped entries whose record follows from the listing alone: a folder holding them can be
# answered from the cache
STABLE_SKIPS = frozenset({"symlink", "vcs-or-cache", "too-large", "special-file", "foreign-marker"})


class FolderOut(NamedTuple):
    """One folder's records: computed (``outcomes``), or folded into one text (``hit``:
    stored ones, or done in the worker)."""

    folder: str
    outcomes: list[Outcome]
    hit: FolderHit | None = None
    fingerprint: bytes = b""  # of its listing (b"": not to be stored)
    newest_ns: int = 0  # the latest mtime or ctime of its files
    # a folder done and folded in a worker, with a cache: the rows to store
    rows: tuple[list[DbRow], DbRow | None] | None = None
    piece: Partial | None = None  # a piece of a large folder: what its row is to hold of it
    read: int = 0  # of a folded folder's files, those read (not answered from the cache)


class Part(NamedTuple):
    """What a worker sends back for a part: the folders it walked, in walk order, and the
    folders it did not reach (each a part of its own later, in walk order)."""

    folders: list[FolderOut]
    rest: list[str]
    resumed: int  # files the run being resumed already recorded
    # the entries of its last folder it left, cut into pieces (:func:`_pieces`): each a
    # part of its own, of as many files as this part did in what it could still take
    more: list[bytes]
    split: bytes = b""  # the fingerprint of that folder (b"": not to be stored)
    # its records counted (in the worker, in parallel; the main process merges it): None
    # when they are to be counted as they are emitted (a part done again in the main process)
    counts: list[Any] | None = None  # (:meth:`.reports.Aggregate.counts`: plain values pickle fast)
    # the files the drill-down may show, (user, path) with where their record is in
    # ``folders``: (folder, start, end) in a folded folder's lines, (folder, outcome, -1)
    offers: tuple[tuple[tuple[str, str], tuple[int, int, int]], ...] = ()


def _shard_key(opts: Options) -> str:
    return f"{opts.shard[0]}/{opts.shard[1]}" if opts.shard else ""


def walk_part(root: str, folders: list[str], piece: bytes | None = None, budget: int = _PART) -> Part:
    """Walk ``folders`` of the tree ``root`` depth first, each listed without following a
    symlink (:func:`~.walk.list_folder`), and do every file of each, until what they cost
    (:func:`_do`) reaches ``budget``; returns their records, the folders left and the pieces
    of a folder left part done.  ``piece``: entries to do first, all of them (a piece of a
    large folder, roots that are files; as :func:`_piece` sends them)."""
    return _counted(_walk_part(root, folders, piece, budget))


def _counted(part: Part) -> Part:
    """``part`` with its records counted into an aggregate of its own (in the worker: on a
    re-run answered from the cache, counting was a fifth of the main process's work), the
    tallies its folders carried left out, and the files whose details the report may show
    named: the main process merges the aggregate and decodes the records of those it keeps
    (few: a record decoded in every part would cost more than all the counting)."""
    agg = Aggregate()
    folders = []
    offers: list[tuple[tuple[str, str], tuple[int, int, int]]] = []
    for n, fo in enumerate(part.folders):
        if fo.hit is not None:
            hit = fo.hit
            if hit.counted is not None:  # from the cache: stored counted
                agg.merge_counts(hit.counted)
                offers.extend((key, (n, start, end)) for key, start, end in hit.offers)
            else:  # folded here: counted into the part's aggregate directly
                offers.extend((key, (n, start, end)) for key, start, end in agg.add_folder(hit.statuses, hit.tallies))
            if hit.tallies or hit.counted is not None:  # (most folders have none: sent as they are)
                fo = fo._replace(hit=hit._replace(tallies=[], counted=None, offers=()))
        else:
            for i, o in enumerate(fo.outcomes):
                if agg.add_tally(o.status, o.tally) and o.tally is not None:
                    offers.append(((o.tally.user, o.tally.path), (n, i, -1)))
        folders.append(fo)
    return part._replace(folders=folders, counts=agg.counts(), offers=tuple(first_details(offers)))


def _walk_part(root: str, folders: list[str], piece: bytes | None, budget: int) -> Part:
    opts: Options = _W["opts"]
    done: set[str] = _W["done"]
    store: ContentCache | None = _W["cache"] if opts.out_dir is None else None
    chains: dict[str, Chain] = _W["chains"]
    chain = chains.setdefault(root, Chain(root))
    shard = _shard_key(opts)
    stack = folders[::-1]
    out: list[FolderOut] = []
    count = resumed = 0
    more: list[Candidate | Skipped] = []
    if piece:  # a piece of a large folder (or roots that are files): done whole
        items = _entries(piece)
        now, more = _cut(items, _PART)
        found = [c for c in now if isinstance(c, Candidate)]
        newest = max((max(c.mtime_ns, c.ctime_ns) for c in found), default=0)
        folder = os.path.dirname(items[0].path)
        outcomes, count = _do(folder, now, store)
        out.append(_piece_out(folder, outcomes, newest))
        if more:  # still more than a part
            return Part(out, folders, 0, _pieces(more, _PART))
    while stack and count < budget:
        listing = list_folder(stack.pop(), chain, opts.max_size)
        stack.extend(reversed(listing.subdirs))
        _W["last_folder"] = (listing.folder, listing.fd) if listing.fd >= 0 else None
        items = listing.items if opts.shard is None else [i for i in listing.items if in_shard(i.path, opts.shard)]
        if done:
            left = [i for i in items if i.path not in done]
            resumed += len(items) - len(left)
            partly = len(left) != len(items)
            items = left
        else:
            partly = False
        if store is not None and listing.fingerprint and not partly:
            whole = store.folder(listing.folder, shard, listing.fingerprint, opts.write)
            if whole is not None:
                out.append(FolderOut(listing.folder, [], whole))
                count += len(items) // _ANSWERED_WHOLE
                continue
        # a large folder is shared out: its files beyond what this part can still take
        # are parts of their own, of as many files as this part did in what it could take
        outcomes, cost = _do(listing.folder, items, store, max(budget, _PART) - count)
        count += cost
        now, more = items[: len(outcomes)], items[len(outcomes) :]
        found = [c for c in now if isinstance(c, Candidate)]
        newest = max((max(c.mtime_ns, c.ctime_ns) for c in found), default=0)
        fingerprint = listing.fingerprint if not partly else b""
        if more:  # stored once all its pieces are in (the main process gathers them)
            out.append(_piece_out(listing.folder, outcomes, newest))
            files = max(1, _PART * len(found) // max(cost, 1))
            return Part(out, stack[::-1], resumed, _pieces(more, files), fingerprint)
        out.append(_folder_out(listing.folder, outcomes, fingerprint, newest))
    return Part(out, stack[::-1], resumed, [])


def _folder_out(folder: str, outcomes: list[Outcome], fingerprint: bytes, newest_ns: int) -> FolderOut:
    """A folder's outcomes as they go to the main process: folded into one text, with the
    rows the cache is to store of them when there is one (made here, in parallel: in the
    main process, storing the outcomes of 217,000 files one by one was the first run's
    bottleneck); one by one for a folder partly done (resumed: no fingerprint)."""
    cache: ContentCache | None = _W["cache"]
    if cache is None:  # nothing to store: the records go as one text
        return FolderOut(folder, [], _folded(outcomes))
    if not fingerprint:
        return FolderOut(folder, outcomes, None, fingerprint, newest_ns)
    now = time.time_ns()
    partial = _partial(folder, outcomes)
    rows = _hashed_rows(outcomes, cache.key, now)
    merged = _merged(folder, _shard_key(_W["opts"]), cache.key, fingerprint, newest_ns, [partial], now)
    rows += merged[0]
    return FolderOut(
        folder, [], _folded(outcomes), fingerprint, newest_ns, (rows, merged[1]), None, _files_read_of(outcomes)
    )


def _files_read_of(outcomes: list[Outcome]) -> int:
    return sum(1 for o in outcomes if o.stat is not None and not o.cached)


def _piece_out(folder: str, outcomes: list[Outcome], newest_ns: int) -> FolderOut:
    """A piece of a large folder (its first, or one of the rest), folded: with a cache,
    its job scripts' rows and what the folder's row is to hold of it (the main process
    puts the pieces together once they are all in)."""
    cache: ContentCache | None = _W["cache"]
    if cache is None:
        return FolderOut(folder, [], _folded(outcomes))
    rows = _hashed_rows(outcomes, cache.key, time.time_ns())
    partial = _partial(folder, outcomes)
    return FolderOut(folder, [], _folded(outcomes), b"", newest_ns, (rows, None), partial, _files_read_of(outcomes))


class Partial(NamedTuple):
    """What a folder's row holds of some of its records (all, or a piece's)."""

    stored: str  # the records as the row keeps them, one a line
    lines: int
    statuses: dict[str, int]
    tallies: list[tuple[str, Tally | None, int, int]]  # (status, tally, where in ``stored``)
    files: str  # JSON: [[name, size, mtime_ns, ctime_ns, ino, status, line in ``stored``], ...]
    needs_write: bool  # a record that --write would act on
    whole: bool  # every record may be kept (else the files get rows of their own)


def _partial(folder: str, outcomes: list[Outcome]) -> Partial:
    stored = [marked(o.line) if o.stat is not None or o.cached else o.line for o in outcomes]
    start = len(folder.rstrip("/")) + 1
    files = [
        [o.path[start:], *o.stat, o.status, n]
        for n, o in enumerate(outcomes)
        if o.stat is not None and o.tally is None and o.status in CACHEABLE
    ]
    statuses: dict[str, int] = {}
    for o in outcomes:
        statuses[o.status] = statuses.get(o.status, 0) + 1
    tallies: list[tuple[str, Tally | None, int, int]] = [
        (o.status, o.tally, at, end)
        for o, (at, end) in zip(outcomes, spans(stored), strict=True)
        if o.tally is not None
    ]
    return Partial(
        "\n".join(stored),
        len(stored),
        statuses,
        tallies,
        json.dumps(files),
        any(o.status not in NO_WRITE_NEEDED and o.status not in STABLE_SKIPS for o in outcomes),
        all(o.status in _FOLDER_CACHEABLE for o in outcomes),
    )


def _hashed_rows(outcomes: list[Outcome], key: str, now: int) -> list[DbRow]:
    """The rows of the job scripts among ``outcomes`` (by their digest)."""
    return [
        result_row(o.path, o.stat, key, o.digest, now, o.status, o.line, o.tally)
        for o in outcomes
        if o.stat is not None and o.digest not in _UNHASHED and o.status in CACHEABLE
    ]


def _merged(
    folder: str, shard: str, key: str, fingerprint: bytes, newest_ns: int, partials: list[Partial], now: int
) -> tuple[list[DbRow], DbRow | None]:
    """A folder's row, from what each piece holds (in order), unless one of its records is
    not kept (an error, a file unreadable) or it has no fingerprint (partly done): then its
    files read and not migrated get rows of their own."""
    if not fingerprint or not all(p.whole for p in partials):
        return [row for p in partials for row in _plain_rows(folder, p, key, now)], None
    statuses: dict[str, int] = {}
    tallies: list[tuple[str, Tally | None, int, int]] = []
    segments = []
    at = lines = 0
    for p in partials:
        for status, k in p.statuses.items():
            statuses[status] = statuses.get(status, 0) + k
        tallies.extend((status, t, at + start, at + end) for status, t, start, end in p.tallies)
        segments.append((lines, p.files))
        at += len(p.stored) + 1
        lines += p.lines
    stored = "\n".join(p.stored for p in partials)
    needs_write = any(p.needs_write for p in partials)
    files = pack_files(segments)
    return [], folder_row(
        folder, shard, key, fingerprint, newest_ns, now, needs_write, stored, statuses, tallies, files
    )


def _plain_rows(folder: str, partial: Partial, key: str, now: int) -> list[DbRow]:
    """Rows of their own for the files a partial keeps by their stat data."""
    records = partial.stored.split("\n")
    prefix = folder.rstrip("/") + "/"
    rows = []
    for name, size, mtime_ns, ctime_ns, ino, status, line in json.loads(partial.files):
        record = unmarked(records[line])  # a row keeps the record as it was made
        rows.append(
            result_row(prefix + name, (size, mtime_ns, ctime_ns, ino), key, UNHASHED, now, status, record, None)
        )
    return rows


def cache_rows(
    folder: str, shard: str, key: str, fingerprint: bytes, newest_ns: int, outcomes: list[Outcome]
) -> tuple[list[DbRow], DbRow | None]:
    """What the cache keeps of a folder whose outcomes came one by one (their job scripts'
    rows are in): its row, or rows for its files (:func:`_merged`)."""
    return _merged(folder, shard, key, fingerprint, newest_ns, [_partial(folder, outcomes)], time.time_ns())


Row = tuple[Any, ...]  # an entry sent between processes: a Candidate's fields (6) or a Skipped's (2)


def _rows(items: list[Candidate | Skipped]) -> list[Row]:
    """Entries as plain tuples, to be sent to another process.  Pickle takes a named tuple
    apart and builds it again through Python code: four times the cost of a plain tuple
    (75,000 entries: 0.35 s against 0.08 s each way)."""
    return [tuple(i) for i in items]


def _piece(items: list[Candidate | Skipped]) -> bytes:
    """Entries as they go to the worker that does them: their rows, pickled.  A large
    folder's entries go from the worker that listed it through the main process to the
    others: as bytes, the main process passes them on without building them (unpickling,
    cutting and pickling again the rows of three folders of 20,000 files took it 0.1 s)."""
    return pickle.dumps(_rows(items), pickle.HIGHEST_PROTOCOL)


def _pieces(items: list[Candidate | Skipped], files: int) -> list[bytes]:
    """``items`` cut into pieces of ``files`` files each (:func:`_piece`), in one pass."""
    bounds = [0, *_cuts(items, files), len(items)]
    return [_piece(items[start:end]) for start, end in pairwise(bounds) if start < end]


def _entries(piece: bytes) -> list[Candidate | Skipped]:
    """The entries :func:`_piece` sent."""
    return [Candidate(*r) if len(r) == _CANDIDATE_FIELDS else Skipped(*r) for r in pickle.loads(piece)]


_CANDIDATE_FIELDS = len(Candidate._fields)
_E = TypeVar("_E", bound=tuple[Any, ...])  # an entry or its row


def _folded(outcomes: list[Outcome]) -> FolderHit:
    """A folder's records at once, as the cache answers them: one text of JSON lines, the
    counts, and the records the aggregate reads; the main process then handles a folder,
    not each of its files (with two workers on two cores, its per-record work and the
    records' pickling took a core's share from them)."""
    statuses: dict[str, int] = {}
    tallied: list[tuple[str, Tally | None, int, int]] = []
    # as the journal has them: a result from the cache (same content, or stat data) says so
    lines = [marked(o.line) if o.cached else o.line for o in outcomes]
    at = 0
    for o, line in zip(outcomes, lines, strict=True):
        statuses[o.status] = statuses.get(o.status, 0) + 1
        end = at + len(line)
        if o.tally is not None:
            tallied.append((o.status, o.tally, at, end))
        at = end + 1
    return FolderHit("\n".join(lines), statuses, tallied)


def _cut(items: list[_E], files: int) -> tuple[list[_E], list[_E]]:
    """``items`` (entries, or their rows) up to the first ``files`` files, and the rest."""
    at = next(_cuts(items, files), len(items))
    return items[:at], items[at:]


def _cuts(items: list[_E], files: int) -> Iterator[int]:
    """Where ``items`` are cut into runs of ``files`` files: the index of the file that
    starts each run after the first (the entries that are not files go with the file
    before them)."""
    seen = 0
    for i, item in enumerate(items):
        if len(item) == _CANDIDATE_FIELDS:  # a file (a Candidate, or its row), not a Skipped
            if seen == files:
                yield i
                seen = 0
            seen += 1


def _do(
    folder: str, items: list[Candidate | Skipped], store: ContentCache | None, budget: int | None = None
) -> tuple[list[Outcome], int]:
    """The outcomes of ``folder``'s entries (or of a piece of them), in order: skipped ones
    recorded, files answered by their stat data from the cache or done; and what they
    cost.  A file costs 1, one migrated here ``_MIGRATED`` more.  With a ``budget``, the
    files stop once their cost reaches it: the outcomes are then those of the first entries
    only (the rest are a part of their own).  A cost counted in files would make a part of
    job scripts 50 times as long as one of other files, and the other worker wait for it at
    the end of the window."""
    opts: Options = _W["opts"]
    roots: list[str] = _W["roots"]
    outcomes: list[Outcome] = []
    cost = 0
    at = 0
    while at < len(items):
        # the stat data of the next files, one query for as many as the budget may take
        take = len(items) if budget is None else max(1, min(budget - cost, _QUERY))
        chunk, _ = _cut(items[at:], take)
        found = [i for i in chunk if isinstance(i, Candidate)]
        stats = [(c.path, (c.size, c.mtime_ns, c.ctime_ns, c.ino)) for c in found]
        hits = store.stat_hits(stats, folder, _shard_key(opts)) if store is not None else {}
        for item in chunk:
            if budget is not None and cost >= budget and isinstance(item, Candidate):
                return outcomes, cost
            at += 1
            if isinstance(item, Skipped):
                outcomes.append(outcome(_skip_record(item, opts.write, roots)))
                continue
            hit = hits.get(item.path)
            if hit is not None and (not opts.write or hit.status in NO_WRITE_NEEDED):
                # with its stat data: its folder's new row keeps it by them
                key = (item.size, item.mtime_ns, item.ctime_ns, item.ino)
                outcomes.append(Outcome(item.path, hit.record, hit.status, key, hit.tally, cached=True))
                cost += 1
            else:
                done = process(item)
                outcomes.append(done)
                cost += 1 if done.tally is None else 1 + _MIGRATED
    return outcomes, cost


_QUERY = 64  # files whose stat data are looked up in the cache at once
# what migrating a job script costs beyond a file read and not migrated (about 0.5 ms
# against 30 us on the real-material tree)
_MIGRATED = 15


_IN_FLIGHT = 32  # parts handed out at a time (whatever -j: the records come in the same order)
_PRIMER = b"#!/bin/bash\n#SBATCH -p gtest\nmodule load singularity\nsrun singularity run --nv x.sif true\n"
_FOLDER_CACHEABLE = CACHEABLE | STABLE_SKIPS
_UNHASHED = ("", UNHASHED)  # the digests of results kept by stat data alone (a stat-data hit: "")


class _Workers:
    """Parts of the trees to worker processes (:mod:`.pool`), at most ``_IN_FLIGHT`` at a
    time; their results are taken in the order they were handed out, so the records come
    in the same order whatever the number of workers and however fast each one is.

    A run with a cache does its first parts in this process while the cache answers them:
    a small tree answered from the cache costs less here than starting workers and
    sending them its parts.  The first part with files to read (``_LOCAL_WORK``), or
    ``_LOCAL_RECORDS`` records answered, start the workers; they take the parts handed
    out since and every part after (re-runs over unchanged trees, medians of three: 10,000
    files 0.27 s against 0.30 s with workers from the start; 154,000 files 0.80 s, against
    1.3 s in this process alone).

    A worker that dies (killed, out of memory) costs the parts it had: each is done again,
    listed in the main process and its files migrated one at a time in a worker of its
    own, so that a file that kills its worker costs that file (recorded as an error) and
    not the run; a fresh worker takes the dead one's place for the next parts."""

    def __init__(self, opts: Options, folders: Folders, done: set[str]):
        self.opts = opts
        self.folders = folders
        self.done = done
        self.pool: Pool | None = None
        self.started = False
        self.inflight: deque[tuple[str, list[str], bytes, int, int | None]] = deque()
        self._deaths = 0  # of the pools for parts done again
        self.local = False  # parts done in this process until one has files to read
        self.local_records = 0  # the records of the parts done so
        self.reader: Reader | None = None  # reads the workers' Python files (bulk/pyreader.py)

    @property
    def deaths(self) -> int:
        return self._deaths + (self.pool.deaths if self.pool is not None else 0)

    def _new_pool(self, jobs: int) -> Pool:
        if self.reader is None:
            from . import pyreader

            self.reader = pyreader.start(self.opts.jobs)
        return Pool(jobs, _init_worker, (self.opts, self.folders, self.done, self.reader is not None))

    def _start(self) -> None:
        self.started = True
        if self.opts.jobs > 1 and self.opts.cache_dir is not None:
            _init_worker(self.opts, self.folders, self.done)
            self.local = True
            return
        if self.opts.cache_dir is None:
            # prime the engine (parser, query, option tables, rule objects) before the
            # workers fork: they inherit it instead of each building their own (a run
            # with a cache may need none of it)
            from ..fix.engine import migrate

            try:
                migrate(Source.from_bytes(_PRIMER, "primer.sh"), self.opts.profile, self.opts.rules)
            except Exception:  # a warm-up only: a rule's bug is reported per file
                pass
        if self.opts.jobs > 1:
            self.pool = self._new_pool(self.opts.jobs)
        else:
            _init_worker(self.opts, self.folders, self.done)

    def submit(self, root: str, folders: list[str], files: bytes = b"", budget: int = _PART) -> None:
        if not self.started:
            self._start()
        ticket = self.pool.submit(walk_part, root, folders, files, budget) if self.pool is not None else None
        self.inflight.append((root, folders, files, budget, ticket))

    def next(self) -> tuple[str, Part]:
        """The oldest part's result (done here when there is no pool)."""
        root, folders, files, budget, ticket = self.inflight.popleft()
        if ticket is None or self.pool is None:
            part = walk_part(root, folders, files, budget)
            if self.local:
                self.local_records += _records(part)
                if _files_read(part) >= _LOCAL_WORK or self.local_records >= _LOCAL_RECORDS:
                    self._fork()
            return root, part
        try:
            return root, self.pool.result(ticket)
        except WorkerDied:
            return root, self._redo(root, folders, files)

    def _fork(self) -> None:
        """Start the workers; the parts handed out meanwhile go to them, in order."""
        self.local = False
        _end_here()  # each worker opens its own
        self.pool = pool = self._new_pool(self.opts.jobs)
        self.inflight = deque(
            (root, folders, files, budget, pool.submit(walk_part, root, folders, files, budget))
            for root, folders, files, budget, _ in self.inflight
        )

    def _redo(self, root: str, folders: list[str], piece: bytes) -> Part:
        """A part whose worker died: listed here, each file in a worker of its own."""
        opts = self.opts
        roots = [os.path.abspath(r) for r in opts.roots]
        single = self._new_pool(1)
        chain = Chain(root)

        def one(c: Candidate) -> Outcome:
            try:
                return call(single, process, c)
            except WorkerDied:
                detail = (
                    "internal error: the worker process migrating it died (killed, or out of memory) twice: "
                    "left as it is"
                )
                return outcome({"path": c.path, "user": _user_of(c), "status": "error", "detail": detail})

        out = [
            FolderOut("", [outcome(_skip_record(i, opts.write, roots)) if isinstance(i, Skipped) else one(i)])
            for i in (_entries(piece) if piece else [])
        ]
        stack = folders[::-1]
        done = resumed = 0
        try:
            while stack and done < _PART:
                listing = list_folder(stack.pop(), chain, opts.max_size)
                stack.extend(reversed(listing.subdirs))
                outcomes = []
                for item in listing.items:
                    if not in_shard(item.path, opts.shard):
                        continue
                    if item.path in self.done:
                        resumed += 1
                    elif isinstance(item, Skipped):
                        outcomes.append(outcome(_skip_record(item, opts.write, roots)))
                    else:
                        outcomes.append(one(item))
                        done += 1
                out.append(FolderOut(listing.folder, outcomes))
        finally:
            chain.close()
            single.close()
            self._deaths += single.deaths
        return Part(out, stack[::-1], resumed, [])

    def close(self) -> None:
        if self.pool is not None:
            self.pool.close()
        elif self.started:
            _end_here()
        if self.reader is not None:  # after the workers: they hold its connections
            self.reader.close()


def _end_here() -> None:
    """Close what doing parts in this process opened: the folders, the cache."""
    _release_folder()
    cache: ContentCache | None = _W.get("cache")
    if cache is not None:
        cache.close()


_LOCAL_WORK = 16  # files read in one part (not answered from the cache) that start the workers
_LOCAL_RECORDS = 2000  # records answered from the cache in this process that start the workers


def _records(part: Part) -> int:
    return sum(len(fo.outcomes) + (sum(fo.hit.statuses.values()) if fo.hit else 0) for fo in part.folders)


def _files_read(part: Part) -> int:
    """The files of ``part`` that were read (the cache did not answer them by their
    status or their folder)."""
    return sum(fo.read + _files_read_of(fo.outcomes) for fo in part.folders)


def _user_of(c: Candidate) -> str:
    """The user of a file, in the main process (no worker state there)."""
    _W.setdefault("users", {})
    return _user(c.uid, c.path)
