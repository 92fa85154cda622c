"""The command line: ``sbatch-migrate [OPTIONS] FILE...`` and its subcommands.

Thin by design: it reads files, calls :func:`sbatch_migrate.engine.migrate`, and renders.
stdout carries exactly one artifact (the script, the diff, or the report); exit codes:
0 ok, 1 ``--check`` found work or errors remain, 2 usage error or unreadable input.
"""

from __future__ import annotations

import contextlib
import os
import re
import shlex
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import click

from .. import __version__
from ..bulk.walk import distinct_roots, is_job_script, mark_own_folder, walk
from ..bulk.writer import atomic_write
from ..checks import RULES, lookup
from ..checks.rule import Rule
from ..checks.sbatch_rejects import SbatchRejects
from ..config import Config, ConfigError, check_codes, discover
from ..config import load as load_config
from ..fix.engine import Result, migrate, select_rules
from ..output.report import (
    diff,
    file_dict,
    finding_dict,
    github_lines,
    json_report,
    sarif_report,
    summary_line,
    text_lines,
)
from ..profile import Profile, ProfileError, extend, load, parse_partition_map
from ..read.source import InputError, Source
from ..site.validate import test_only


class _DefaultGroup(click.Group):
    """``sbatch-migrate job.sh`` means ``sbatch-migrate migrate job.sh``."""

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        if args and args[0] not in self.commands and args[0] not in ("--help", "-h", "--version"):
            args = ["migrate", *args]
        elif not args:
            args = ["migrate"]
        return super().parse_args(ctx, args)


@click.group(cls=_DefaultGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="sbatch-migrate")
def main() -> None:
    """Migrate TWCC Slurm + Singularity job scripts to Slurm on Kubernetes (Slinky).

    \b
      sbatch-migrate job.sh             migrated script on stdout, report on stderr
      sbatch-migrate --diff job.sh      unified diff
      sbatch-migrate -i job.sh          rewrite in place
      sbatch-migrate --check *.sh       exit 1 if anything would change
      sbatch-migrate rules              list the rules
      sbatch-migrate explain SM201      a rule's documentation
    """


def _codes(ctx: click.Context, param: click.Parameter, incomplete: str) -> list[Any]:
    from click.shell_completion import CompletionItem

    return [CompletionItem(r.code, help=r.summary) for r in RULES if r.code.startswith(incomplete.upper())]


def _split(values: tuple[str, ...]) -> list[str]:
    return [v.strip() for item in values for v in item.split(",") if v.strip()]


def _fail(message: str) -> None:
    click.echo(f"sbatch-migrate: error: {message}", err=True)


def read_source(path: str) -> Source:
    if path == "-":
        return Source.from_bytes(sys.stdin.buffer.read(), "<stdin>")
    if os.path.isdir(path):
        raise InputError("is a directory (use `sbatch-migrate bulk` for trees)")
    try:
        with open(path, "rb") as fh:
            data = fh.read()
    except OSError as exc:
        raise InputError(exc.strerror or str(exc)) from None
    return Source.from_bytes(data, path)


def _rule_options(command: Any) -> Any:
    """--profile, --partition-map, --select, --ignore: the same on every command."""
    for option in reversed(
        (
            click.option("--profile", metavar="NAME|PATH", help="Rule profile (default: twcc-to-slinky)."),
            click.option("--partition-map", multiple=True, metavar="OLD=NEW", help="Map a partition (repeatable)."),
            click.option("--select", multiple=True, metavar="CODES", help="Only these rule codes or prefixes."),
            click.option("--ignore", multiple=True, metavar="CODES", help="Skip these rule codes or prefixes."),
        )
    ):
        command = option(command)
    return command


