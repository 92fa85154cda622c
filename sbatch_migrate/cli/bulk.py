"""``bulk``, ``merge-reports``, ``restore``: the migration campaign over whole trees."""

from __future__ import annotations

import contextlib
import os
import re
import shlex
import sys
from pathlib import Path
from typing import Any

import click

from ..bulk.walk import distinct_roots, walk
from ..config import ConfigError, Settings
from ..profile import ProfileError
from .common import fail, parse_size, rule_options


def parse_shard(value: str | None) -> tuple[int, int] | None:
    if value is None:
        return None
    m = re.fullmatch(r"(\d+)/(\d+)", value.strip())
    if not m or not 0 <= int(m.group(1)) < int(m.group(2)):
        raise click.BadParameter(f"{value!r}: expected K/N with 0 <= K < N, e.g. 3/64")
    return int(m.group(1)), int(m.group(2))


def check_roots(roots: tuple[str, ...]) -> list[str]:
    """A root that does not exist is a mistake on the command line (exit 2); what is
    unreadable inside the trees is reported and skipped.  Returns the roots as absolute
    paths, each once and none inside another (noted on stderr)."""
    missing = [r for r in roots if not os.path.lexists(r)]
    for r in missing:
        fail(f"{r}: No such file or directory")
    if missing:
        sys.exit(2)
    kept, dropped = distinct_roots(list(roots))
    for inner, outer in dropped:
        click.echo(f"note: {inner} is inside {outer}: its files are looked at once", err=True)
    return kept


def cache_path(enabled: bool, folder: str | None) -> Path | None:
    if not enabled:
        return None
    if folder:
        return Path(folder) / "results.sqlite"
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "sbatch-migrate" / "results.sqlite"


def tree_settings(
    profile: str | None, partition_map: tuple[str, ...], select: tuple[str, ...], ignore: tuple[str, ...]
) -> Settings:
    """Settings of a tree run: the command line only (trees span many projects' configs)."""
    try:
        return Settings.resolve((), profile, partition_map, select, ignore, None, True)
    except (ProfileError, ConfigError) as exc:
        raise click.UsageError(str(exc)) from None


