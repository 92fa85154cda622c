"""The commonest command lines, read without importing click.

``sbatch-migrate job.sh``, ``sbatch-migrate --check --job-scripts-only FILES`` (the
pre-commit hooks), ``--format json --stdin-filename NAME -`` (editors): importing click
costs about three times a bare Python start, more than the rest of a one-file run.  A
command line made only of the migrate command's options written plainly (:data:`FLAGS`,
:data:`VALUES`; ``--name=value``; ``--``) and file names is read here, into the same
:class:`~.migrate_files.Request` click would make (a test compares the two on generated
command lines); anything else (a subcommand, ``--help``, a short option bundle, an
unknown or misspelt option, a value click would refuse, shell completion) goes to the
click group unchanged.  A usage error found while running is shown by click, as it
would be.
"""

from __future__ import annotations

import errno
import os
import stat
import sys

TYPE_CHECKING = False  # typing is not imported at run time (docs/design.md: a one-file run)
if TYPE_CHECKING:
    from typing import Any

# the subcommands: name -> (module of sbatch_migrate.cli, attribute)
COMMANDS = {
    "migrate": ("migrate", "migrate_cmd"),
    "rules": ("rules", "rules_cmd"),
    "explain": ("rules", "explain_cmd"),
    "bulk": ("bulk", "bulk_cmd"),
    "merge-reports": ("bulk", "merge_reports_cmd"),
    "restore": ("bulk", "restore_cmd"),
    "inventory": ("site", "inventory_cmd"),
    "cluster": ("cluster", "cluster_cmd"),
    "profile": ("profilecmd", "profile_cmd"),
    "job-submit-lua": ("jobsubmit", "job_submit_lua_cmd"),
}

# the migrate command's options as click declares them (cli/migrate.py; a test keeps the
# two the same): flags -> (parameter, value given)
FLAGS: dict[str, tuple[str, bool]] = {
    "--diff": ("show_diff", True),
    "-i": ("in_place", True),
    "--in-place": ("in_place", True),
    "--check": ("check", True),
    "--isolated": ("isolated", True),
    "--job-scripts-only": ("job_scripts_only", True),
    "--exit-zero": ("exit_zero", True),
    "--exit-non-zero-on-fix": ("exit_non_zero_on_fix", True),
    "--validate": ("validate", True),
    "--statistics": ("statistics", True),
    "--unsafe-fixes": ("unsafe_fixes", True),
    "--no-unsafe-fixes": ("unsafe_fixes", False),
    "--show-fixes": ("show_fixes", True),
    "-q": ("quiet", True),
    "--quiet": ("quiet", True),
}
# options that take a value -> (parameter, repeatable, the values allowed or None)
_FORMATS = ("text", "json", "sarif", "github", "gitlab")
VALUES: dict[str, tuple[str, bool, tuple[str, ...] | None]] = {
    "-o": ("output", False, None),
    "--output": ("output", False, None),
    "--format": ("fmt", False, _FORMATS),
    "--profile": ("profile", False, None),
    "--partition-map": ("partition_map", True, None),
    "--select": ("select", True, None),
    "--ignore": ("ignore", True, None),
    "--config": ("config_path", False, None),
    "--max-size": ("max_size", False, None),
    "--stdin-filename": ("stdin_filename", False, None),
    "--fail-on": ("fail_on", False, ("error", "warning", "info")),
}


def read_args(args: list[str]) -> dict[str, Any] | None:
    """The migrate command's parameters from ``args`` (without the program name), as
    click would pass them; None when click must read them."""
    if not args or args[0] in COMMANDS or args[0] in ("-h", "--help", "--version"):
        return None
    params: dict[str, Any] = {"files": []}
    repeated: dict[str, list[str]] = {}
    i = 0
    while i < len(args):
        arg = args[i]
        i += 1
        if arg == "--":
            params["files"] += args[i:]
            break
        if not arg.startswith("-") or arg == "-":
            params["files"].append(arg)
            continue
        name, eq, value = arg.partition("=") if arg.startswith("--") else (arg, "", "")
        if name in FLAGS and not eq:
            param, given = FLAGS[name]
            params[param] = given
            continue
        if name not in VALUES:
            return None  # unknown, a bundle (-qi), -oFILE, --flag=value: click says what it is
        if not eq:
            if i >= len(args):
                return None  # the value is missing
            value = args[i]
            i += 1
        param, repeatable, allowed = VALUES[name]
        if allowed is not None and value not in allowed:
            return None
        if repeatable:
            repeated.setdefault(param, []).append(value)
        else:
            params[param] = value
    params["files"] = tuple(params["files"])
    params.update((k, tuple(v)) for k, v in repeated.items())
    if not all(_path_ok(f, dir_okay=True) for f in params["files"] if f != "-"):
        return None
    if params.get("config_path") is not None and not _path_ok(params["config_path"]):
        return None
    if params.get("output") is not None and not _path_ok(params["output"], writable=True):
        return None
    return params


def _path_ok(path: str, dir_okay: bool = False, writable: bool = False) -> bool:
    """What ``click.Path`` accepts (it need not exist; if it does: readable, a directory
    only where allowed, writable where asked)."""
    try:
        st = os.stat(path)
    except (OSError, ValueError):
        return True
    if not dir_okay and stat.S_ISDIR(st.st_mode):
        return False
    return os.access(path, os.R_OK) and (not writable or os.access(path, os.W_OK))


def quick_run(args: list[str], prog_name: str | None = None) -> None:
    """Run ``args`` here when :func:`read_args` can read them, else through click; exits."""
    # the name click gives the program (a console script's file name)
    prog = prog_name or (os.path.basename(sys.argv[0]) if sys.argv and sys.argv[0] else "sbatch-migrate")
    complete = f"_{prog}_COMPLETE".replace("-", "_").upper()
    params = None if complete in os.environ else read_args(args)
    if params is None:
        from .group import main

        main(args, prog_name=prog)
        return
    from .migrate_files import Request, UsageFault, run

    try:
        run(Request(**params))
    except UsageFault as exc:
        _said_by_click(args, prog, exc)
    except KeyboardInterrupt:
        from ..output.terminal import echo

        echo("Aborted!", err=True)  # as click
        sys.exit(1)
    except OSError as exc:
        if exc.errno != errno.EPIPE:
            raise
        _quiet_pipe()  # as click: the reader went away (`sbatch-migrate job.sh | head`)
        sys.exit(1)
    sys.exit(0)


def _said_by_click(args: list[str], prog: str, fault: Exception) -> None:
    """A usage error as click shows it for this command line (``sbatch-migrate migrate``
    and its usage line); exit 2."""
    import click

    from .group import main
    from .migrate import migrate_cmd
    from .migrate_files import UsageFault

    with (
        main.make_context(prog, ["migrate"]) as ctx,
        migrate_cmd.make_context("migrate", list(args), parent=ctx) as sub,
    ):
        bad = isinstance(fault, UsageFault) and fault.bad_value
        error = click.BadParameter(str(fault), ctx=sub) if bad else click.UsageError(str(fault), ctx=sub)
        error.show()
        sys.exit(error.exit_code)


def _quiet_pipe() -> None:
    """Stop the interpreter's last flush of a closed pipe from raising again."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        os.close(devnull)
    except (OSError, ValueError):
        pass
