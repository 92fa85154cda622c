"""Migrating the files a command line names: what ``sbatch-migrate FILE...`` does once
its options are read, by click (:mod:`.migrate`) or, for the commonest command lines, by
:mod:`.quick` without importing click.  Everything it writes goes through
:mod:`.terminal`, so both ways write the same bytes.
"""

from __future__ import annotations

import os
import re
import stat
import sys

from ..output.terminal import echo, fail
from ..read.source import InputError, Source
from ..record import record

TYPE_CHECKING = False  # typing is not imported at run time (docs/design.md: a one-file run)
if TYPE_CHECKING:
    from typing import Any

    from ..config import Settings
    from ..fix.engine import Result


class UsageFault(Exception):
    """A command line that cannot run: said as click says a usage error (exit 2);
    ``bad_value``: as an invalid option value."""

    def __init__(self, message: str, bad_value: bool = False):
        super().__init__(message)
        self.bad_value = bad_value


@record(frozen=True)
class Request:
    """The migrate command's options, as click passes them."""

    files: tuple[str, ...] = ()
    show_diff: bool = False
    in_place: bool = False
    output: str | None = None
    check: bool = False
    fmt: str = "text"
    profile: str | None = None
    partition_map: tuple[str, ...] = ()
    select: tuple[str, ...] = ()
    ignore: tuple[str, ...] = ()
    config_path: str | None = None
    isolated: bool = False
    job_scripts_only: bool = False
    exit_zero: bool = False
    exit_non_zero_on_fix: bool = False
    validate: bool = False
    max_size: str = "1MiB"
    stdin_filename: str | None = None
    statistics: bool = False
    unsafe_fixes: bool | None = None
    show_fixes: bool = False
    fail_on: str = "error"
    quiet: bool = False


def size_of(value: str) -> int | None:
    """``1MiB``, ``512K``, ``2G``, ``100`` as bytes; None for what is not a size."""
    m = re.fullmatch(r"(\d+)\s*([KMG]?)i?B?", value.strip(), re.I)
    if not m:
        return None
    return int(m.group(1)) * {"": 1, "K": 1 << 10, "M": 1 << 20, "G": 1 << 30}[m.group(2).upper()]


def read_source(path: str, limit: int = 1 << 20, stdin_name: str | None = None) -> Source:
    """The bytes of ``path`` (``-``: stdin) as a Source; InputError (one line) for what is
    not a regular file (a FIFO would block, a device never ends) or is larger than
    ``limit``, as bulk runs judge them."""
    if path == "-":
        data = sys.stdin.buffer.read(limit + 1)
        if len(data) > limit:
            raise InputError(f"more than {_size(limit)} on stdin (--max-size)")
        return Source.from_bytes(data, stdin_name or "<stdin>")
    try:
        # O_NONBLOCK: opening a FIFO must not wait for a writer; a symlink named on the
        # command line is followed (the user named it), what it leads to is checked
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | os.O_CLOEXEC)
    except OSError as exc:
        raise InputError(exc.strerror or str(exc)) from None
    try:
        st = os.fstat(fd)
        if stat.S_ISDIR(st.st_mode):
            raise InputError("is a directory (use `sbatch-migrate bulk` for trees)")
        if not stat.S_ISREG(st.st_mode):
            raise InputError(f"not a regular file ({_kind(st.st_mode)}): not read")
        if st.st_size > limit:
            raise InputError(f"{_size(st.st_size)}, larger than --max-size {_size(limit)}: not read")
        parts: list[bytes] = []
        got = 0
        while got <= limit and (chunk := os.read(fd, min(limit + 1 - got, 1 << 20))):
            parts.append(chunk)
            got += len(chunk)
        data = b"".join(parts)
    except OSError as exc:
        raise InputError(exc.strerror or str(exc)) from None
    finally:
        os.close(fd)
    if len(data) > limit:  # it grew while being read
        raise InputError(f"larger than --max-size {_size(limit)}: not read")
    return Source.from_bytes(data, path)


def _kind(mode: int) -> str:
    if stat.S_ISFIFO(mode):
        return "a FIFO"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "a device"
    if stat.S_ISSOCK(mode):
        return "a socket"
    return "a special file"


def _size(n: int) -> str:
    for unit, size in (("GiB", 1 << 30), ("MiB", 1 << 20), ("KiB", 1 << 10)):
        if n >= size:
            return f"{n / size:.4g} {unit}"
    return f"{n} bytes"


def _is_job_script(name: str, data: bytes) -> bool:
    from ..read.kind import is_job_script  # its patterns only for --job-scripts-only

    return is_job_script(name, data)