@main.command("migrate")
@click.argument("files", nargs=-1, type=click.Path(dir_okay=True, allow_dash=True))
@click.option("--diff", "show_diff", is_flag=True, help="Print a unified diff instead of the script.")
@click.option("-i", "--in-place", is_flag=True, help="Rewrite the files (atomically).")
@click.option("-o", "--output", type=click.Path(dir_okay=False, writable=True), help="Write the script here.")
@click.option("--check", is_flag=True, help="Write nothing; exit 1 if a file would change or errors remain.")
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["text", "json", "sarif", "github"]),
    default="text",
    show_default=True,
    help="Report format; json, sarif and github go to stdout.",
)
@_rule_options
@click.option("--config", "config_path", type=click.Path(dir_okay=False), help="Use this configuration file.")
@click.option("--isolated", is_flag=True, help="Ignore configuration files.")
@click.option("--job-scripts-only", is_flag=True, help="Skip files that are not job scripts (by content).")
@click.option("--exit-zero", is_flag=True, help="Exit 0 even when --check finds work or errors remain.")
@click.option("--exit-non-zero-on-fix", is_flag=True, help="With -i: exit 1 when a file was changed.")
@click.option("--validate", is_flag=True, help="Ask the cluster: run `sbatch --test-only` on the migrated script.")
@click.option("-q", "--quiet", is_flag=True, help="No text report.")
def migrate_cmd(
    files: tuple[str, ...],
    show_diff: bool,
    in_place: bool,
    output: str | None,
    check: bool,
    fmt: str,
    profile: str | None,
    partition_map: tuple[str, ...],
    select: tuple[str, ...],
    ignore: tuple[str, ...],
    config_path: str | None,
    isolated: bool,
    job_scripts_only: bool,
    exit_zero: bool,
    exit_non_zero_on_fix: bool,
    validate: bool,
    quiet: bool,
) -> None:
    """Migrate job scripts (FILE may be - for stdin)."""
    if not files:
        raise click.UsageError("no file given (try: sbatch-migrate job.sh)")
    if sum([show_diff, in_place, output is not None]) > 1:
        raise click.UsageError("choose one of --diff, -i/--in-place, -o/--output")
    if check and (in_place or output):
        raise click.UsageError("--check writes nothing: drop -i/-o")
    if show_diff and fmt != "text":
        raise click.UsageError(f"--diff and --format {fmt} both want stdout: choose one")
    if output and len(files) > 1:
        raise click.UsageError("-o/--output takes one input file")
    script_out = not (show_diff or in_place or output or check or fmt != "text")
    if script_out and len(files) > 1:
        raise click.UsageError("several files: use -i, --diff, --check or a --format")
    if in_place and "-" in files:
        raise click.UsageError("-i cannot rewrite stdin")
    try:
        settings = Settings.resolve(files, profile, partition_map, select, ignore, config_path, isolated)
    except (ProfileError, ConfigError) as exc:
        raise click.UsageError(str(exc)) from None
    reports: list[dict[str, Any]] = []
    failures = 0
    unvalidated = 0
    text_to_stdout = check and not show_diff and fmt == "text"
    written = not (check or show_diff)
    for path in files:
        try:
            source = read_source(path)
        except InputError as exc:
            _fail(f"{path}: {exc}")
            failures += 1
            continue
        if job_scripts_only and path != "-" and not is_job_script(path, source.data):
            continue
        result = migrate(source, settings.profile, settings.rules_for(path))
        report = file_dict(result, "<stdin>" if path == "-" else path)
        if validate:
            verdict = test_only(result.output)
            report["validation"] = {"ok": verdict.ok, "message": verdict.message}
            if verdict.ok is False:
                rejected = SbatchRejects().finding(
                    0, 0, f"sbatch --test-only rejects the migrated script: {verdict.message}"
                )
                report["findings"].append(finding_dict(result, rejected))
            elif verdict.ok is None:
                _fail(f"{path}: --validate: {verdict.message}")
                unvalidated += 1
            elif fmt == "text" and not quiet:
                click.echo(
                    f"{report['path']}: sbatch --test-only accepts it: {verdict.message}", err=not text_to_stdout
                )
        reports.append(report)
        if not quiet:
            if fmt == "text":
                for line in text_lines(report, written):
                    click.echo(line, err=not text_to_stdout)
            elif fmt == "github":
                for line in github_lines(report):
                    click.echo(line)
        _emit(result, path, show_diff, in_place, output, script_out)
    if fmt == "json":
        click.echo(json_report(reports, failures), nl=False)
    elif fmt == "sarif":
        click.echo(sarif_report(reports), nl=False)
    elif fmt == "text" and not quiet:
        click.echo(summary_line(reports, failures), err=not text_to_stdout)
    if failures or unvalidated:
        sys.exit(2)
    if exit_zero:
        return
    if check and any(r["changed"] or _errors(r) for r in reports):
        sys.exit(1)
    if in_place and exit_non_zero_on_fix and any(r["changed"] for r in reports):
        sys.exit(1)


