"""The #SBATCH scanner against what the real sbatch does (shared/facts/sbatch-directives.md)."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from sbatch_migrate.read.directives import scan


def parse(body: str) -> tuple[dict[str, str | None], list[str]]:
    d = scan(("#!/bin/bash\n" + body).encode())
    opts = {u.name: u.value for u in d.options if u.in_block}
    return opts, [p.code for p in d.problems]


@pytest.mark.parametrize(
    "line",
    [
        "#SBATCH -p X",
        "#SBATCH -pX",
        "#SBATCH --partition X",
        "#SBATCH --partition=X",
        '#SBATCH --partition="X"',
        "#SBATCH --partition='X'",
        "#SBATCH --part=X",
        "#SBATCH -p X # comment here",
        "#SBATCH\t-p X",
        "#SBATCH-p X",
        "#SBATCH -N 1 -p X -J x",
        "#SLURM -p X",
    ],
)
def test_partition_forms(line: str) -> None:
    opts, problems = parse(line + "\n")
    assert opts["partition"] == "X"
    assert problems == []


@pytest.mark.parametrize(
    ("line", "job_name"),
    [
        ("#SBATCH -J a#b", "a"),
        ('#SBATCH -J "a #b"', "a #b"),
        ("#SBATCH -J x   -N   1", "x"),
        ("#SBATCH -J first\n#SBATCH -J second", "second"),
        ("#SBATCH -J 'it''s'", "its"),
    ],
)
def test_quotes_and_comments(line: str, job_name: str) -> None:
    opts, problems = parse(line + "\n")
    assert opts["job-name"] == job_name
    assert problems == []


@pytest.mark.parametrize(
    ("line", "problem"),
    [
        ('#SBATCH -J "unterminated', "syntax"),
        ("#SBATCH --nodes=1 ; echo hi", "non-option"),
        ("#SBATCHX -J x", "non-option"),
        ("#SBATCH --ntask-per-node=2", "unknown-option"),
        ("#SBATCH --mem-p=1", "unknown-option"),
        ("#SBATCH --hold=yes", "syntax"),
        ("#SBATCH -J", "syntax"),
        ("#SBATCH :x", "syntax"),
    ],
)
def test_rejected_lines(line: str, problem: str) -> None:
    _, problems = parse(line + "\n")
    assert problem in problems


@pytest.mark.parametrize(
    ("release", "name", "problems"), [("22.05", "a", ["non-option"]), ("24.05", "a b", []), ("25.11", "a b", [])]
)
def test_an_escaped_space_is_part_of_the_word_since_24_05(release: str, name: str, problems: list[str]) -> None:
    """src/sbatch/opt.c get_argument: 24.05 copies a backslash-escaped space into the word;
    22.05 ends the word there (and stops at the `b` after it)."""
    from sbatch_migrate.read.options import release as slurm_release

    with slurm_release(release):
        opts, found = parse("#SBATCH -J a\\ b\n")
    assert opts["job-name"] == name and found == problems


@pytest.mark.parametrize("line", ["  #SBATCH -p X", "\t#SBATCH -p X", "# SBATCH -p X", "#sbatch -p X", "##SBATCH -p X"])
def test_ignored_lines(line: str) -> None:
    opts, problems = parse(line + "\n")
    assert "partition" not in opts and problems == []


def test_block_ends_at_first_command() -> None:
    d = scan(b"#!/bin/bash\n#SBATCH -N 1\n\n   \n# note\n#SBATCH -p a\nset -e\n#SBATCH -p late\n")
    assert [u.value for u in d.partitions] == ["a"]
    assert d.block_end_line == 6
    assert [p.code for p in d.problems] == ["late"]


def test_option_argument_may_be_on_the_next_line() -> None:
    # all block arguments form one argv for getopt: -p takes the next word
    opts, problems = parse("#SBATCH -p\n#SBATCH X\n")
    assert opts["partition"] == "X" and problems == []


def test_empty_value_does_not_crash() -> None:
    opts, problems = parse("#SBATCH --account= # fill in\n#SBATCH -p X\n")
    assert opts["account"] == "" and opts["partition"] == "X" and problems == []


def test_value_spans_keep_quotes() -> None:
    data = b'#!/bin/bash\n#SBATCH --partition="gtest" -pgp1d\n'
    uses = scan(data).partitions
    assert [data[u.value_start : u.value_end] for u in uses] == [b'"gtest"', b"gp1d"]


def test_pbs_queue_is_a_partition_anywhere_in_the_first_lines() -> None:
    d = scan(b"#!/bin/bash\necho hi\n#PBS -q gtest\n#PBS -N name\n")
    assert [(u.kind, u.value) for u in d.partitions] == [("PBS", "gtest")]


def test_ignore_pbs() -> None:
    d = scan(b"#!/bin/bash\n#SBATCH --ignore-pbs\n#PBS -q gtest\n")
    assert d.partitions == [] and d.pbs_ignored


def test_hetjob_components() -> None:
    d = scan(b"#!/bin/bash\n#SBATCH -p a\n#SBATCH hetjob\n#SBATCH -p b\n")
    assert [(u.component, u.value) for u in d.partitions] == [(0, "a"), (1, "b")]
    assert d.problems == []


def test_tab_stripped_heredoc_lines() -> None:
    data = b"\t#!/bin/bash\n\t#SBATCH -p gtest\n"
    assert [u.value for u in scan(data, strip_tabs=True).partitions] == ["gtest"]
    assert scan(data).partitions == []


@pytest.mark.parametrize(
    "line",
    ["#SBATCH --part=gp4d --job=abbr", "#SBATCH -N 1 -pgp4d -J abbr # c", "#SBATCH\t--job=abbr --partition gp4d"],
)
def test_value_spans_of_plain_words(line: str) -> None:
    data = ("#!/bin/bash\n" + line + "\n").encode()
    d = scan(data)
    assert [data[u.value_start : u.value_end] for u in d.options if u.name in ("partition", "job-name")] == [
        b"gp4d" if u.name == "partition" else b"abbr" for u in d.options if u.name in ("partition", "job-name")
    ]
    for u in d.options:
        assert data[u.start : u.end].decode().startswith(u.written)


_LINES = st.sampled_from(
    [
        "#SBATCH -p gtest",
        "#SBATCH --nodes=2 # two",
        "#SLURM -J x",
        "#SBATCHX",
        "#SB",
        "# a comment",
        "",
        "   ",
        "\t#SBATCH -N 1",
        "echo hi",
        "  srun true",
        "#!/bin/bash",
    ]
)


@given(st.lists(_LINES, max_size=14), st.sampled_from(["\n", "\r\n"]), st.booleans())
def test_block_and_late_lines_match_a_line_by_line_reading(lines: list[str], nl: str, strip_tabs: bool) -> None:
    """Every #SBATCH/#SLURM line is found once, with its line number, in the block exactly
    when no command line comes before it (the scanner finds late ones by regex)."""
    text = nl.join(lines)
    data = text.replace("\r\n", " \n").encode()  # parse bytes, as Source makes them
    d = scan(data, strip_tabs=strip_tabs)
    expected = []
    block = True
    for index, raw in enumerate(lines):
        line = raw.lstrip("\t") if strip_tabs else raw
        line = line.replace("\r", " ")
        if line.startswith(("#SBATCH", "#SLURM")):
            expected.append((index, block))
        elif line.strip(" \t\r") and not line.lstrip(" \t\r").startswith("#"):
            block = False
    assert [(dl.line, dl.in_block) for dl in d.lines] == expected
    for dl in d.lines:
        assert data[: dl.start].count(b"\n") == dl.line
    assert [p.line for p in d.problems if p.code == "late"] == [i for i, b in expected if not b]