def run(req: Request) -> None:
    """Migrate ``req.files``; exits (``sys.exit``) 1 or 2 as the command's exit codes
    say; UsageFault for a command line that cannot run.  The engine, the rules and the
    configuration are imported only once a file is to be migrated: a ``--job-scripts-only``
    run over files that are not job scripts (pre-commit) reads them with the kind check alone."""
    files = req.files
    if req.stdin_filename is not None and not files:
        files = ("-",)  # as ruff: the name alone means stdin
    if not files:
        raise UsageFault("no file given (try: sbatch-migrate job.sh)")
    limit = size_of(req.max_size)
    if limit is None:
        raise UsageFault(f"{req.max_size!r}: expected a size such as 1MiB or 512K", bad_value=True)
    if sum([req.show_diff, req.in_place, req.output is not None]) > 1:
        raise UsageFault("choose one of --diff, -i/--in-place, -o/--output")
    if req.check and (req.in_place or req.output):
        raise UsageFault("--check writes nothing: drop -i/-o")
    if req.show_diff and req.fmt != "text":
        raise UsageFault(f"--diff and --format {req.fmt} both want stdout: choose one")
    if req.output and len(files) > 1:
        raise UsageFault("-o/--output takes one input file")
    script_out = not (req.show_diff or req.in_place or req.output or req.check or req.fmt != "text")
    if script_out and len(files) > 1:
        raise UsageFault("several files: use -i, --diff, --check or a --format")
    if req.in_place and "-" in files:
        raise UsageFault("-i cannot rewrite stdin")
    from ..config import ConfigError, Settings, discover
    from ..output.report import (
        file_dict,
        finding_dict,
        fixes_lines,
        json_report,
        statistics_lines,
        summary_line,
        text_lines,
    )
    from ..profile import ProfileError

    try:
        named = tuple(req.stdin_filename if f == "-" and req.stdin_filename else f for f in files)
        settings = Settings.resolve(
            named, req.profile, req.partition_map, req.select, req.ignore, req.config_path, req.isolated
        )
    except (ProfileError, ConfigError) as exc:
        raise UsageFault(str(exc)) from None
    by_config: dict[str, Settings] = {str(settings.config.path): settings}
    by_folder: dict[str, Settings] = {}

    def settings_for(name: str) -> Settings:
        """Each file's nearest configuration (as ruff finds it), not the first file's for
        all: the result must not depend on argument order or on how pre-commit batches."""
        if req.config_path or req.isolated or name == "<stdin>":
            return settings
        folder = os.path.dirname(os.path.abspath(name))
        if folder not in by_folder:
            config = discover(folder)
            key = str(config.path)
            if key not in by_config:
                by_config[key] = Settings.from_config(config, req.profile, req.partition_map, req.select, req.ignore)
            by_folder[folder] = by_config[key]
        return by_folder[folder]

    reports: list[dict[str, Any]] = []
    text_lines_of: list[list[str]] = []  # each report's file as text lines (SARIF's UTF-16 columns)
    notes: list[str] = []  # files that could not be read
    failures = 0
    unvalidated = 0
    text_to_stdout = req.check and not req.show_diff and req.fmt == "text"
    written = not (req.check or req.show_diff)
    for path in files:
        try:
            source = read_source(path, limit, req.stdin_filename)
        except InputError as exc:
            fail(f"{path}: {exc}")
            notes.append(f"{path}: {exc}")
            failures += 1
            continue
        name = (req.stdin_filename or "<stdin>") if path == "-" else path
        if req.job_scripts_only and name != "<stdin>" and not _is_job_script(name, source.data):
            continue
        try:
            here = settings_for(name)
        except (ProfileError, ConfigError) as exc:
            raise UsageFault(str(exc)) from None
        unsafe = here.config.unsafe_fixes if req.unsafe_fixes is None else req.unsafe_fixes
        from ..fix.engine import migrate

        result = migrate(source, here.profile, here.rules_for(name), unsafe)
        report = file_dict(result, name)
        if req.validate:
            from ..checks.sbatch_rejects import SbatchRejects
            from ..site.validate import test_only

            verdict = test_only(result.output)
            report["validation"] = {"ok": verdict.ok, "message": verdict.message}
            if verdict.ok is False:
                rejected = SbatchRejects().finding(
                    0, 0, f"sbatch --test-only rejects the migrated script: {verdict.message}"
                )
                report["findings"].append(finding_dict(result, rejected))
            elif verdict.ok is None:
                fail(f"{path}: --validate: {verdict.message}")
                unvalidated += 1
            elif req.fmt == "text" and not req.quiet:
                echo(f"{report['path']}: sbatch --test-only accepts it: {verdict.message}", err=not text_to_stdout)
        reports.append(report)
        if req.fmt == "sarif":
            text_lines_of.append(result.source.text.split("\n"))
        if not req.quiet:
            if req.fmt == "text" and not req.statistics:
                for line in text_lines(report, written, colour(not text_to_stdout)):
                    echo(line, err=not text_to_stdout, color=colour(not text_to_stdout))
            elif req.fmt == "github":
                from ..output.github import github_lines

                for line in github_lines(report):
                    echo(line)
        _emit(result, name, req.show_diff, req.in_place, req.output, script_out)
    if req.fmt == "json":
        echo(json_report(reports, failures), nl=False)
    elif req.fmt == "sarif":
        from ..output.sarif import sarif_report

        echo(sarif_report(reports, text_lines_of, notifications=notes), nl=False)
    elif req.fmt == "gitlab":
        from ..output.gitlab import gitlab_report

        echo(gitlab_report(reports), nl=False)
    elif req.fmt == "github" and not req.quiet:
        from ..output.github import github_overflow

        lines, table = github_overflow(reports)
        for line in lines:
            echo(line)
        if table is not None and os.environ.get("GITHUB_STEP_SUMMARY"):
            try:
                with open(os.environ["GITHUB_STEP_SUMMARY"], "a", encoding="utf-8", errors="surrogateescape") as fh:
                    fh.write(table)
            except OSError as exc:
                fail(f"GITHUB_STEP_SUMMARY: {exc.strerror or exc}")
    elif req.fmt == "text" and not req.quiet:
        if req.statistics:
            for line in statistics_lines(reports):
                echo(line, err=not text_to_stdout)
        if req.show_fixes:
            for line in fixes_lines(reports, written):
                echo(line, err=not text_to_stdout)
        echo(summary_line(reports, failures, written), err=not text_to_stdout)
    if failures or unvalidated:
        sys.exit(2)
    if req.exit_zero:
        return
    # as `ruff req.check --fix`: errors left unfixed (the migrated script will not run) exit 1 in
    # every mode; --check also exits 1 when a file would change
    if any(_unfixed(r, req.fail_on) for r in reports):
        sys.exit(1)
    if req.check and any(r["changed"] for r in reports):
        sys.exit(1)
    if req.in_place and req.exit_non_zero_on_fix and any(r["changed"] for r in reports):
        sys.exit(1)