class Settings:
    """Profile and rule selection for a run: configuration file, then command line."""

    def __init__(self, profile: Profile, config: Config, select: tuple[str, ...], ignore: tuple[str, ...]):
        self.profile = profile
        self.config = config
        self.select = select
        self.ignore = ignore
        self._cache: dict[tuple[str, ...], list[type[Rule]]] = {}

    @classmethod
    def resolve(
        cls,
        files: tuple[str, ...],
        profile: str | None,
        partition_map: tuple[str, ...],
        select: tuple[str, ...],
        ignore: tuple[str, ...],
        config_path: str | None,
        isolated: bool,
    ) -> Settings:
        if config_path:
            config = load_config(Path(config_path))
        elif isolated:
            config = Config()
        else:
            first = next((f for f in files if f != "-"), None)
            config = discover(Path(first).parent if first else Path.cwd())
        prof = load(profile or config.profile)
        for extra in config.extra_rules:
            prof = extend(prof, extra)
        mapping = {**config.partition_map, **parse_partition_map(partition_map)}
        if mapping:
            prof = prof.with_partition_map(mapping)
        sel = tuple(s.upper() for s in _split(select)) or config.select
        ign = config.ignore + tuple(s.upper() for s in _split(ignore))
        where = str(config.path) if config.path else "command line"
        check_codes(sel, f"{where}: select")
        check_codes(ign, f"{where}: ignore")
        for pattern, codes in config.per_file_ignores:
            check_codes(codes, f"{where}: per-file-ignores {pattern!r}")
        return cls(prof, config, sel, ign)

    def rules_for(self, path: str) -> list[type[Rule]]:
        extra = self.config.ignores_for(path) if path != "-" else ()
        if extra not in self._cache:
            self._cache[extra] = select_rules(self.select, self.ignore + extra)
        return self._cache[extra]


def _errors(report: dict[str, Any]) -> bool:
    return any(f["severity"] == "error" and not f["fixed"] for f in report["findings"])


def _emit(result: Result, path: str, show_diff: bool, in_place: bool, output: str | None, script_out: bool) -> None:
    if show_diff:
        click.echo(diff(result, path), nl=False)
    elif in_place:
        if result.changed:
            try:
                # a symlink named on the command line is written through (the link stays a
                # link); bulk runs never follow one
                atomic_write(os.path.realpath(path), result.output)
            except OSError as exc:
                _fail(f"{path}: cannot write: {exc.strerror or exc}")
                sys.exit(2)
    elif output:
        try:
            atomic_write(output, result.output)
        except OSError as exc:
            _fail(f"{output}: cannot write: {exc.strerror or exc}")
            sys.exit(2)
    elif script_out:
        sys.stdout.buffer.write(result.output)
        sys.stdout.buffer.flush()


@main.command("rules")
def rules_cmd() -> None:
    """List the rules: code, name, severity, fix, summary."""
    for r in RULES:
        click.echo(f"{r.code}  {r.name:<28} {r.severity.value:<8} fix:{r.fix:<10} {r.summary}")


@main.command("explain")
@click.argument("code", shell_complete=_codes)
def explain_cmd(code: str) -> None:
    """Show a rule's documentation (by code or name)."""
    rule = lookup(code)
    if rule is None:
        _fail(f"no rule {code!r} (see `sbatch-migrate rules`)")
        sys.exit(2)
    click.echo(f"{rule.code} {rule.name} ({rule.severity.value}; fix: {rule.fix})\n")
    click.echo(rule.doc())


def _shard(value: str | None) -> tuple[int, int] | None:
    if value is None:
        return None
    m = re.fullmatch(r"(\d+)/(\d+)", value.strip())
    if not m or not 0 <= int(m.group(1)) < int(m.group(2)):
        raise click.BadParameter(f"{value!r}: expected K/N with 0 <= K < N, e.g. 3/64")
    return int(m.group(1)), int(m.group(2))