@click.command("bulk")
@click.argument("roots", nargs=-1, required=True, type=click.Path())
@click.option("--write", is_flag=True, help="Rewrite job scripts in place (default: dry run, nothing written).")
@click.option("--backup-dir", type=click.Path(file_okay=False), help="Where originals go [./sbatch-migrate-backups].")
@click.option("--no-backup", is_flag=True, help="With --write: keep no backups (not recommended).")
@click.option("--out-dir", type=click.Path(file_okay=False), help="Write migrated copies into this mirror tree.")
@click.option("--report-dir", type=click.Path(file_okay=False), help="Write JSON, Markdown and HTML reports here.")
@click.option("-j", "--jobs", type=click.IntRange(1), default=os.cpu_count() or 1, show_default="all cores")
@click.option("--resume", is_flag=True, help="Continue an interrupted run (needs its --report-dir).")
@click.option("--shard", metavar="K/N", help="Only shard K of N (0 <= K < N) of a deterministic split.")
@click.option(
    "--emit-array-job",
    type=click.IntRange(1),
    metavar="N",
    help="Print a Slurm job array script that runs the N shards, and exit.",
)
@click.option("--max-size", default="1MiB", show_default=True, help="Skip larger files.")
@click.option("--cache/--no-cache", default=True, show_default=True, help="Reuse results for unchanged files.")
@click.option(
    "--cache-dir",
    type=click.Path(file_okay=False),
    help="[$XDG_CACHE_HOME/sbatch-migrate, else ~/.cache/sbatch-migrate]",
)
@click.option("--keep-mtime", is_flag=True, help="Keep the modification time of rewritten files.")
@click.option(
    "--report-group",
    metavar="GROUP",
    help="Let this group read the reports (folder 0750, files 0640; default: yours only, 0700/0600).",
)
@rule_options
@click.option(
    "--unsafe-fixes", is_flag=True, help="Also apply the fixes that may change what a job asks for (docs/rules.md)."
)
@click.option("-q", "--quiet", is_flag=True, help="No progress bar or summary.")
def bulk_cmd(
    roots: tuple[str, ...],
    write: bool,
    backup_dir: str | None,
    no_backup: bool,
    out_dir: str | None,
    report_dir: str | None,
    jobs: int,
    resume: bool,
    shard: str | None,
    emit_array_job: int | None,
    max_size: str,
    cache: bool,
    cache_dir: str | None,
    keep_mtime: bool,
    report_group: str | None,
    profile: str | None,
    partition_map: tuple[str, ...],
    select: tuple[str, ...],
    ignore: tuple[str, ...],
    unsafe_fixes: bool,
    quiet: bool,
) -> None:
    """Migrate whole trees (home and work directories): dry run unless --write."""
    from ..bulk import campaign as bulk
    from ..bulk.reports import markdown, write_reports

    shard_kn = parse_shard(shard)
    size = parse_size(max_size)
    absolute = check_roots(roots)
    if resume and not report_dir:
        raise click.UsageError("--resume continues the run recorded in --report-dir: give it")
    if write and not report_dir:
        report_dir = "sbatch-migrate-report"  # the journal of a writing run always exists
    if emit_array_job:
        if not report_dir:
            raise click.UsageError("--emit-array-job needs --report-dir (each shard writes a report there)")
        click.echo(array_job(emit_array_job, sys.argv[1:]), nl=False)
        return
    settings = tree_settings(profile, partition_map, select, ignore)
    opts = bulk.Options(
        roots=absolute,
        profile=settings.profile,
        rules=settings.rules_for("-"),
        write=write,
        backup_dir=None if (no_backup or not write) else Path(backup_dir or "sbatch-migrate-backups").absolute(),
        out_dir=Path(out_dir).absolute() if out_dir else None,
        report_dir=Path(report_dir).absolute() if report_dir else None,
        jobs=jobs,
        resume=resume,
        shard=shard_kn,
        max_size=size,
        cache_dir=cache_folder(cache, cache_dir),
        keep_mtime=keep_mtime,
        report_group=group_id(report_group),
        unsafe_fixes=unsafe_fixes,
    )
    own = [("--report-dir", opts.report_dir), ("--backup-dir", opts.backup_dir), ("--out-dir", opts.out_dir)]
    for option, folder in own:
        _not_holding_a_root(option, folder, opts.roots)
    show = not quiet and sys.stderr.isatty() and not os.environ.get("CI")
    with contextlib.ExitStack() as stack:
        folders = open_session(stack, opts)
        if show:
            # a terminal: count first (a walk without reading) so the bar has a length
            total = sum(1 for item in walk(opts.roots, opts.max_size) if bulk.in_shard(item.path, opts.shard))
            with click.progressbar(length=total, label="migrating", file=sys.stderr, show_pos=True) as bar:
                result = run_bulk(opts, folders, progress=bar.update)
        else:
            result = run_bulk(opts, folders)
        if folders.report is not None and result.records_file is not None:
            report = folders.report
            summary = _reports(lambda: write_reports(report, [(report, result.records_file)], result.aggregate))
        else:
            summary = result.aggregate.summary()
            click.echo(markdown(summary), nl=False)  # no report folder: the Markdown report is the output
    if result.worker_deaths:
        click.echo(
            f"warning: a worker process died {result.worker_deaths} time(s) (killed, or out of memory): "
            "the files it had were migrated again",
            err=True,
        )
    if not quiet:
        parts = ", ".join(f"{n} {k}" for k, n in sorted(result.counts.items()))
        now = sum(result.counts.values())
        line = f"{now} files in {result.seconds:.1f}s" + (f": {parts}" if parts else "")
        earlier = sum(result.aggregate.statuses.values()) - now
        if earlier:
            line += f" (and {earlier} recorded before the run resumed)"
        click.echo(line, err=True)
        where = f"; reports in {opts.report_dir}" if opts.report_dir else ""
        click.echo(f"{summary['users_ready']} of {summary['users_total']} users ready{where}", err=True)
        if opts.write and opts.backup_dir is not None and result.aggregate.statuses.get("written"):
            click.echo(
                f"backups in {opts.backup_dir / opts.run_id} (sbatch-migrate restore "
                f"{opts.backup_dir} --run {opts.run_id})",
                err=True,
            )
    if summary.get("files_not_done"):
        sys.exit(1)  # a file could not be written, changed meanwhile, or met an internal error


def _not_holding_a_root(option: str, folder: Path | None, roots: list[str]) -> None:
    """The run's own folders are marked and never looked inside: one that is a root, or
    holds one, would hide the very tree to migrate (now and in every later run)."""
    if folder is None:
        return
    mine = os.path.realpath(folder)
    for root in roots:
        real = os.path.realpath(root)
        if real == mine or real.startswith(mine.rstrip("/") + "/"):
            fail(f"{option} {folder} holds the tree {root}: choose a folder outside it, or inside it")
            sys.exit(2)