_RANK = {"info": 0, "warning": 1, "error": 2}


def _unfixed(report: dict[str, Any], worst: str = "error") -> bool:
    """A finding of ``worst`` severity or above left unfixed."""
    return any(_RANK[f["severity"]] >= _RANK[worst] and not f["fixed"] for f in report["findings"])


def colour(to_stderr: bool) -> bool:
    """Colour on a terminal; NO_COLOR (any value) turns it off, FORCE_COLOR on (no-color.org)."""
    if os.environ.get("NO_COLOR"):
        return False
    if os.environ.get("FORCE_COLOR"):
        return True
    return (sys.stderr if to_stderr else sys.stdout).isatty()


def _emit(result: Result, path: str, show_diff: bool, in_place: bool, output: str | None, script_out: bool) -> None:
    if show_diff:
        from ..output.report import diff

        echo(diff(result, path), nl=False)
    elif in_place:
        if result.changed:
            _warn_root_in_place(path)
            try:
                # a symlink named on the command line is written through (the link stays a
                # link); bulk runs never follow one
                from ..bulk.writer import atomic_write

                atomic_write(os.path.realpath(path), result.output)
            except OSError as exc:
                fail(f"{path}: cannot write: {exc.strerror or exc}")
                sys.exit(2)
    elif output:
        try:
            from ..bulk.writer import atomic_write

            atomic_write(output, result.output)
        except OSError as exc:
            fail(f"{output}: cannot write: {exc.strerror or exc}")
            sys.exit(2)
    elif script_out:
        sys.stdout.buffer.write(result.output)
        sys.stdout.buffer.flush()


def _warn_root_in_place(path: str) -> None:
    """-i follows a symlink named on the command line and keeps no backup: right for your
    own files, not for root over other users' (bulk --write is made for that)."""
    if os.geteuid() != 0:
        return
    try:
        owner = os.stat(path).st_uid
    except OSError:
        return
    if owner != 0:
        echo(
            f"warning: {path} belongs to uid {owner}: as root, rewrite users' files with "
            "`sbatch-migrate bulk --write` (never through a symlink, with backups, no save lost)",
            err=True,
        )
