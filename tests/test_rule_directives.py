"""SM001-SM007 (directives) and SM901-SM905 (parsing, encodings)."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from .conftest import codes, out, run


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("#!/bin/bash\n#SBATCH --nodes=1 ; echo hi\n", "SM001"),
        ('#!/bin/bash\n#SBATCH -J "x\n', "SM001"),
        ("#!/bin/bash\n#SBATCH --ntask-per-node=2\n", "SM002"),
        ("#!/bin/bash\nhostname\n#SBATCH -N 1\n", "SM003"),
        ("#!/bin/bash\n#SBATCH --account=$PROJECT\n", "SM004"),
        ("#!/bin/bash\n#SBATCH -o /work/$(whoami)/o.txt\n", "SM004"),
        ("#!/bin/bash\r\n#SBATCH -N 1\r\n", "SM005"),
        ("#SBATCH -N 1\nhostname\n", "SM006"),
        ("#!/bin/bash\n#SLURM -N 1\n", "SM007"),
        ("#!/bin/bash\nif true; then\n", "SM901"),
        ("#!/usr/bin/perl\n#SBATCH -N 1\nprint 1;\n", "SM903"),
        ("#!/bin/tcsh\n#SBATCH -N 1\nsetenv X 1\n", "SM903"),
    ],
)
def test_reported(text: str, code: str) -> None:
    assert code in codes(run(text.encode()))


def test_suggestion_for_typo() -> None:
    [f] = run(b"#!/bin/bash\n#SBATCH --ntask-per-node=2\n").findings
    assert "--ntasks-per-node" in f.message


def test_variable_in_unquoted_heredoc_is_fine_but_not_in_quoted() -> None:
    driver = "#!/bin/bash\nA=1\ncat <<EOF > j.sh\n#!/bin/bash\n#SBATCH --account=$A\nhostname\nEOF\n"
    assert "SM004" not in codes(run(driver))
    assert "SM004" in codes(run(driver.replace("<<EOF", "<<'EOF'")))


def test_slurm_magic_rewritten() -> None:
    assert out("#!/bin/bash\n#SLURM -N 1\n") == "#!/bin/bash\n#SBATCH -N 1\n"


def test_crlf_kept_and_inserted_lines_follow_it() -> None:
    result = run(b"#!/bin/bash\r\n#SBATCH -p gtest\r\n\r\nmodule load singularity\r\n\r\nsrun x\r\n")
    assert result.output == b"#!/bin/bash\r\n#SBATCH -p slinky\r\n\r\nsrun x\r\n"
    assert "SM005" in codes(result)


@pytest.mark.parametrize(
    ("before", "after"),
    [
        (b"\xef\xbb\xbf#!/bin/bash\n#SBATCH -p gtest\nsrun x\n", b"#!/bin/bash\n#SBATCH -p slinky\nsrun x\n"),
        (b"\xef\xbb\xbf#!/bin/bash\r\n#SBATCH -N 1\r\n", b"#!/bin/bash\r\n#SBATCH -N 1\r\n"),
    ],
)
def test_byte_order_mark_before_shebang_removed_and_directives_read(before: bytes, after: bytes) -> None:
    """A file saved "with BOM": sbatch refuses it; once the mark is gone its directives are
    in the block (not late), so they are migrated in the same pass."""
    result = run(before)
    assert result.output == after
    [bom] = [f for f in result.findings if f.code == "SM006"]
    assert bom.fixed and "byte-order mark" in bom.message
    assert "SM003" not in codes(result)
    assert run(after).output == after and "SM006" not in codes(run(after))


def test_byte_order_mark_elsewhere_is_not_touched() -> None:
    data = b"#!/bin/bash\n#SBATCH -N 1\necho \xef\xbb\xbfx\n"
    assert run(data).output == data and "SM006" not in codes(run(data))


def test_old_mac_line_endings_reported_not_changed() -> None:
    data = b"#!/bin/bash\r#SBATCH -p gtest\rsrun true\r"
    result = run(data)
    assert result.output == data
    [f] = [f for f in result.findings if f.code == "SM005"]
    assert "one line" in f.message and "3 of them" in f.message
    assert "SM005" not in codes(run(b"#!/bin/bash\necho 'a\rb'\n"))  # a stray \r in a line of an LF file


def test_big5_comments_survive_byte_for_byte() -> None:
    comment = "# 測試佇列，之後改 gp1d\n".encode("cp950")
    tricky = 'echo "許"\n'.encode("cp950")  # 許 is B3 5C: a backslash byte inside a character
    data = b"#!/bin/bash\n#SBATCH -p gtest\n" + comment + b"module load singularity\n" + tricky
    result = run(data)
    assert result.output == b"#!/bin/bash\n#SBATCH -p slinky\n" + comment + tricky
    assert "SM905" in codes(result)
    assert "SM901" not in codes(result)


def test_latin1_fallback_keeps_bytes() -> None:
    data = b"#!/bin/bash\n#SBATCH -p gtest\n# caf\xe9 \xff\xfe\n"
    result = run(data)
    assert result.output == data.replace(b"gtest", b"slinky")


def test_parse_error_region_is_not_edited_but_directives_are() -> None:
    text = "#!/bin/bash\n#SBATCH -p gtest\nif [ x ]; then\n  module load singularity\necho 'open\n"
    result = run(text)
    assert result.output.decode() == text.replace("gtest", "slinky")
    assert {"SM101", "SM901"} <= set(codes(result))


def test_suppression_comment() -> None:
    text = "#!/bin/bash\n#SBATCH -N 1\nexport UCX_TLS=rc  # sbatch-migrate: disable=SM301\n"
    assert codes(run(text)) == []
    text = "#!/bin/bash\n#SBATCH -N 1\n# sbatch-migrate: disable=SM201\nmodule load singularity\n"
    result = run(text)
    assert codes(result) == [] and not result.changed


def test_no_final_newline_and_whitespace_only_lines() -> None:
    text = "#!/bin/bash\n#SBATCH -p gtest\n   \n\t\nmodule purge\n  \nsrun x"
    assert out(text) == "#!/bin/bash\n#SBATCH -p slinky\n   \n\t\nsrun x"


def test_tab_before_trailing_comment() -> None:
    assert out("#!/bin/bash\n#SBATCH -p gtest\t# test queue\n") == "#!/bin/bash\n#SBATCH -p slinky\t# test queue\n"


def test_binary_input_is_refused() -> None:
    from sbatch_migrate.read.source import InputError, Source

    with pytest.raises(InputError, match="binary"):
        Source.from_bytes(b"\x7fELF\x00\x00")


@pytest.mark.parametrize("closing", ["EOF && echo ran", "EOF ", "EOF\t", "EOF; echo ran", "EOF # done"])
def test_heredoc_closing_line_with_more_than_the_delimiter(closing: str) -> None:
    """tree-sitter-bash ends the heredoc at such a line; bash does not, and reads the rest
    of the script as heredoc text: nothing there is edited, and SM901 says why."""
    text = f"#!/bin/bash\n#SBATCH -p gtest\ncat <<EOF\nx\n{closing}\nmodule load singularity\necho after\n"
    result = run(text)
    assert result.output.decode() == text.replace("gtest", "slinky")
    [finding] = [f for f in result.findings if f.code == "SM901"]
    assert "does not end the heredoc" in finding.message and "lines 3-7" in finding.message
    # what bash itself does with the script: the lines after are text, never run
    p = subprocess.run(["bash"], input=text, capture_output=True, text=True, check=False)
    assert "after" not in p.stdout.splitlines() and "ran" not in p.stdout.splitlines()
    assert "echo after" in p.stdout and "command not found" not in p.stderr


def test_heredoc_closed_properly_is_code_after() -> None:
    text = "#!/bin/bash\ncat <<EOF\nx\nEOF\nmodule load singularity\n"
    result = run(text)
    assert "SM901" not in codes(result) and result.output == b"#!/bin/bash\ncat <<EOF\nx\nEOF\n"


# what tree-sitter-bash cannot read although bash accepts it (each checked below with bash)
PARSER_LIMITS = [
    '#!/bin/bash\nfor f do\n  echo "$f"\ndone\n',  # `for` without `in`: the arguments
    "#!/bin/bash\ncase $1 in\n?*' '?*) echo two ;;\nesac\n",  # a quoted blank in a pattern
    "#!/bin/bash\nif [ -x /usr/bin/vim; then\n  echo vim\nfi\n",  # `[` without `]`: fails when run
]


@pytest.mark.parametrize("text", PARSER_LIMITS)
def test_valid_bash_the_parser_cannot_read_is_a_parser_limit_not_a_parse_error(text: str) -> None:
    from sbatch_migrate.read.shell import analyse

    assert analyse(text.encode()).errors, "tree-sitter-bash reads this now: drop the case"
    assert subprocess.run(["bash", "-n"], input=text, text=True, check=False).returncode == 0
    result = run(text)
    assert "SM901" not in codes(result)
    [finding] = [f for f in result.findings if f.code == "SM908"]
    assert finding.severity.value == "warning" and "bash accepts" in finding.message
    assert not result.changed


def test_parse_error_says_what_bash_says_and_where() -> None:
    [finding] = [f for f in run("#!/bin/bash\nif true; then\n  echo x\n").findings if f.code == "SM901"]
    assert "bash: line 4: syntax error: unexpected end of file" in finding.message
    [finding] = [f for f in run("#!/bin/bash\necho a\necho b )\necho c\n").findings if f.code == "SM901"]
    assert "bash: line 3: syntax error near unexpected token `)'" in finding.message


def test_parse_error_in_an_embedded_job_script_gives_the_file_line() -> None:
    body = "#!/bin/bash\n#SBATCH -N 1\nif true; then\n  echo x\n"  # lines 4-7 of the driver
    driver = f"#!/bin/bash\necho start\ncat <<'EOF' > job.sh\n{body}EOF\nsbatch job.sh\n"
    [finding] = [f for f in run(driver).findings if f.code == "SM901"]
    # bash reads the body alone and complains at its line 5 (its end): line 8 of the driver
    assert "embedded" in finding.message and "bash: line 8: syntax error: unexpected end of file" in finding.message


def test_without_bash_a_parse_error_stays_an_error_and_says_so(monkeypatch: pytest.MonkeyPatch) -> None:
    from sbatch_migrate.read import bashsyntax

    monkeypatch.setattr(bashsyntax, "_bash", lambda: None)
    monkeypatch.setattr(bashsyntax, "_KNOWN", {})  # not a verdict an earlier test had
    result = run(PARSER_LIMITS[0])
    [finding] = [f for f in result.findings if f.code == "SM901"]
    assert "could not be asked" in finding.message and "SM908" not in codes(result)


def test_asking_bash_runs_nothing_of_the_script(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from sbatch_migrate.read.bashsyntax import bash_syntax

    sourced = tmp_path / "bash_env.sh"
    sourced.write_text(f"touch {tmp_path}/bash-env-sourced\n")
    monkeypatch.setenv("BASH_ENV", str(sourced))  # a non-interactive bash would source it
    monkeypatch.chdir(tmp_path)
    script = (
        f"touch {tmp_path}/ran; echo $(touch {tmp_path}/substituted)\ncat <<EOF\n$(touch {tmp_path}/heredoc)\nEOF\n"
    )
    verdict = bash_syntax(script.encode())
    assert verdict is not None and verdict.ok
    assert sorted(p.name for p in tmp_path.iterdir()) == ["bash_env.sh"]


@pytest.mark.parametrize(
    ("shebang", "interpreter"),
    [("#!/usr/bin/env python3", "python3"), ("#!/usr/bin/perl -w", "perl"), ("#!/bin/tcsh", "tcsh")],
)
def test_embedded_job_script_in_another_language_is_not_read_as_bash(shebang: str, interpreter: str) -> None:
    """`sbatch <<EOF` with a Python job script: its directives are migrated, its body is
    not bash (reading it as bash made up parse errors and commands)."""
    body = f"{shebang}\n#SBATCH -p gtest\nimport os; print(os.environ['SLURM_JOB_ID'])\nmodule = load(singularity)\n"
    driver = f"#!/bin/bash\nsbatch <<'EOF'\n{body}EOF\n"
    result = run(driver)
    assert result.output.decode() == driver.replace("gtest", "slinky")
    assert {"SM101", "SM903"} <= set(codes(result))
    assert not {"SM901", "SM908", "SM201"} & set(codes(result))
    [note] = [f for f in result.findings if f.code == "SM903"]
    assert f"run by {interpreter}, not bash" in note.message
    assert result.source.position(note.start).line == 3


def test_embedded_script_in_another_language_that_is_no_job_is_left_alone() -> None:
    ruby = "#!/usr/bin/env ruby\nputs 'module load singularity'(\n"
    driver = f"#!/bin/bash\ncat > serve.rb <<EOF\n{ruby}EOF\nruby serve.rb\n"
    assert codes(run(driver)) == []


def test_embedded_bash_job_script_is_still_read() -> None:
    driver = "#!/bin/bash\nsbatch <<'EOF'\n#!/bin/sh\n#SBATCH -p gtest\nmodule load singularity\nsrun x\nEOF\n"
    assert run(driver).output.decode() == driver.replace("gtest", "slinky").replace("module load singularity\n", "")


def test_a_bash_that_does_not_answer_is_killed_and_gives_no_verdict(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import time

    from sbatch_migrate.read import bashsyntax

    hangs = tmp_path / "bash"
    hangs.write_text("#!/bin/sh\nexec sleep 30\n")
    hangs.chmod(0o755)
    monkeypatch.setattr(bashsyntax, "_bash", lambda: str(hangs))
    monkeypatch.setattr(bashsyntax, "TIMEOUT", 0.5)
    monkeypatch.setattr(bashsyntax, "_KNOWN", {})  # not a verdict an earlier test had
    t0 = time.monotonic()
    assert bashsyntax.bash_syntax(b"if true; then\n") is None
    assert time.monotonic() - t0 < 10
    assert not bashsyntax._KNOWN  # no answer is not remembered


def test_bash_is_asked_once_per_text(monkeypatch: pytest.MonkeyPatch) -> None:
    from sbatch_migrate.read import bashsyntax

    asked: list[bytes] = []
    real = bashsyntax._ask_bash
    monkeypatch.setattr(bashsyntax, "_KNOWN", {})
    monkeypatch.setattr(bashsyntax, "_ask_bash", lambda text: asked.append(text) or real(text))
    broken, other = b"if true; then\n", b"for f in; do\n"
    first = bashsyntax.bash_syntax(broken)
    assert first is not None and not first.ok
    assert bashsyntax.bash_syntax(broken) == first
    assert bashsyntax.bash_syntax(other) is not None
    assert asked == [broken, other]


def test_fixes_bash_would_not_read_are_withheld_where_the_parser_cannot_read() -> None:
    """tree-sitter reads `for f do` as an error, then `module load` and `done` as top-level
    commands: removing the module line left `for f do` + `done`, which bash rejects."""
    text = "#!/bin/bash\n#SBATCH -p gtest\nfor f do\n  module load singularity\ndone\n"
    result = run(text)
    assert result.output.decode() == text.replace("gtest", "slinky")  # the directive fix stays
    assert subprocess.run(["bash", "-n"], input=result.output, check=False).returncode == 0
    [module] = [f for f in result.findings if f.code == "SM201"]
    assert not module.fixed and "bash would not read" in module.message
    assert {"SM904", "SM908"} <= set(codes(result))
    assert [f.fixed for f in result.findings if f.code == "SM101"] == [True]


def test_fixes_bash_still_reads_are_kept_where_the_parser_cannot_read() -> None:
    text = '#!/bin/bash\nmodule load singularity\nfor f do\n  srun x "$f"\ndone\n'
    result = run(text)
    assert result.output == b'#!/bin/bash\nfor f do\n  srun x "$f"\ndone\n'
    assert "SM904" not in codes(result)


DRIVER_ESCAPES = (
    "#!/bin/bash\n"
    "out=/work/users/u1\n"
    "cat <<EOF > job.sh\n"
    "#!/bin/bash\n"
    "#SBATCH -p gtest\n"
    "module load singularity\n"
    "HERE=\\$(pwd)\n"
    'echo "run \\$SLURM_JOB_ID in \\`hostname\\` to $out" \\\n'
    "  >> \\$HERE/log\n"
    "EOF\n"
    "sbatch job.sh\n"
)


def test_escapes_of_an_unquoted_heredoc_are_read_as_the_driver_writes_them() -> None:
    """`\\$(pwd)` in `cat <<EOF`: the driver's bash writes `$(pwd)` into the job script.
    Read raw, it looked like a syntax error (SM901, error severity) on a valid driver."""
    result = run(DRIVER_ESCAPES)
    assert not {"SM901", "SM908", "SM904"} & set(codes(result))
    assert result.output.decode() == DRIVER_ESCAPES.replace("gtest", "slinky").replace("module load singularity\n", "")
    # what the driver really writes, and that bash reads it
    for driver in (DRIVER_ESCAPES, result.output.decode()):
        written = subprocess.run(
            ["bash", "-c", driver.split("cat <<EOF > job.sh\n")[1].join(["cat <<EOF\n", ""]).split("sbatch")[0]],
            capture_output=True,
            text=True,
            check=True,
        ).stdout
        assert "HERE=$(pwd)" in written and "$SLURM_JOB_ID" in written
        assert subprocess.run(["bash", "-n"], input=written, text=True, check=False).returncode == 0


def test_escapes_of_a_quoted_heredoc_stay() -> None:
    """`<<'EOF'` writes the body as it is: `HERE=\\$(pwd)` reaches the job script and is
    a syntax error there."""
    driver = DRIVER_ESCAPES.replace("cat <<EOF", "cat <<'EOF'")
    messages = [f.message for f in run(driver).findings if f.code == "SM901"]
    assert messages and "bash: line" in messages[0]


@pytest.mark.parametrize(
    ("line", "code", "says"),
    [
        ("#SBTACH --exclusive", "SM008", "`#SBTACH` is not `#SBATCH`"),
        ("#SABTCH --gres=gpu:1", "SM008", "runs without `--gres=gpu:1`"),
        ("#SBACTH -N 2", "SM008", "`#SBACTH`"),
        ("#SBATC --nodes=4", "SM008", "`#SBATC`"),
        ("#sbatch --nodes=4", "SM008", "only upper case"),
        ("#Sbatch -p gtest", "SM008", "only upper case"),
        ("  #SBATCH --time=1:00:00", "SM008", "at column 0"),
        ("\t#SBATCH --time=1:00:00", "SM008", "at column 0"),
        ("#SBTACH --nodes=4   # four nodes", "SM008", "runs without `--nodes=4`;"),
        ("# SBATCH --gres=gpu:1", "SM009", "does not read it"),
        ("#  SBATCH -N 1", "SM009", "does not read it"),
    ],
)
def test_directives_sbatch_ignores_are_reported(line: str, code: str, says: str) -> None:
    result = run(f"#!/bin/bash\n#SBATCH -J x\n{line}\nhostname\n".encode())
    [f] = [f for f in result.findings if f.code in ("SM008", "SM009")]
    assert f.code == code and says in f.message and not result.changed


@pytest.mark.parametrize(
    "line",
    [
        "##SBATCH --gres=gpu:1",  # switched off on purpose
        "# SBATCH options for the job",  # prose, no option
        "# BATCH --n",  # a comment that merely resembles one
        "#SBATCH --nodes=1",
        "# sbatch --test-only job.sh",  # how to submit, in a comment
        "#SEARCH -x",  # two letters away
        "#SCRATCH -d",
    ],
)
def test_what_is_not_a_near_miss(line: str) -> None:
    assert not {"SM008", "SM009"} & set(codes(run(f"#!/bin/bash\n{line}\nhostname\n".encode())))


def test_a_near_miss_after_the_first_command_is_a_late_line_not_a_near_miss() -> None:
    assert "SM008" not in codes(run(b"#!/bin/bash\nhostname\n#SBTACH -N 1\n"))


def test_a_near_miss_in_a_heredoc_job_script_says_so() -> None:
    driver = b"#!/bin/bash\ncat <<'EOF' > j.sh\n#!/bin/bash\n#SBTACH --gres=gpu:1\nhostname\nEOF\nsbatch j.sh\n"
    [f] = [f for f in run(driver).findings if f.code == "SM008"]
    assert "heredoc" in f.message


@pytest.mark.parametrize(
    "option", ["--segment=2", "--tres-per-task=gres/gpu:1", "--oom-kill-step", "--spread-segments"]
)
def test_options_of_the_targets_release_are_known(option: str) -> None:
    """The profile names the target's Slurm (25.11 for Slinky): its options are known;
    with a 22.05 target the same line is an unknown option."""
    from sbatch_migrate.profile import load
    from sbatch_migrate.record import replace

    script = f"#!/bin/bash\n#SBATCH {option}\nhostname\n".encode()
    assert "SM002" not in codes(run(script))
    old = run(script, replace(load(), slurm_version="22.05"))
    [f] = [f for f in old.findings if f.code == "SM002"]
    assert "Slurm 22.05" in f.message


def test_a_release_without_tables_is_a_profile_error(tmp_path: Path) -> None:
    from sbatch_migrate.profile import ProfileError, load

    text = (Path(__file__).resolve().parent.parent / "rules" / "twcc-to-slinky.toml").read_text()
    bad = tmp_path / "p.toml"
    bad.write_text(text.replace('slurm_version = "25.11"', 'slurm_version = "19.05"'))
    with pytest.raises(ProfileError, match=r"target.slurm_version: no option tables for '19.05' \(known: 22.05,"):
        load(str(bad))
    bad.write_text(text.replace('slurm_version = "25.11"', 'slurm_version = "24.11.3"'))
    assert load(str(bad)).slurm_version == "24.11"


@pytest.mark.parametrize(
    ("line", "says"),
    [
        ("#SBATCH --ntasks-per-node=", 'Invalid numeric value "" for --ntasks-per-node'),
        # the `#` ends the line: sbatch reads `<`
        ("#SBATCH --ntasks-per-node=<# of processes>", 'Invalid numeric value "<" for --ntasks-per-node'),
        ("#SBATCH --ntasks-per-node=<NTASKS>", 'Invalid numeric value "<NTASKS>"'),
        ("#SBATCH -c 0", 'Invalid numeric value "0" for --cpus-per-task'),
        ("#SBATCH --ntasks=1.5", 'Invalid numeric value "1.5"'),
        ("#SBATCH --nodes=2-1", "Maximum node count 1 is less than minimum node count 2"),
        ("#SBATCH --nodes=x", '"x" is not a valid node count'),
        ("#SBATCH -t 1:2:3:4", "Invalid --time specification"),
        ("#SBATCH --time=abc", "Invalid --time specification"),
        ("#SBATCH --mem=1.5G", "Invalid --mem specification"),
        ("#SBATCH --mem=90GiB", "Invalid --mem specification"),
        ("#SBATCH --mem-per-cpu=x", "Invalid --mem-per-cpu specification"),
        ("#SBATCH --exclusive=node", "Invalid --exclusive specification"),
        ("#SBATCH --gres=gpu:1:x", "Invalid generic resource (gres) specification"),
        ("#SBATCH --gres=mps:10", "no GRES named 'mps' (GresTypes: gpu)"),
        ("#SBATCH --gpus-per-node=abc", "Invalid GPU specification"),
    ],
)
def test_values_sbatch_refuses(line: str, says: str) -> None:
    [f] = [f for f in run(f"#!/bin/bash\n{line}\nhostname\n".encode()).findings if f.code == "SM010"]
    assert says in f.message and f.severity == "error"


@pytest.mark.parametrize(
    "line",
    [
        "#SBATCH --ntasks-per-node=+2",
        "#SBATCH --nodes=1-2",
        "#SBATCH --nodes=-2",
        "#SBATCH --time=1-",
        "#SBATCH --time=UNLIMITED",
        "#SBATCH --time=00:5:00",
        "#SBATCH --mem=90GB",
        "#SBATCH --mem=0",
        "#SBATCH --gres=gpu:v100:2",  # syntax is fine: whether the type exists is the target's
        "#SBATCH --gres=none",
        "#SBATCH --exclusive",
        "#SBATCH --exclusive=user",
        "#SBATCH --account=",  # sbatch takes an empty account
        "#SBATCH --ntasks=$N",  # directive-variable says what is wrong
    ],
)
def test_values_sbatch_takes(line: str) -> None:
    assert "SM010" not in codes(run(f"#!/bin/bash\n{line}\nhostname\n".encode()))


def test_values_of_launch_commands_are_checked_too() -> None:
    [f] = [f for f in run(b"#!/bin/bash\n#SBATCH -N 1\nsrun --mem=5GiB -n 2 true\n").findings if f.code == "SM010"]
    assert f.message.startswith("`srun --mem=5GiB`: srun refuses it")
    assert "SM010" not in codes(run(b'#!/bin/bash\n#SBATCH -N 1\nsrun -n "$N" true\n'))


@pytest.mark.parametrize(
    ("line", "held"),
    [
        ('#SBATCH --account="PROJECT_ID"', "PROJECT_ID"),
        ("#SBATCH -A MST108XXX", "XXX"),
        ("#SBATCH --account=XXX", "XXX"),
        ("#SBATCH --mail-user=<your_email>", "<your_email>"),
        ("#SBATCH -o <PATH/TO/LOG>/out.txt", "<PATH/TO/LOG>"),
        ("#SBATCH --account=YOUR_ACCOUNT", "YOUR_ACCOUNT"),
    ],
)
def test_placeholders_sbatch_takes_as_written(line: str, held: str) -> None:
    [f] = [f for f in run(f"#!/bin/bash\n{line}\nhostname\n".encode()).findings if f.code == "SM011"]
    assert f"placeholder `{held}`" in f.message


@pytest.mark.parametrize("line", ["#SBATCH --account=MST112345", "#SBATCH -o logs/%x_%j.out", "#SBATCH -J xtx"])
def test_real_values_are_not_placeholders(line: str) -> None:
    assert "SM011" not in codes(run(f"#!/bin/bash\n{line}\nhostname\n".encode()))


@pytest.mark.parametrize(
    ("body", "left"),
    [
        ("export UCX_TLS=rc  # sbatch-migrate: disable=SM3\n", []),  # a prefix, as --select takes it
        ("export UCX_TLS=rc  # sbatch-migrate: disable=sm301\n", []),  # any case
        ("# sbatch-migrate: disable-file=SM301\n\n\nexport UCX_TLS=rc\n", []),  # the whole file
        ("export UCX_TLS=rc  # sbatch-migrate: disable=SM302\n", ["SM301", "SM910"]),  # another rule's
        ("export UCX_TLS=rc  # sbatch-migrate: disable=SM999\n", ["SM301", "SM910"]),  # no such rule
        ("hostname  # sbatch-migrate: disable=SM201\n", ["SM910"]),  # nothing to suppress
        ("hostname  # sbatch-migrate: disable=SM201,SM910\n", []),  # ... unless told
        ("hostname  # sbatch-migrate: disable=all\n", ["SM910"]),
    ],
)
def test_suppressions_as_ruff_reads_noqa(body: str, left: list[str]) -> None:
    assert sorted(codes(run("#!/bin/bash\n#SBATCH -N 1\n" + body))) == left


def test_a_suppression_of_a_rule_that_did_not_run_is_not_called_unused() -> None:
    from sbatch_migrate.checks import RULES
    from sbatch_migrate.fix.engine import migrate
    from sbatch_migrate.profile import load
    from sbatch_migrate.read.source import Source

    text = "#!/bin/bash\n#SBATCH -N 1\nhostname  # sbatch-migrate: disable=SM201\n"
    selected = [r for r in RULES if r.code.startswith(("SM1", "SM9"))]
    result = migrate(Source.from_bytes(text.encode(), "job.sh"), load(), selected)
    assert [f.code for f in result.findings] == []


# SM912: bash stops reading at a top-level exit or exec, before a line it would reject.
# Each case: the script (its tail never parses as bash), and the line bash stops at (None:
# no certain stop, the tail is a parse error as before).  Every case is also run by bash.
TAIL = "import sys\nif __name__ == '__main__':\n    sys.exit(main())\n"
STOPS = [
    pytest.param(f"#!/bin/sh\n'''exec' true \"$0\" \"$@\"\n' '''\n{TAIL}", 2, id="pip-launcher"),
    pytest.param(
        "#!/bin/sh\n''':'\nreal=/bin/true\n"
        f'if [ -x "$real" ]; then\n  exec "$real"\nfi\nexec true "$0"\n\'\'\'\n{TAIL}',
        7,
        id="sh-head-over-python",
    ),
    pytest.param(f"#!/bin/bash\necho head\nexit 0\n{TAIL}", 3, id="exit"),
    pytest.param(f"#!/bin/bash\nexec true 2>/dev/null\n{TAIL}", 2, id="exec-with-redirect"),
    pytest.param(f"#!/bin/bash\nexec -a name true\n{TAIL}", 2, id="exec-a"),
    pytest.param(f"#!/bin/bash\r\necho head\r\nexit\r\n{TAIL}", None, id="crlf-exit-is-no-exit"),
    pytest.param(
        f"#!/bin/sh\n''':'\nif [ -n \"$HOME\" ]; then\n  exec true\nelse\n  exec true \"$0\"\nfi\n'''\n{TAIL}",
        7,
        id="if-else",
    ),
    pytest.param(
        f"#!/bin/bash\nif false; then\n  exit 1\nelif false; then\n  exit 2\nelse\n  echo x\n  exit 0\nfi\n{TAIL}",
        9,
        id="if-elif-else",
    ),
    pytest.param(f"#!/bin/bash\nif false; then\n  exit 1\nelse\n  echo x\nfi\n{TAIL}", None, id="a-branch-goes-on"),
    pytest.param(
        f"#!/bin/sh\nif test -n x\nthen\n\tif test -z x\n\tthen\n\t\texit 1\n\telse\n\t\texit 0\n\tfi\n"
        f"else\n\techo no\n\texit 1\nfi\n{TAIL}",
        13,
        id="nested-if-as-git-pre-rebase",
    ),
    pytest.param(f"#!/bin/bash\nexit 0 &\n{TAIL}", None, id="exit-in-the-background"),
    pytest.param(f"#!/bin/bash\n[ -f /nonexistent ] && exit 0\n{TAIL}", None, id="conditional"),
    pytest.param(f"#!/bin/bash\nif false; then\n  exit 0\nfi\n{TAIL}", None, id="inside-if"),
    pytest.param(f"#!/bin/bash\nexec 3>/dev/null\n{TAIL}", None, id="exec-only-redirects"),
    pytest.param(f"#!/bin/bash\nexec $NOTHING\n{TAIL}", None, id="exec-of-an-empty-expansion"),
    pytest.param(f"#!/bin/bash\nexit() {{ :; }}\nexit 0\n{TAIL}", None, id="function-named-exit"),
    pytest.param(f"#!/bin/bash\nf() {{\n  exit 0\n}}\n{TAIL}", None, id="inside-a-function"),
]


@pytest.mark.parametrize(("text", "line"), STOPS)
def test_where_bash_stops_reading_is_where_it_does(text: str, line: int | None, tmp_path: Path) -> None:
    from sbatch_migrate.read.shellstop import stop

    found = stop(text.encode())
    assert (None if found is None else text.encode()[: found.end - 1].count(b"\n") + 1) == line
    script = tmp_path / "job.sh"
    script.write_text(text)
    ran = subprocess.run(["bash", str(script)], capture_output=True, text=True, check=False, cwd=tmp_path, timeout=30)
    # the real bash: a stop is never past the error; no stop, and bash reaches the error
    assert ("syntax error" in ran.stderr) == (line is None), ran.stderr


@pytest.mark.parametrize(("text", "line"), [p for p in STOPS if p.values[1] is not None])
def test_lines_bash_never_reads_are_unreachable_text_not_a_parse_error(text: str, line: int) -> None:
    result = run(text)
    assert "SM901" not in codes(result) and "SM908" not in codes(result)
    [finding] = [f for f in result.findings if f.code == "SM912"]
    assert finding.severity.value == "info" and f"bash stops reading at line {line} " in finding.message
    assert result.source.position(finding.start).line == line + 1 and finding.end == len(text.encode())
    assert not result.changed


def test_the_script_before_the_stop_is_migrated_and_the_rest_kept_byte_for_byte() -> None:
    head = "#!/bin/bash\n#SBATCH -p gtest\nmodule load singularity\nsrun singularity run --nv a.sif\nexec true\n"
    result = run(head + TAIL)
    assert {"SM101", "SM201", "SM912"} <= set(codes(result)) and "SM904" not in codes(result)
    assert result.output.decode() == head.replace("gtest", "slinky").replace("module load singularity\n", "") + TAIL


def test_an_error_before_the_exit_is_still_a_parse_error() -> None:
    result = run(f"#!/bin/bash\nif [ -f x ]; then\n  echo x\nexit 0\n{TAIL}")
    assert "SM901" in codes(result) and "SM912" not in codes(result)


def test_without_a_parse_error_an_exit_is_just_an_exit() -> None:
    result = run("#!/bin/bash\nexit 0\necho never\n")
    assert "SM912" not in codes(result) and result.facts.main.stop is None


def test_a_fix_that_would_move_where_bash_stops_is_withheld() -> None:
    """The safety net holds the migrated text to the same stop and the same tail."""
    from sbatch_migrate.fix.engine import _stops_alike

    text = f"#!/bin/bash\necho a\nexit 0\n{TAIL}".encode()
    at = (text.index(b"exit"), text.index(b"import"))
    assert _stops_alike(text, at, text.replace(b"echo a", b"echo b"))
    assert not _stops_alike(text, at, text.replace(b"echo a", b"if x; then"))  # the head no longer parses
    assert not _stops_alike(text, at, text.replace(b"sys.exit", b"sys.quit"))  # the tail changed
    assert not _stops_alike(text, at, text.replace(b"echo a", b"exit 1"))  # bash would stop earlier
    assert not _stops_alike(text, at, text.replace(b"exit 0", b"echo 0"))  # nor stop there at all


@pytest.mark.parametrize(("text", "line"), STOPS)
def test_a_stop_known_to_be_at_a_place_is_the_stop_bash_finds(text: str, line: int | None) -> None:
    """:func:`stop_at` (one parse, for a migrated text whose stop must stay where the
    original's is) agrees with :func:`stop` (which asks bash where it complains first)."""
    from sbatch_migrate.read.shellstop import stop, stop_at

    data = text.encode()
    found = stop(data)
    if found is None:
        assert all(stop_at(data, end) is None for end in range(len(data) + 1) if data[end - 1 : end] in (b"\n", b""))
    else:
        at = stop_at(data, found.end)
        assert at is not None and (at.start, at.end, at.command) == (found.start, found.end, found.command)
        assert stop_at(data, found.end - 1) is None and stop_at(data, len(data)) is None


def test_looking_for_a_stop_costs_a_few_parses_of_the_file_at_most(monkeypatch: pytest.MonkeyPatch) -> None:
    from sbatch_migrate.read import shell, shellstop

    parsed: list[int] = []  # bytes parsed
    read: list[int] = []  # bytes read into facts (a parse, then a walk in Python)
    monkeypatch.setattr(shellstop, "parse", lambda text: parsed.append(len(text)) or shell.parse(text))
    monkeypatch.setattr(shellstop, "analyse", lambda text: read.append(len(text)) or shell.analyse(text))
    blocks = "if [ -f /x ]; then\n  echo yes\nfi\n" * 3000  # a candidate line each
    for text in (f"#!/bin/bash\n{blocks}if x(:\n", f"#!/bin/bash\nif x(:\n{blocks}"):
        data = text.encode()
        parsed.clear()
        read.clear()
        assert shellstop.stop(data) is None
        assert len(parsed) <= shellstop._CHECKED and sum(parsed) <= 2 * len(data) + (64 << 10) and not read
    # tried from bash's complaint backwards: the stop after them all is found at once
    data = f"#!/bin/bash\n{blocks}exit 0\n{TAIL}".encode()
    parsed.clear()
    found = shellstop.stop(data)
    assert found is not None and data[found.start : found.end] == b"exit 0\n"
    assert parsed == [found.end] and read == [found.end]


@pytest.mark.parametrize("opener", ["<<SH", "<<'SH'", "<<-SH"])
def test_a_heredoc_line_that_starts_with_the_delimiter_does_not_end_it(opener: str) -> None:
    """tree-sitter-bash ends a heredoc at a line that starts with its delimiter (pyenv's
    rehash writes `SHIM_PATH=...` into a `<<SH` heredoc); bash ends it at the line that is
    the delimiter alone, and runs what follows: a parser limit, not a parse error."""
    text = (
        f"#!/bin/bash\n#SBATCH -p gtest\ncat {opener}\nSHIM=1\necho $SHIM\n\tSH\nmodule load singularity\necho after\n"
    )
    if opener != "<<-SH":
        text = text.replace("\tSH\n", "SH\n")
    result = run(text)
    assert "SM901" not in codes(result)
    [finding] = [f for f in result.findings if f.code == "SM908"]
    assert "bash accepts lines 3-6" in finding.message
    assert result.output.decode() == text.replace("gtest", "slinky").replace("module load singularity\n", "")
    ran = subprocess.run(["bash"], input=text, capture_output=True, text=True, check=False)
    assert ran.stdout.splitlines() == ["SHIM=1", "echo " + ("$SHIM" if "'" in opener else ""), "after"]


def test_statements_that_look_like_stops_are_read_a_bounded_number_of_times(monkeypatch: pytest.MonkeyPatch) -> None:
    from sbatch_migrate.read import shell, shellstop

    read: list[int] = []
    monkeypatch.setattr(shellstop, "analyse", lambda text: read.append(len(text)) or shell.analyse(text))
    lines = "exec $EMPTY\n" * 2000  # each may stop bash by its shape, none does
    shellstop.stop(f"#!/bin/bash\n{lines}exit 0\n{TAIL}".encode())
    assert 0 < len(read) <= shellstop._CHECKED


@pytest.mark.parametrize(
    ("text", "job"),
    [
        (b'# Additional options that are passed to the slurmd daemon\n#SLURMD_OPTIONS=""\n', False),  # /etc/default
        (b"#SLURM_JOB_ID is set by Slurm\n", False),
        (b"# notes\n#SLURM -N 1\n", True),
        (b"#SLURM\t-N 1\n", True),
        (b"#SLURM-N 1\n", True),
    ],
)
def test_a_slurm_word_is_no_directive_that_makes_a_job_script(text: bytes, job: bool) -> None:
    from sbatch_migrate.read.kind import is_job_script

    assert is_job_script("/home/u1/defaults", text) is job


def test_a_slurm_word_is_not_renamed_but_sbatch_rejects_it() -> None:
    text = '#!/bin/bash\n#SLURMD_OPTIONS=""\n#SLURM -N 1\nhostname\n'
    result = run(text)
    assert [f.start for f in result.findings if f.code == "SM007"] == [text.index("#SLURM -N")]
    assert "Invalid directive found in batch script: D_OPTIONS=" in " ".join(
        f.message for f in result.findings if f.code == "SM001"
    )
    assert result.output.decode() == text.replace("#SLURM -N", "#SBATCH -N")
