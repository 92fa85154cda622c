"""The command line, through click's CliRunner and as a real process."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from sbatch_migrate.checks import RULES
from sbatch_migrate.cli import main

from .conftest import ROOT

EXAMPLE = ROOT / "examples" / "hello_twcc.sh"


@pytest.fixture
def runner() -> CliRunner:
    return CliRunner()


def test_default_prints_the_script_and_reports_on_stderr(runner: CliRunner) -> None:
    r = runner.invoke(main, [str(EXAMPLE)])
    assert r.exit_code == 0
    assert "#SBATCH --partition=slinky" in r.stdout and "module" not in r.stdout
    assert "SM101 [error]" in r.stderr and "(fixed)" in r.stderr
    assert r.stderr.strip().splitlines()[-1].startswith("1 file, 1 changed")


def test_diff(runner: CliRunner) -> None:
    r = runner.invoke(main, ["--diff", str(EXAMPLE)])
    assert r.exit_code == 0
    assert "\n-#SBATCH --partition=gtest\n" in r.stdout and "\n+#SBATCH --partition=slinky\n" in r.stdout
    assert "-module load singularity\n" in r.stdout
    assert r.stdout.startswith("--- a/")


def test_json_contract(runner: CliRunner) -> None:
    r = runner.invoke(main, ["--format", "json", str(EXAMPLE)])
    assert r.exit_code == 0
    doc = json.loads(r.stdout)
    assert doc["version"] == 1
    [f] = doc["files"]
    assert f["changed"] is True
    keys = {"code", "rule", "severity", "line", "column", "end_line", "end_column", "message", "fixed"}
    for item in f["findings"]:
        assert set(item) == keys
        assert item["severity"] in ("error", "warning", "info")
    assert doc["summary"]["files"] == 1


def test_check_exit_codes(runner: CliRunner, tmp_path: Path) -> None:
    clean = tmp_path / "clean.sh"
    clean.write_text("#!/bin/bash\n#SBATCH -p slinky\nsrun hostname\n")
    assert runner.invoke(main, ["--check", str(clean)]).exit_code == 0
    r = runner.invoke(main, ["--check", str(clean), str(EXAMPLE)])
    assert r.exit_code == 1
    assert "SM101" in r.stdout  # the report is the artifact in --check mode
    assert EXAMPLE.read_text().count("gtest") == 1  # nothing written
    broken = tmp_path / "err.sh"
    broken.write_text("#!/bin/bash\n#SBATCH -p nowhere\n")
    assert runner.invoke(main, ["--check", str(broken)]).exit_code == 1


def test_in_place_is_atomic_and_keeps_mode(runner: CliRunner, tmp_path: Path) -> None:
    job = tmp_path / "job.sh"
    job.write_bytes(EXAMPLE.read_bytes())
    os.chmod(job, 0o750)
    r = runner.invoke(main, ["-i", str(job)])
    assert r.exit_code == 0 and r.stdout == ""
    assert "--partition=slinky" in job.read_text()
    assert (job.stat().st_mode & 0o777) == 0o750
    assert [p.name for p in tmp_path.iterdir()] == ["job.sh"]
    # second run changes nothing
    before = job.read_bytes()
    assert runner.invoke(main, ["--check", str(job)]).exit_code == 0
    assert job.read_bytes() == before


def test_output_file(runner: CliRunner, tmp_path: Path) -> None:
    target = tmp_path / "new.sh"
    r = runner.invoke(main, ["-o", str(target), str(EXAMPLE)])
    assert r.exit_code == 0 and "slinky" in target.read_text()


def test_stdin(runner: CliRunner) -> None:
    r = runner.invoke(main, ["-"], input="#!/bin/bash\n#SBATCH -p gtest\n")
    assert r.exit_code == 0 and r.stdout == "#!/bin/bash\n#SBATCH -p slinky\n"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["a.sh", "b.sh"], "several files"),
        (["--diff", "-i", "a.sh"], "choose one"),
        (["--diff", "--format", "json", "a.sh"], "stdout"),
        (["--check", "-i", "a.sh"], "writes nothing"),
        (["--partition-map", "nonsense", "a.sh"], "OLD=NEW"),
        (["--profile", "/nonexistent/p.toml", "a.sh"], "cannot read profile"),
        ([], "no file given"),
    ],
)
def test_usage_errors(runner: CliRunner, args: list[str], message: str) -> None:
    r = runner.invoke(main, args)
    assert r.exit_code == 2
    assert message in r.stderr


def test_unreadable_inputs_get_one_line_and_exit_2(runner: CliRunner, tmp_path: Path) -> None:
    binary = tmp_path / "a.out"
    binary.write_bytes(b"\x7fELF\x02\x01\x01\x00\x00")
    r = runner.invoke(main, ["--check", str(tmp_path / "missing.sh"), str(binary), str(tmp_path), str(EXAMPLE)])
    assert r.exit_code == 2
    errors = [line for line in r.stderr.splitlines() if line.startswith("sbatch-migrate: error:")]
    assert len(errors) == 3
    assert "No such file or directory" in errors[0] and "binary file" in errors[1] and "directory" in errors[2]
    assert "SM101" in r.stdout  # the readable file was still processed
    assert "Traceback" not in r.output


def test_bad_profile_names_the_key(runner: CliRunner, tmp_path: Path) -> None:
    prof = tmp_path / "p.toml"
    prof.write_text(
        (ROOT / "rules" / "twcc-to-slinky.toml").read_text().replace("gpus_per_node = 8", 'gpus_per_node = "8"')
    )
    r = runner.invoke(main, ["--profile", str(prof), str(EXAMPLE)])
    assert r.exit_code == 2
    assert "nodeset.gpus_per_node: expected a non-negative integer" in r.stderr


def test_select_and_ignore(runner: CliRunner) -> None:
    r = runner.invoke(main, ["--format", "json", "--select", "SM3", "--ignore", "SM303", str(EXAMPLE)])
    codes = {f["code"] for f in json.loads(r.stdout)["files"][0]["findings"]}
    assert codes == {"SM301"}


def test_rules_and_explain(runner: CliRunner) -> None:
    r = runner.invoke(main, ["rules"])
    assert r.exit_code == 0 and len(r.stdout.splitlines()) == len(RULES)
    r = runner.invoke(main, ["explain", "SM201"])
    assert r.exit_code == 0 and "## Fix safety" in r.stdout and "module-singularity" in r.stdout
    assert runner.invoke(main, ["explain", "module-purge"]).exit_code == 0
    r = runner.invoke(main, ["explain", "SM999"])
    assert r.exit_code == 2 and "no rule" in r.stderr


def test_every_rule_is_documented() -> None:
    for rule in RULES:
        doc = rule.doc()
        for heading in ("## What it does", "## Why is this bad?", "## Example", "## Fix safety"):
            assert heading in doc, (rule.code, heading)


def test_docs_rules_md_is_current() -> None:
    from sbatch_migrate.output.ruledocs import render

    assert (ROOT / "docs" / "rules.md").read_text() == render(), (
        "run: python -m sbatch_migrate.output.ruledocs > docs/rules.md"
    )


def test_console_script_end_to_end(tmp_path: Path) -> None:
    exe = Path(sys.executable).parent / "sbatch-migrate"
    cmd = [str(exe)] if exe.exists() else [sys.executable, "-m", "sbatch_migrate"]
    p = subprocess.run([*cmd, str(EXAMPLE)], capture_output=True, check=False)
    assert p.returncode == 0
    expected = (ROOT / "corpus" / "seed_hello_twcc" / "expected.sh").read_bytes()
    assert p.stdout == expected


def test_in_place_through_a_symlink_keeps_the_link(runner: CliRunner, tmp_path: Path) -> None:
    target = tmp_path / "real.sh"
    target.write_bytes(EXAMPLE.read_bytes())
    link = tmp_path / "job.sh"
    link.symlink_to(target)
    assert runner.invoke(main, ["-i", str(link)]).exit_code == 0
    assert link.is_symlink() and "--partition=slinky" in target.read_text()


@pytest.mark.skipif(not Path("/usr/bin/script").exists(), reason="needs util-linux script(1) for a terminal")
def test_progress_bar_on_a_terminal_only(tmp_path: Path) -> None:
    (tmp_path / "t").mkdir()
    (tmp_path / "t" / "job.sh").write_bytes(EXAMPLE.read_bytes())
    cmd = f"{sys.executable} -m sbatch_migrate bulk {tmp_path / 't'} --no-cache --report-dir {tmp_path / 'r'}"
    env = {k: v for k, v in os.environ.items() if k != "CI"}
    tty = subprocess.run(
        ["/usr/bin/script", "-qec", cmd, "/dev/null"], capture_output=True, text=True, env=env, check=False
    )
    assert "migrating" in tty.stdout and "1/1" in tty.stdout
    piped = subprocess.run(cmd.split(), capture_output=True, text=True, env=env, check=False)
    assert "migrating" not in piped.stderr and piped.returncode == 0


def test_shell_completion_of_rule_codes() -> None:
    exe = [sys.executable, "-m", "sbatch_migrate"]
    env = dict(
        os.environ, _SBATCH_MIGRATE_COMPLETE="bash_complete", COMP_WORDS="sbatch-migrate explain SM20", COMP_CWORD="2"
    )
    p = subprocess.run(exe, capture_output=True, text=True, env=env, check=False)
    assert "plain,SM201" in p.stdout.splitlines() and "plain,SM101" not in p.stdout.splitlines()


@pytest.mark.parametrize(
    ("words", "cword", "offered", "not_offered"),
    [
        ("sbatch-migrate cl", "1", ["plain,cluster", "file,cl"], ["plain,bulk"]),  # a command, or a file
        ("sbatch-migrate ", "1", ["plain,bulk", "plain,job-submit-lua", "plain,inventory"], []),
        ("sbatch-migrate --dif", "1", ["plain,--diff"], []),  # the default command's options
        ("sbatch-migrate bulk --unsafe", "2", ["plain,--unsafe-fixes"], []),
        ("sbatch-migrate job.sh --show", "2", ["plain,--show-fixes"], ["plain,cluster"]),
    ],
)
def test_shell_completion_of_subcommands_and_options(
    words: str, cword: str, offered: list[str], not_offered: list[str]
) -> None:
    exe = [sys.executable, "-m", "sbatch_migrate"]
    env = dict(os.environ, _SBATCH_MIGRATE_COMPLETE="bash_complete", COMP_WORDS=words, COMP_CWORD=cword)
    got = subprocess.run(exe, capture_output=True, text=True, env=env, check=False).stdout.splitlines()
    assert all(o in got for o in offered) and not any(o in got for o in not_offered), got


def test_library_entry_point_at_the_package_root() -> None:
    """`from sbatch_migrate import migrate, Source, load_profile` is the documented library use."""
    import sbatch_migrate

    result = sbatch_migrate.migrate(
        sbatch_migrate.Source.from_bytes(b"#!/bin/bash\n#SBATCH -p gtest\n", "job.sh"),
        sbatch_migrate.load_profile(None),
    )
    assert result.output == b"#!/bin/bash\n#SBATCH -p slinky\n"
    with pytest.raises(AttributeError):
        _ = sbatch_migrate.no_such_name  # type: ignore[attr-defined]


def _run_cli(*args: str, stdin: bytes | None = None) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run(
        [sys.executable, "-m", "sbatch_migrate", *args], input=stdin, capture_output=True, timeout=30, check=False
    )


def test_a_fifo_a_device_and_a_huge_file_are_refused_with_one_line(tmp_path: Path) -> None:
    """As bulk judges them: a FIFO is never opened for reading (it would wait for a
    writer), a device or a symlink to one is not read, a file over --max-size is not read
    (a sparse multi-GiB file was read whole: MemoryError)."""
    fifo = tmp_path / "job.fifo"
    os.mkfifo(fifo)
    zero = tmp_path / "zero.sh"
    zero.symlink_to("/dev/zero")
    sparse = tmp_path / "big.sh"
    with open(sparse, "wb") as fh:
        fh.truncate(3 << 30)
    for path, why in ((fifo, "not a regular file (a FIFO)"), (zero, "not a regular file (a device)"),
                      (sparse, "3 GiB, larger than --max-size 1 MiB")):  # fmt: skip
        p = _run_cli(str(path))
        assert p.returncode == 2
        err = p.stderr.decode()
        assert err.splitlines()[0] == f"sbatch-migrate: error: {path}: {why}: not read", err
        assert "Traceback" not in err and p.stdout == b""
    p = _run_cli("--max-size", "4GiB", str(zero))
    assert p.returncode == 2 and "a device" in p.stderr.decode()


def test_stdin_over_the_size_limit_is_refused(tmp_path: Path) -> None:
    p = _run_cli("--max-size", "1K", "-", stdin=b"#!/bin/bash\n" + b"# x\n" * 1000)
    assert p.returncode == 2 and "more than 1 KiB on stdin" in p.stderr.decode()
    p = _run_cli("--max-size", "1K", "-", stdin=b"#!/bin/bash\n#SBATCH -p gtest\n")
    assert p.returncode == 0 and p.stdout == b"#!/bin/bash\n#SBATCH -p slinky\n"


@pytest.mark.skipif(os.geteuid() != 0, reason="the warning is for root")
def test_in_place_as_root_on_a_users_file_points_to_bulk(tmp_path: Path) -> None:
    job = tmp_path / "job.sh"
    job.write_bytes(b"#!/bin/bash\n#SBATCH -p gtest\n")
    os.chown(job, 65534, 65534)
    p = _run_cli("-i", str(job))
    assert p.returncode == 0
    assert "as root, rewrite users' files with `sbatch-migrate bulk --write`" in p.stderr.decode()


@pytest.mark.parametrize(
    "mapping", ["gtest=a b", "gtest=gpu\nx", "gtest=gpu;rm -rf ~", "gtest=gp#1", "gtest=a,b", "g t=x"]
)
def test_a_partition_map_that_would_write_a_broken_directive_is_a_usage_error(runner: CliRunner, mapping: str) -> None:
    r = runner.invoke(main, ["--partition-map", mapping, str(EXAMPLE)])
    assert r.exit_code == 2
    assert "is not a partition name" in r.stderr
    assert r.stdout == ""  # nothing half-migrated


def test_a_profile_whose_map_holds_such_a_name_is_refused(tmp_path: Path, runner: CliRunner) -> None:
    rules = tmp_path / "extra.toml"
    rules.write_text('[partitions]\nmap = { gtest = "gpu \\"x\\"" }\n')
    r = runner.invoke(main, ["--profile", str(rules), str(EXAMPLE)])
    assert r.exit_code == 2 and "is not a partition name" in r.stderr


@pytest.mark.parametrize("name", ["gpu-a100", "slinky_2", "p.long", "gpu+mig"])
def test_real_partition_names_are_taken(runner: CliRunner, name: str) -> None:
    r = runner.invoke(main, ["--partition-map", f"gtest={name}", str(EXAMPLE)])
    assert r.exit_code == 0 and f"#SBATCH --partition={name}\n" in r.stdout


@pytest.mark.parametrize("mode", [[], ["--diff"], ["-i"], ["--check"], ["--format", "json"]])
def test_an_error_left_unfixed_exits_1_in_every_mode(runner: CliRunner, tmp_path: Path, mode: list[str]) -> None:
    job = tmp_path / "big.sh"
    job.write_text("#!/bin/bash\n#SBATCH -p gtest\n#SBATCH --gres=gpu:16\nsrun hostname\n")
    r = runner.invoke(main, [*mode, str(job)])
    assert r.exit_code == 1, r.stderr
    if not mode:
        assert "#SBATCH -p slinky" in r.stdout  # the script is still printed
    if mode == ["-i"]:
        assert "#SBATCH -p slinky" in job.read_text()  # and the fixes written
    assert runner.invoke(main, [*mode, "--exit-zero", str(job)]).exit_code == 0


def test_only_fixed_errors_exit_0(runner: CliRunner) -> None:
    r = runner.invoke(main, [str(EXAMPLE)])
    assert r.exit_code == 0 and "0 errors remaining" in r.stderr


def test_the_summary_counts_in_words_and_says_fixable_when_nothing_is_written(
    runner: CliRunner, tmp_path: Path
) -> None:
    job = tmp_path / "one.sh"
    job.write_text("#!/bin/bash\n#SBATCH -p gtest\nexport NCCL_DEBUG=INFO\nhostname\n")
    last = runner.invoke(main, [str(job)]).stderr.strip().splitlines()[-1]
    assert last == "1 file, 1 changed; 1 error, 0 warnings, 1 info (1 fixed, 0 errors remaining)"
    last = runner.invoke(main, ["--check", str(job)]).stdout.strip().splitlines()[-1]  # --check: the report is stdout
    assert last == "1 file, 1 would change; 1 error, 0 warnings, 1 info (1 fixable, 0 errors remaining)"


def test_stdin_filename_names_the_file_its_config_and_its_language(tmp_path: Path, runner: CliRunner) -> None:
    proj = tmp_path / "proj"
    proj.mkdir()
    (proj / "pyproject.toml").write_text('[tool.sbatch-migrate]\npartition-map = { gtest = "long" }\n')
    old = os.getcwd()
    os.chdir(tmp_path)
    try:
        r = runner.invoke(main, ["--stdin-filename", "proj/job.sh", "--diff"], input=EXAMPLE.read_bytes())
        assert r.exit_code == 0, r.stderr
        assert r.stdout.startswith("--- a/proj/job.sh\n+++ b/proj/job.sh\n")
        assert "+#SBATCH --partition=long" in r.stdout  # the configuration beside proj/job.sh
        assert "proj/job.sh:9:9: SM101" in r.stderr
        launch = b'import subprocess\nsubprocess.run(["sbatch", "-p", "gtest", "j.sh"])\n'
        r = runner.invoke(main, ["-", "--stdin-filename", "proj/launch.py"], input=launch)
        assert b'"-p", "long"' in r.stdout_bytes  # read as Python, by its name
    finally:
        os.chdir(old)


def test_each_file_gets_its_nearest_configuration(tmp_path: Path, runner: CliRunner) -> None:
    """The result does not depend on the order of the arguments (or pre-commit's batches)."""
    for name, target in (("a", "long"), ("b", "short")):
        (tmp_path / name).mkdir()
        (tmp_path / name / ".sbatch-migrate.toml").write_text(f'partition-map = {{ gtest = "{target}" }}\n')
        (tmp_path / name / "job.sh").write_text("#!/bin/bash\n#SBATCH -p gtest\nhostname\n")
    a, b = str(tmp_path / "a" / "job.sh"), str(tmp_path / "b" / "job.sh")
    for order in ([a, b], [b, a]):
        r = runner.invoke(main, ["--format", "json", *order])
        files = {f["path"]: f for f in json.loads(r.stdout)["files"]}
        assert "rename it to long" in files[a]["findings"][0]["message"]
        assert "rename it to short" in files[b]["findings"][0]["message"]


def test_statistics_count_findings_per_rule(runner: CliRunner, tmp_path: Path) -> None:
    job = tmp_path / "j.sh"
    job.write_text("#!/bin/bash\n#SBATCH -p gtest\n" + "".join(f"export UCX_TLS=rc{i}\n" for i in range(3)))
    r = runner.invoke(main, ["--check", "--statistics", str(job)])
    lines = r.stdout.strip().splitlines()
    assert lines[0] == "3  SM301  ucx-fabric-variable  warning"
    assert lines[1] == "1  SM101  partition-rename  error  (1 fixable)"
    assert not any(line.startswith(str(job)) for line in lines)  # counts instead of the list


@pytest.mark.parametrize(("fail_on", "code"), [("error", 0), ("warning", 1), ("info", 1)])
def test_fail_on_sets_the_severity_that_exits_1(runner: CliRunner, tmp_path: Path, fail_on: str, code: int) -> None:
    job = tmp_path / "j.sh"
    job.write_text("#!/bin/bash\n#SBATCH -p slinky\nexport UCX_TLS=rc\n")  # a warning only
    assert runner.invoke(main, ["--fail-on", fail_on, str(job)]).exit_code == code


@pytest.mark.parametrize(
    ("env", "ansi"), [({"FORCE_COLOR": "1"}, True), ({"FORCE_COLOR": "1", "NO_COLOR": "1"}, False), ({}, False)]
)
def test_colour_follows_no_color_and_force_color(env: dict[str, str], ansi: bool) -> None:
    base = {k: v for k, v in os.environ.items() if k not in ("NO_COLOR", "FORCE_COLOR")}
    p = subprocess.run(
        [sys.executable, "-m", "sbatch_migrate", str(EXAMPLE)], capture_output=True, text=True, env={**base, **env}
    )
    assert ("\x1b[" in p.stderr) is ansi  # not a terminal here: colour only when forced
    assert "\x1b[" not in p.stdout  # the migrated script never


def test_unsafe_fixes_are_withheld_unless_asked_for_and_show_fixes_lists_them(tmp_path: Path) -> None:
    """As ruff: a fix that may change what the job asks for (SM103's added --time) is
    applied only with --unsafe-fixes (or `unsafe-fixes = true` in the configuration)."""
    profile = tmp_path / "site.toml"
    builtin = (Path(__file__).resolve().parent.parent / "rules" / "twcc-to-slinky.toml").read_text()
    profile.write_text(builtin.replace("add_time = false", "add_time = true"))
    job = tmp_path / "job.sh"
    job.write_text("#!/bin/bash\n#SBATCH -p gp4d\nhostname\n")
    r = CliRunner().invoke(main, ["--profile", str(profile), "--isolated", "--show-fixes", str(job)])
    assert "--time" not in r.stdout and "#SBATCH -p slinky" in r.stdout
    assert "SM103 [warning]" in r.stderr and "(unsafe fix: --unsafe-fixes)" in r.stderr
    assert "1 unsafe fix withheld (--unsafe-fixes applies it)" in r.stderr
    assert "Fixed 1 finding:" in r.stderr and "1 × SM101 (partition-rename)" in r.stderr
    r = CliRunner().invoke(main, ["--profile", str(profile), "--isolated", "--unsafe-fixes", "--show-fixes", str(job)])
    assert "#SBATCH --time=4-00:00:00\n" in r.stdout and "unsafe fix withheld" not in r.stderr
    assert "Fixed 2 findings:" in r.stderr and "1 × SM103 (partition-time-limit)" in r.stderr
    # the configuration can say it once for a repository; the command line still wins
    (tmp_path / ".sbatch-migrate.toml").write_text(f'profile = "{profile}"\nunsafe-fixes = true\n')
    r = CliRunner().invoke(main, [str(job)])
    assert "#SBATCH --time=4-00:00:00\n" in r.stdout
    r = CliRunner().invoke(main, ["--no-unsafe-fixes", str(job)])
    assert "--time" not in r.stdout
    (tmp_path / ".sbatch-migrate.toml").write_text("unsafe-fixes = 1\n")
    r = CliRunner().invoke(main, [str(job)])
    assert r.exit_code == 2 and "unsafe-fixes: expected true or false" in r.stderr
    # --check: nothing is written, so "Would fix"
    r = CliRunner().invoke(main, ["--isolated", "--check", "--show-fixes", str(job)])
    assert "Would fix 1 finding:" in r.stdout