def _size(value: str) -> int:
    m = re.fullmatch(r"(\d+)\s*([KMG]?)i?B?", value.strip(), re.I)
    if not m:
        raise click.BadParameter(f"{value!r}: expected a size such as 1MiB or 512K")
    return int(m.group(1)) * {"": 1, "K": 1 << 10, "M": 1 << 20, "G": 1 << 30}[m.group(2).upper()]


def _check_roots(roots: tuple[str, ...]) -> list[str]:
    """A root that does not exist is a mistake on the command line (exit 2); what is
    unreadable inside the trees is reported and skipped.  Returns the roots as absolute
    paths, each once and none inside another (noted on stderr)."""
    missing = [r for r in roots if not os.path.lexists(r)]
    for r in missing:
        _fail(f"{r}: No such file or directory")
    if missing:
        sys.exit(2)
    kept, dropped = distinct_roots(list(roots))
    for inner, outer in dropped:
        click.echo(f"note: {inner} is inside {outer}: its files are looked at once", err=True)
    return kept


def _cache_path(enabled: bool, folder: str | None) -> Path | None:
    if not enabled:
        return None
    if folder:
        return Path(folder) / "results.sqlite"
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "sbatch-migrate" / "results.sqlite"


def _tree_settings(
    profile: str | None, partition_map: tuple[str, ...], select: tuple[str, ...], ignore: tuple[str, ...]
) -> Settings:
    """Settings of a tree run: the command line only (trees span many projects' configs)."""
    try:
        return Settings.resolve((), profile, partition_map, select, ignore, None, True)
    except (ProfileError, ConfigError) as exc:
        raise click.UsageError(str(exc)) from None


@main.command("bulk")
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
@_rule_options
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
    profile: str | None,
    partition_map: tuple[str, ...],
    select: tuple[str, ...],
    ignore: tuple[str, ...],
    quiet: bool,
) -> None:
    """Migrate whole trees (home and work directories): dry run unless --write."""
    from ..bulk import campaign as bulk
    from ..bulk.reports import markdown, write_reports

    shard_kn = _shard(shard)
    size = _size(max_size)
    absolute = _check_roots(roots)
    if resume and not report_dir:
        raise click.UsageError("--resume continues the run recorded in --report-dir: give it")
    if write and not report_dir:
        report_dir = "sbatch-migrate-report"  # the journal of a writing run always exists
    if emit_array_job:
        if not report_dir:
            raise click.UsageError("--emit-array-job needs --report-dir (each shard writes a report there)")
        click.echo(array_job(emit_array_job, sys.argv[1:]), nl=False)
        return
    settings = _tree_settings(profile, partition_map, select, ignore)
    opts = bulk.Options(
        roots=absolute,
        profile=settings.profile,
        rules=settings.rules_for("-"),
        write=write,
        backup_dir=None if (no_backup or not write) else Path(backup_dir or "sbatch-migrate-backups").resolve(),
        out_dir=Path(out_dir).resolve() if out_dir else None,
        report_dir=Path(report_dir).resolve() if report_dir else None,
        jobs=jobs,
        resume=resume,
        shard=shard_kn,
        max_size=size,
        cache_path=_cache_path(cache, cache_dir),
        keep_mtime=keep_mtime,
    )
    own = [("--report-dir", opts.report_dir), ("--backup-dir", opts.backup_dir), ("--out-dir", opts.out_dir)]
    for option, folder in own:
        _not_holding_a_root(option, folder, opts.roots)
    _own_folder(opts.report_dir, "--report-dir", "reports")
    _own_folder(opts.backup_dir, "--backup-dir", "backups of the files a migration rewrote")
    _own_folder(opts.out_dir, "--out-dir", "migrated copies")
    show = not quiet and sys.stderr.isatty() and not os.environ.get("CI")
    with _report_lock(opts.report_dir):
        if show:
            # a terminal: count first (a walk without reading) so the bar has a length
            total = sum(1 for item in walk(opts.roots, opts.max_size) if bulk.in_shard(item.path, opts.shard))
            with click.progressbar(length=total, label="migrating", file=sys.stderr, show_pos=True) as bar:
                result = _run_bulk(opts, progress=bar.update)
        else:
            result = _run_bulk(opts)
        if opts.report_dir is not None and result.records_file is not None:
            summary = write_reports(opts.report_dir, [result.records_file], result.aggregate)
        else:
            summary = result.aggregate.summary()
            click.echo(markdown(summary), nl=False)  # no report folder: the Markdown report is the output
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
    if result.counts.get("write-failed"):
        sys.exit(1)


