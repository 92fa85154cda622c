"""SM101-SM104: partitions, as (before, after) pairs and no-op cases."""

from __future__ import annotations

import pytest

from sbatch_migrate.profile import load

from .conftest import codes, out, run

H = "#!/bin/bash\n"


@pytest.mark.parametrize(
    ("before", "after"),
    [
        ("#SBATCH -p gtest\n", "#SBATCH -p slinky\n"),
        ("#SBATCH -pgtest\n", "#SBATCH -pslinky\n"),
        ("#SBATCH --partition gp1d\n", "#SBATCH --partition slinky\n"),
        ("#SBATCH --partition=gp2d\n", "#SBATCH --partition=slinky\n"),
        ('#SBATCH --partition="gtest"\n', '#SBATCH --partition="slinky"\n'),
        ("#SBATCH --partition='gtest'\n", "#SBATCH --partition='slinky'\n"),
        ("#SBATCH --part=gtest\n", "#SBATCH --part=slinky\n"),
        ("#SBATCH --partition=gtest,gp1d\n", "#SBATCH --partition=slinky\n"),
        ("#SBATCH -N 1 -p gtest -J x  # test queue\n", "#SBATCH -N 1 -p slinky -J x  # test queue\n"),
        ("#SBATCH -p\n#SBATCH gtest\n", "#SBATCH -p\n#SBATCH slinky\n"),
        ("#PBS -q gp4d\n", "#PBS -q slinky\n"),
        ("srun -p gtest hostname\n", "srun -p slinky hostname\n"),
        ("srun --partition=gtest hostname\n", "srun --partition=slinky hostname\n"),
        ('sbatch --partition="gp1d" job.sh\n', 'sbatch --partition="slinky" job.sh\n'),
        ("salloc -pgtest -N1\n", "salloc -pslinky -N1\n"),
        ("time srun -p gtest x\n", "time srun -p slinky x\n"),
        ("export SBATCH_PARTITION=gtest\n", "export SBATCH_PARTITION=slinky\n"),
        ("SLURM_PARTITION='gp1d' srun x\n", "SLURM_PARTITION='slinky' srun x\n"),
        ("if true; then sbatch -p gtest j.sh; fi\n", "if true; then sbatch -p slinky j.sh; fi\n"),
    ],
)
def test_rename(before: str, after: str) -> None:
    assert out(H + before) == H + after


@pytest.mark.parametrize(
    "text",
    [
        "#SBATCH -p slinky\n",
        "#SBATCH --partition=slinky\nsrun -p slinky x\n",
        "echo -p gtest\n",  # not a Slurm client
        "srun hostname -p gtest\n",  # -p belongs to the command srun runs
        "# SBATCH -p gtest\n",  # disabled directive
        "##SBATCH -p gtest\n",
    ],
)
def test_no_change(text: str) -> None:
    result = run(H + text)
    assert not result.changed
    assert "SM101" not in codes(result) and "SM102" not in codes(result)


def test_late_directive_is_not_rewritten() -> None:
    result = run(H + "hostname\n#SBATCH -p gtest\n")
    assert not result.changed
    assert "SM003" in codes(result)


def test_unknown_partition_is_an_error_and_unchanged() -> None:
    result = run(H + "#SBATCH -p gpu-large,gtest\n")
    assert not result.changed
    [f] = [f for f in result.findings if f.code == "SM102"]
    assert "gpu-large" in f.message and not f.fixed


def test_partition_map_from_the_command_line() -> None:
    prof = load().with_partition_map({"gp1d": "long"})
    assert out(H + "#SBATCH -p gp1d,gtest\n", prof) == H + "#SBATCH -p long,slinky\n"
    assert not run(H + "#SBATCH -p long\n", prof).findings


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("P=gtest\nsrun -p $P x\n", "is gtest"),
        ("srun -p $(cat part) x\n", "only known when the script runs"),
        ('O="-p gp1d"\nsbatch $O j.sh\n', "is gp1d"),
    ],
)
def test_partition_from_a_variable_is_reported_not_guessed(text: str, message: str) -> None:
    result = run(H + text)
    assert not result.changed
    [f] = [f for f in result.findings if f.code == "SM104"]
    assert message in f.message


def test_time_limit_proposed() -> None:
    result = run(H + "#SBATCH -p gp4d\n")
    [f] = [f for f in result.findings if f.code == "SM103"]
    assert "--time=4-00:00:00" in f.message and not f.fixed
    assert "SM103" not in codes(run(H + "#SBATCH -p gp4d\n#SBATCH -t 1:00:00\n"))
    assert "SM103" not in codes(run(H + "#SBATCH -p gtest\n"))


def test_time_limit_added_when_the_profile_says_so_and_unsafe_fixes_are_on() -> None:
    from sbatch_migrate.record import replace

    prof = replace(load(), add_time=True)
    added = H + "#SBATCH -p slinky\n#SBATCH --time=2-00:00:00\necho\n"
    assert out(H + "#SBATCH -p gp2d,gp1d\necho\n", prof, unsafe_fixes=True) == added
    # idempotent: the second run finds the --time
    again = run(added, prof, unsafe_fixes=True)
    assert not again.changed
    # the added limit changes what the job asks for: an unsafe fix, withheld by default
    held = run(H + "#SBATCH -p gp2d,gp1d\necho\n", prof)
    assert held.output.decode() == H + "#SBATCH -p slinky\necho\n"  # the safe rename still applies
    [f] = [f for f in held.findings if f.code == "SM103"]
    assert f.unsafe_fix and not f.fixed


def test_time_limit_insertion_at_end_of_file_without_newline() -> None:
    from sbatch_migrate.record import replace

    prof = replace(load(), add_time=True)
    assert out(H + "#SBATCH -p gp1d", prof, unsafe_fixes=True) == H + "#SBATCH -p slinky\n#SBATCH --time=1-00:00:00"