def cache_folder(enabled: bool, folder: str | None) -> Path | None:
    if not enabled:
        return None
    if folder:
        return Path(folder).absolute()
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "sbatch-migrate"


def group_id(name: str | None) -> int | None:
    if name is None:
        return None
    import grp

    try:
        return grp.getgrnam(name).gr_gid
    except KeyError:
        if name.isdigit():
            return int(name)
        raise click.BadParameter(f"no group {name!r}", param_hint="--report-group") from None


def open_session(stack: contextlib.ExitStack, opts: Any) -> Any:
    """bulk.session (the run's own folders, checked, and the report lock), with a folder
    that is not safe or cannot be made, or is in use, as a one-line error (exit 2)."""
    from ..bulk import campaign as bulk

    try:
        return stack.enter_context(bulk.session(opts))
    except (bulk.ReportDirBusy, bulk.FolderError) as exc:
        fail(str(exc))
    sys.exit(2)


def _reports(write: Any) -> Any:
    try:
        return write()
    except OSError as exc:
        fail(f"the reports could not be written: {exc}; the run's records are complete (merge-reports rewrites them)")
        sys.exit(2)


def run_bulk(opts: Any, folders: Any, **kwargs: Any) -> Any:
    """bulk.run, with an unusable cache file or a resume with other options as a one-line
    error (exit 2)."""
    from ..bulk import campaign as bulk
    from ..bulk.cache import CacheError

    try:
        return bulk.run(opts, folders, **kwargs)
    except (CacheError, bulk.ResumeError) as exc:
        fail(str(exc))
        sys.exit(2)
    except OSError as exc:  # the journal or run.json (disk full ...); a file's own trouble is in its record
        fail(f"{exc.filename or 'the report folder'}: {exc.strerror or exc}; the run stopped (--resume continues it)")
        sys.exit(2)


def array_job(n: int, argv: list[str]) -> str:
    """A Slurm job array script running shard $SLURM_ARRAY_TASK_ID of N with the same options."""
    exe = f"{shlex.quote(sys.executable)} -m sbatch_migrate"  # this very installation, on every node
    args: list[str] = []
    skip = False
    report_dir = ""
    for i, arg in enumerate(argv):
        if skip:
            skip = False
            continue
        if arg in ("--emit-array-job", "--shard", "--report-dir"):
            skip = True
            if arg == "--report-dir":
                report_dir = argv[i + 1]
            continue
        if arg.startswith(("--emit-array-job=", "--shard=")):
            continue
        if arg.startswith("--report-dir="):
            report_dir = arg.split("=", 1)[1]
            continue
        if arg == "--resume":
            continue  # every task resumes (below)
        args.append(arg)
    if args and args[0] == "bulk":
        args = args[1:]
    report = os.path.abspath(report_dir)
    # slurmd opens --output before the script runs: the folder must exist at submission
    from ..bulk.ownfolder import own_folder

    try:
        with own_folder(report, "reports") as folder:
            folder.sub("logs").close()
    except OSError as exc:
        fail(f"--report-dir {report}: {exc.strerror if exc.filename else exc}")
        sys.exit(2)
    quoted = " ".join(shlex.quote(a) for a in args)
    return (
        "#!/bin/bash\n"
        "#SBATCH --job-name=sbatch-migrate\n"
        f"#SBATCH --array=0-{n - 1}\n"
        "#SBATCH --cpus-per-task=2\n"
        f"#SBATCH --output={report}/logs/shard-%a.out\n"
        "# Generated by sbatch-migrate bulk --emit-array-job: each array task migrates one shard\n"
        "# and writes its report; then run: sbatch-migrate merge-reports " + shlex.quote(report) + "\n"
        "# A task run again (requeued, or resubmitted with --array=K after its time limit)\n"
        "# continues its shard where it stopped (--resume; a first run starts afresh).\n"
        "set -euo pipefail\n"
        f'exec {exe} bulk {quoted} --jobs "${{SLURM_CPUS_PER_TASK:-1}}" '
        f'--shard "${{SLURM_ARRAY_TASK_ID}}/{n}" --resume '
        f'--report-dir {shlex.quote(report)}/shard-"${{SLURM_ARRAY_TASK_ID}}"\n'
    )