def _not_holding_a_root(option: str, folder: Path | None, roots: list[str]) -> None:
    """The run's own folders are marked and never looked inside: one that is a root, or
    holds one, would hide the very tree to migrate (now and in every later run)."""
    if folder is None:
        return
    mine = os.path.realpath(folder)
    for root in roots:
        real = os.path.realpath(root)
        if real == mine or real.startswith(mine.rstrip("/") + "/"):
            _fail(f"{option} {folder} holds the tree {root}: choose a folder outside it, or inside it")
            sys.exit(2)


def _own_folder(folder: Path | None, option: str, what: str) -> None:
    """Create and mark one of the run's own folders up front: one that cannot be written
    is a command-line error (exit 2), not a failure halfway through the run."""
    if folder is None:
        return
    try:
        mark_own_folder(folder, what)
        if not os.access(folder, os.W_OK | os.X_OK):
            raise PermissionError(13, "Permission denied")
    except OSError as exc:
        _fail(f"{option} {folder}: cannot write there ({exc.strerror or exc})")
        sys.exit(2)


@contextlib.contextmanager
def _report_lock(report_dir: Path | None) -> Iterator[None]:
    """bulk.report_lock, with a folder in use as a one-line error (exit 2)."""
    from ..bulk import campaign as bulk

    try:
        with bulk.report_lock(report_dir):
            yield
    except bulk.ReportDirBusy as exc:  # raised only while taking the lock
        _fail(str(exc))
        sys.exit(2)


def _run_bulk(opts: Any, **kwargs: Any) -> Any:
    """bulk.run, with an unusable cache file or a resume with other options as a one-line
    error (exit 2)."""
    from ..bulk import campaign as bulk
    from ..bulk.cache import CacheError

    try:
        return bulk.run(opts, **kwargs)
    except (CacheError, bulk.ResumeError) as exc:
        _fail(str(exc))
        sys.exit(2)
    except OSError as exc:  # the journal or run.json (disk full ...); a file's own trouble is in its record
        _fail(f"{exc.filename or 'the report folder'}: {exc.strerror or exc}; the run stopped (--resume continues it)")
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
    os.makedirs(os.path.join(report, "logs"), exist_ok=True)
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


@main.command("merge-reports")
@click.argument("report_dir", type=click.Path(exists=True, file_okay=False))
@click.option("--out", type=click.Path(file_okay=False), help="Write the merged report here [REPORT_DIR].")
@click.option("--partial", is_flag=True, help="Merge even with shards missing or unfinished (the report says which).")
def merge_reports_cmd(report_dir: str, out: str | None, partial: bool) -> None:
    """Combine the shard reports under REPORT_DIR into one report.

    Every shard must be there, finished, and from the same command: a shard missing or
    still running would make users look ready who are not."""
    import json

    from ..bulk.campaign import merge_problems
    from ..bulk.reports import write_reports

    root = Path(report_dir)
    shards = sorted(p for p in root.rglob("files.jsonl") if p.parent != root)
    if not shards:
        _fail(f"{report_dir}: no shard reports (*/files.jsonl) found")
        sys.exit(2)
    states: list[tuple[Path, dict[str, Any] | None]] = []
    for s in shards:
        try:
            states.append((s.parent, json.loads((s.parent / "run.json").read_text())))
        except (OSError, ValueError):
            states.append((s.parent, None))
    problems, gaps = merge_problems(states)
    if problems or (gaps and not partial):
        for line in problems + gaps:
            _fail(line)
        if not problems:
            click.echo("merge anyway with --partial (the report then lists what it lacks)", err=True)
        sys.exit(2)
    for line in gaps:
        click.echo(f"warning: {line}", err=True)
    target = Path(out) if out else root
    _own_folder(target, "--out", "reports")
    summary = write_reports(target, shards, incomplete=gaps)
    click.echo(
        f"merged {len(shards)} shard reports: {summary['job_scripts']} job scripts, "
        f"{summary['users_ready']} of {summary['users_total']} users ready; reports in {target}",
        err=True,
    )


