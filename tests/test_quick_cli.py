"""The command lines run without click (sbatch_migrate/cli/quick.py) mean what click
would make of them, and write the same bytes."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import click
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sbatch_migrate.cli.group import main
from sbatch_migrate.cli.migrate import migrate_cmd
from sbatch_migrate.cli.migrate_files import Request
from sbatch_migrate.cli.quick import COMMANDS, FLAGS, VALUES, read_args
from sbatch_migrate.record import fields

from .conftest import ROOT

EXAMPLE = str(ROOT / "examples" / "hello_twcc.sh")


def test_the_option_tables_are_the_commands_own() -> None:
    """FLAGS and VALUES hold every option of the migrate command, as click declares it."""
    flags: dict[str, tuple[str, bool]] = {}
    values: dict[str, tuple[str, bool, tuple[str, ...] | None]] = {}
    for p in migrate_cmd.params:
        if not isinstance(p, click.Option) or p.name == "help":
            continue
        assert p.name is not None
        if p.is_flag:
            for opt in p.opts:
                flags[opt] = (p.name, True)
            for opt in p.secondary_opts:
                flags[opt] = (p.name, False)
        else:
            choices = tuple(p.type.choices) if isinstance(p.type, click.Choice) else None
            for opt in p.opts:
                values[opt] = (p.name, p.multiple, choices)
    assert flags == FLAGS
    assert values == VALUES
    assert set(COMMANDS) == set(main.list_commands(click.Context(main)))
    assert set(fields(Request)) == {p.name for p in migrate_cmd.params if p.name != "help"}


def _click_params(args: list[str]) -> dict[str, object] | None:
    """What click passes the migrate command for ``args`` (None: click refuses them)."""
    try:
        with main.make_context("sbatch-migrate", list(args)) as ctx:
            name, command, rest = main.resolve_command(ctx, [*ctx._protected_args, *ctx.args])
            if name != "migrate" or command is None:
                return None
            with command.make_context(name, rest, parent=ctx) as sub:
                return dict(sub.params)
    except (click.exceptions.Exit, click.ClickException):
        return None


@pytest.fixture(scope="module")
def paths(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    base = tmp_path_factory.mktemp("argv")
    (base / "job.sh").write_text("#!/bin/bash\n#SBATCH -p gtest\n")
    (base / "dir").mkdir()
    unreadable = base / "secret.sh"
    unreadable.write_text("x")
    unreadable.chmod(0)
    return {"file": str(base / "job.sh"), "dir": str(base / "dir"), "missing": str(base / "none.sh"),
            "secret": str(unreadable)}  # fmt: skip


_TOKENS = [
    *FLAGS,
    *VALUES,
    "--",
    "-",
    "-qi",
    "-oout.sh",
    "--check=1",
    "--format=json",
    "--format=JSON",
    "--fail-on=warning",
    "--select=SM1",
    "--max-size=2K",
    "--bogus",
    "--chec",
    "-h",
    "--help",
    "--version",
    "json",
    "sarif",
    "warning",
    "SM101",
    "gtest=slinky",
    "2MiB",
    "rules",
    "bulk",
    "explain",
    "@file",
    "@dir",
    "@missing",
    "@secret",
    "x=y",
    "-x",
    "",
]


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(st.sampled_from(_TOKENS), max_size=7))
def test_a_command_line_read_without_click_means_what_it_means_to_click(
    paths: dict[str, str], tokens: list[str]
) -> None:
    args = [paths[t[1:]] if t.startswith("@") else t for t in tokens]
    quick = read_args(args)
    if quick is None:
        return  # click reads it: nothing to compare
    clicked = _click_params(args)
    assert clicked is not None, f"read without click, refused by click: {args}"
    assert Request(**quick) == Request(**clicked), args  # type: ignore[arg-type]


@pytest.mark.parametrize(
    "args",
    [
        [EXAMPLE],
        ["--check", EXAMPLE],
        ["--diff", EXAMPLE],
        ["--check", "--job-scripts-only", EXAMPLE, str(ROOT / "README.md")],
        ["--format", "json", EXAMPLE],
        ["--format=sarif", EXAMPLE],
        ["--statistics", "--show-fixes", "--check", EXAMPLE],
        ["--select", "SM1", "--ignore=SM101", EXAMPLE],
        ["--max-size", "10", EXAMPLE],
        ["--max-size", "ten", EXAMPLE],  # a usage error, found while running: said by click
        ["-i", "--check", EXAMPLE],
        [EXAMPLE, EXAMPLE],
        ["--profile", "no-such-profile", EXAMPLE],
        ["--stdin-filename", "job.sh", "-"],
        ["/no/such/file.sh"],
        ["--bogus", EXAMPLE],  # read by click: the same words either way
    ],
)
def test_the_quick_way_writes_what_click_writes(args: list[str]) -> None:
    """The console script (quick where it can be) against the click group run as a
    process: the same stdout, stderr and exit status."""
    stdin = Path(EXAMPLE).read_bytes()
    env = {**os.environ, "NO_COLOR": "1"}
    quick = subprocess.run(
        [sys.executable, "-c", "from sbatch_migrate.cli import entry; entry(prog_name='sbatch-migrate')", *args],
        input=stdin, capture_output=True, env=env, check=False,
    )  # fmt: skip
    clicked = subprocess.run(
        [sys.executable, "-c", "from sbatch_migrate.cli import main; main(prog_name='sbatch-migrate')", *args],
        input=stdin, capture_output=True, env=env, check=False,
    )  # fmt: skip
    assert (quick.returncode, quick.stdout, quick.stderr) == (clicked.returncode, clicked.stdout, clicked.stderr)
    assert quick.returncode in (0, 1, 2)


def test_a_one_file_run_imports_neither_click_nor_what_it_does_not_need(tmp_path: Path) -> None:
    probe = (
        "import sys\n"
        "made = []  # code compiled from text while running (a module's own compile names its file)\n"
        "sys.addaudithook(lambda e, a: made.append(a[1]) if e == 'compile' and a[1] == '<string>' else None)\n"
        "from sbatch_migrate.cli import entry\n"
        "try:\n"
        "    entry([sys.argv[1]], prog_name='sbatch-migrate')\n"
        "except SystemExit:\n"
        "    pass\n"
        "print(f'compiled {len(made)}', file=sys.stderr)\n"
        "print(' '.join(sorted(m for m in sys.modules)), file=sys.stderr)\n"
    )
    p = subprocess.run([sys.executable, "-c", probe, EXAMPLE], capture_output=True, text=True, check=False)
    loaded = set(p.stderr.split("\n")[-2].split())
    assert "sbatch_migrate.fix.engine" in loaded  # it did migrate
    for heavy in ("click", "importlib.resources", "hashlib", "subprocess", "libcst", "tree_sitter_bash"):
        assert heavy not in loaded, heavy
    # --job-scripts-only over a file that is not one: neither the engine nor the rules
    plain = tmp_path / "notes.txt"
    plain.write_text("just notes\n")
    p = subprocess.run(
        [sys.executable, "-c", probe.replace("[sys.argv[1]]", "['--check', '--job-scripts-only', sys.argv[1]]"), plain],
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    loaded = set(p.stderr.split("\n")[-2].split())
    assert "sbatch_migrate.fix.engine" not in loaded and "sbatch_migrate.checks.registry" not in loaded
    # a job script in a tree without a configuration file: no TOML parser (the shipped
    # profile's snapshot), no pathlib, no dataclasses, no config grammars, no kind test
    job = tmp_path / "job.sh"
    job.write_bytes(Path(EXAMPLE).read_bytes())
    p = subprocess.run(
        [sys.executable, "-c", probe, job.name], capture_output=True, text=True, check=False, cwd=tmp_path
    )
    loaded = set(p.stderr.split("\n")[-2].split())
    assert "sbatch_migrate.fix.engine" in loaded and "--partition=slinky" in p.stdout
    # records and named tuples compile their __init__ / __new__ only once a class is much
    # used (sbatch_migrate/record.py): a compile for each of the 39 classes was 14% of this
    # run; one is left, the option table's entries (one for each of sbatch's 100+ options)
    assert p.stderr.split("\n")[-3] == "compiled 1"
    # what the interpreter itself starts with is not the run's (an editable install's
    # finder imports pathlib)
    start = "import sys; print(' '.join(sys.modules), file=sys.stderr)"
    at_start = set(subprocess.run([sys.executable, "-c", start], capture_output=True, text=True).stderr.split())
    for heavy in (
        "typing",  # tree-sitter's package imports it: its compiled module is loaded alone
        "tree_sitter",
        "tomllib",
        "json",  # the profile's snapshot is a module; text output needs no JSON encoder
        "importlib.util",  # and with it contextlib: the tree-sitter modules are found without it
        "contextlib",
        "pathlib",
        "dataclasses",
        "inspect",
        "sbatch_migrate.read.formats",
        "sbatch_migrate.read.kind",
    ):
        assert heavy not in loaded - at_start, heavy


def _runs(code: str) -> None:
    """``code`` runs in a fresh interpreter without an error."""
    p = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=False)
    assert p.returncode == 0, p.stderr


def test_the_bash_grammar_loads_from_its_package_when_it_cannot_be_found_directly() -> None:
    """read/shell.py loads tree-sitter-bash's extension module without its package (which
    imports importlib.resources); when that fails it imports the package as usual."""
    probe = (
        "import importlib.machinery, sys\n"
        "from sbatch_migrate.read import shell\n"
        "direct = shell._bash_binding()\n"
        "assert 'tree_sitter_bash' not in sys.modules, 'the package was imported'\n"
        "del sys.modules['tree_sitter_bash._binding']\n"
        "importlib.machinery.EXTENSION_SUFFIXES = []  # nothing found directly\n"
        "fallback = shell._bash_binding()\n"
        "assert 'tree_sitter_bash' in sys.modules\n"
        "from tree_sitter import Language, Parser\n"
        "for binding in (direct, fallback):\n"
        "    tree = Parser(Language(binding.language())).parse(b'srun hostname\\n')\n"
        "    assert str(tree.root_node) == str(shell.parse(b'srun hostname\\n').root_node)\n"
    )
    _runs(probe)


def test_tree_sitter_loads_without_its_package_and_the_package_later_shares_it() -> None:
    """read/shell.py loads tree-sitter's compiled module without the package (which imports
    typing); a later import of the package (the workflow configs' grammars) finds the same
    module, so that its Parser, Language and Node are the ones the shell parser made."""
    probe = (
        "import sys\n"
        "from sbatch_migrate.read import shell\n"
        "tree = shell.parse(b'srun hostname\\n')\n"
        "assert 'tree_sitter' not in sys.modules and 'typing' not in sys.modules, sorted(sys.modules)\n"
        "import tree_sitter\n"
        "ts = shell._ts()\n"
        "assert tree_sitter.Parser is ts.Parser and tree_sitter.Language is ts.Language\n"
        "assert isinstance(tree, tree_sitter.Tree) and isinstance(tree.root_node, tree_sitter.Node)\n"
        "from sbatch_migrate.read import configs\n"
        "assert isinstance(configs.parser('yaml').parse(b'a: 1\\n'), ts.Tree)\n"
    )
    _runs(probe)
    # the other way round: the package first, then the shell parser uses its module
    probe = (
        "import tree_sitter\n"
        "from sbatch_migrate.read import shell\n"
        "assert shell._ts().Parser is tree_sitter.Parser\n"
        "assert isinstance(shell.parse(b'srun hostname\\n'), tree_sitter.Tree)\n"
    )
    _runs(probe)


def _console(prelude: str, *args: str, **kw: object) -> subprocess.CompletedProcess[bytes]:
    """The console script's call (``entry()`` with no arguments: it ends the process),
    after ``prelude``."""
    code = f"{prelude}\nfrom sbatch_migrate.cli import entry\nentry(prog_name='sbatch-migrate')\n"
    return subprocess.run([sys.executable, "-c", code, *args], capture_output=True, check=False, **kw)  # type: ignore[call-overload]


def test_the_console_script_leaves_quickly_only_when_nothing_waits_for_the_exit(tmp_path: Path) -> None:
    """The process ends without the interpreter's tear-down only when that loses nothing:
    an exit handler still runs, a running thread is still waited for, and every byte of
    the output is out (here through a pipe, a long report), with the same exit status."""
    big = tmp_path / "big.sh"
    big.write_bytes(Path(EXAMPLE).read_bytes() + b"".join(b"export UCX_TLS=rc_%d\n" % i for i in range(3000)))
    plain = _console("", str(big))
    assert plain.returncode == 0 and plain.stdout.count(b"UCX_TLS=rc_") == 3000
    # an exit handler registered before the run (by a plug-in, a wrapper): it runs
    handler = _console("import atexit; atexit.register(lambda: print('handler ran', flush=True))", str(big))
    assert handler.stdout.endswith(b"handler ran\n") and handler.stdout[: len(plain.stdout)] == plain.stdout
    # a thread still running when the run ends: waited for, as by the usual exit
    thread = _console(
        "import threading, time\n"
        "threading.Thread(target=lambda: (time.sleep(0.3), print('thread done', flush=True))).start()",
        str(big),
    )
    assert thread.stdout.endswith(b"thread done\n")
    # the exit status and what stderr says are those of the usual exit
    for args, status in (([EXAMPLE], 0), (["--check", EXAMPLE], 1), (["/no/such/file.sh"], 2)):
        p = _console("", *args)
        q = _console("import atexit; atexit.register(lambda: None)", *args)  # the usual exit
        assert (p.returncode, p.stdout, p.stderr) == (q.returncode, q.stdout, q.stderr) and p.returncode == status
    # a reader that goes away (`sbatch-migrate job.sh | head -c 10`): the same status and
    # stderr as the usual exit
    seen = []
    for i, prelude in enumerate(("", "import atexit; atexit.register(lambda: None)")):
        code = f"{prelude}\nfrom sbatch_migrate.cli import entry\nentry(prog_name='sbatch-migrate')\n"
        with (tmp_path / f"err{i}").open("w+b") as err:
            reader = subprocess.Popen([sys.executable, "-c", code, str(big)], stdout=subprocess.PIPE, stderr=err)
            assert reader.stdout is not None
            first = reader.stdout.read(10)
            reader.stdout.close()
            status = reader.wait()
            err.seek(0)
            seen.append((first, status, err.read()))
    assert seen[0] == seen[1] and seen[0][0] == plain.stdout[:10]