@click.command("merge-reports")
@click.argument("report_dir", type=click.Path(exists=True, file_okay=False))
@click.option("--out", type=click.Path(file_okay=False), help="Write the merged report here [REPORT_DIR].")
@click.option("--partial", is_flag=True, help="Merge even with shards missing or unfinished (the report says which).")
def merge_reports_cmd(report_dir: str, out: str | None, partial: bool) -> None:
    """Combine the shard reports under REPORT_DIR into one report.

    Every shard must be there, finished, and from the same command: a shard missing or
    still running would make users look ready who are not."""
    import json

    from ..bulk.campaign import RECORDS, STATE, FolderError, merge_problems
    from ..bulk.ownfolder import OwnFolder, own_folder
    from ..bulk.reports import write_reports

    with contextlib.ExitStack() as stack:
        try:
            root = stack.enter_context(OwnFolder.open(report_dir, create=False))
            shards = [stack.enter_context(s) for s in _shard_folders(root, RECORDS)]
        except OSError as exc:
            fail(str(exc) if exc.filename is None else f"{report_dir}: {exc.strerror or exc}")
            sys.exit(2)
        if not shards:
            fail(f"{report_dir}: no shard reports (*/{RECORDS}) found")
            sys.exit(2)
        states: list[tuple[Path, dict[str, Any] | None]] = []
        for s in shards:
            try:
                states.append((s.path, json.loads(s.read(STATE, 1 << 20))))
            except (OSError, ValueError):
                states.append((s.path, None))
        problems, gaps = merge_problems(states)
        if problems or (gaps and not partial):
            for line in problems + gaps:
                fail(line)
            if not problems:
                click.echo("merge anyway with --partial (the report then lists what it lacks)", err=True)
            sys.exit(2)
        for line in gaps:
            click.echo(f"warning: {line}", err=True)
        try:
            target = stack.enter_context(own_folder(out, "reports")) if out else root
        except OSError as exc:
            fail(str(FolderError("--out", Path(out or report_dir), exc)))
            sys.exit(2)
        summary = _reports(lambda: write_reports(target, [(s, RECORDS) for s in shards], incomplete=gaps))
    click.echo(
        f"merged {len(shards)} shard reports: {summary['job_scripts']} job scripts, "
        f"{summary['users_ready']} of {summary['users_total']} users ready; reports in {out or report_dir}",
        err=True,
    )


def _shard_folders(root: Any, records: str) -> list[Any]:
    """The folders below ``root`` (at any depth, never through a symlink) that hold a
    journal, each an OwnFolder (checked: this user's, nobody else's to write)."""
    import stat

    found: list[Any] = []
    stack = [root]
    while stack:
        folder = stack.pop()
        for name in folder.names():
            st = folder.lstat(name)
            if st is not None and stat.S_ISDIR(st.st_mode):
                inner = folder.sub(name, create=False)
                stack.append(inner)
                if inner.exists(records):
                    found.append(inner)
        if folder is not root and folder not in found:
            folder.close()
    return sorted(found, key=lambda f: str(f.path))


@click.command("restore")
@click.argument("backup_dir", type=click.Path(exists=True, file_okay=False))
@click.option("--run", "run_id", help="Only this run (a folder of BACKUP_DIR).")
@click.option("--force", is_flag=True, help="Also restore files changed after the migration.")
def restore_cmd(backup_dir: str, run_id: str | None, force: bool) -> None:
    """Put back the originals a bulk --write run saved (only what a run of this tool wrote)."""
    from ..bulk.backup import restore, runs

    try:
        known = runs(Path(backup_dir))
    except OSError as exc:
        fail(str(exc) if exc.filename is None else f"{backup_dir}: {exc.strerror or exc}")
        sys.exit(2)
    if run_id is not None and run_id not in known:
        fail(f"{backup_dir}: no run {run_id} there (runs: {', '.join(known) or 'none'})")
        sys.exit(2)
    if not known:
        fail(f"{backup_dir}: no backups of a bulk --write run there")
        sys.exit(2)
    counts: dict[str, int] = {}
    for r in restore(Path(backup_dir), run_id, force):
        counts[r.status] = counts.get(r.status, 0) + 1
        if r.status not in ("restored", "already-original"):
            click.echo(f"{r.path}: {r.status}: {r.detail}", err=True)
    click.echo(", ".join(f"{n} {k}" for k, n in sorted(counts.items())) or "nothing to restore", err=True)
    if counts.get("error") or counts.get("missing-backup") or counts.get("refused"):
        sys.exit(1)