@main.command("restore")
@click.argument("backup_dir", type=click.Path(exists=True, file_okay=False))
@click.option("--run", "run_id", help="Only this run (a folder of BACKUP_DIR).")
@click.option("--force", is_flag=True, help="Also restore files changed after the migration.")
def restore_cmd(backup_dir: str, run_id: str | None, force: bool) -> None:
    """Put back the originals a bulk --write run saved."""
    from ..bulk.backup import restore

    runs = sorted(p.name for p in Path(backup_dir).iterdir() if (p / "meta").is_dir())
    if run_id is not None and run_id not in runs:
        _fail(f"{backup_dir}: no run {run_id} there (runs: {', '.join(runs) or 'none'})")
        sys.exit(2)
    if not runs:
        _fail(f"{backup_dir}: no backups of a bulk --write run there")
        sys.exit(2)
    counts: dict[str, int] = {}
    for r in restore(Path(backup_dir), run_id, force):
        counts[r.status] = counts.get(r.status, 0) + 1
        if r.status not in ("restored", "already-original"):
            click.echo(f"{r.path}: {r.status}: {r.detail}", err=True)
    click.echo(", ".join(f"{n} {k}" for k, n in sorted(counts.items())) or "nothing to restore", err=True)
    if counts.get("error") or counts.get("missing-backup"):
        sys.exit(1)


@main.command("inventory")
@click.argument("roots", nargs=-1, required=True, type=click.Path())
@click.option("--format", "fmt", type=click.Choice(["markdown", "json"]), default="markdown", show_default=True)
@click.option("--helm-values", type=click.Path(dir_okay=False), help="Also write a Helm values fragment here.")
@click.option("--profile", metavar="NAME|PATH", help="Rule profile (default: twcc-to-slinky).")
@click.option("--partition-map", multiple=True, metavar="OLD=NEW", help="Map a partition (repeatable).")
@click.option("-j", "--jobs", type=click.IntRange(1), default=os.cpu_count() or 1, show_default="all cores")
@click.option("--max-size", default="1MiB", show_default=True, help="Skip larger files.")
@click.option("--cache/--no-cache", default=True, show_default=True)
@click.option(
    "--cache-dir",
    type=click.Path(file_okay=False),
    help="[$XDG_CACHE_HOME/sbatch-migrate, else ~/.cache/sbatch-migrate]",
)
def inventory_cmd(
    roots: tuple[str, ...],
    fmt: str,
    helm_values: str | None,
    profile: str | None,
    partition_map: tuple[str, ...],
    jobs: int,
    max_size: str,
    cache: bool,
    cache_dir: str | None,
) -> None:
    """What the new cluster must provide for the job scripts under ROOTS (and Helm values)."""
    from ..bulk import campaign as bulk
    from ..site.helm import values
    from ..site.inventory import Inventory, to_json, to_markdown

    absolute = _check_roots(roots)
    settings = _tree_settings(profile, partition_map, (), ())
    opts = bulk.Options(
        roots=absolute,
        profile=settings.profile,
        rules=settings.rules_for("-"),
        jobs=jobs,
        max_size=_size(max_size),
        inventory=True,
        cache_path=_cache_path(cache, cache_dir),
    )
    inv = Inventory(settings.profile)
    result = _run_bulk(opts, on_record=inv.add)
    summary = inv.summary()
    click.echo(to_json(summary) if fmt == "json" else to_markdown(summary), nl=False)
    if helm_values:
        try:
            atomic_write(helm_values, values(summary, settings.profile).encode())
        except OSError as exc:
            _fail(f"{helm_values}: cannot write: {exc.strerror or exc}")
            sys.exit(2)
    unreadable = sum(n for k, n in result.counts.items() if k.startswith("unreadable"))
    click.echo(
        f"{summary['scripts']} job scripts of {summary['users']} users"
        + (f"; {unreadable} unreadable paths" if unreadable else "")
        + (f"; Helm values in {helm_values}" if helm_values else ""),
        err=True,
    )
