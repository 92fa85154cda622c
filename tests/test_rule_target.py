"""SM505-SM512: what a job names of the target's inventory (nodes, features, GPU types,
node count), limits (MaxTime, MaxNodes) and accounting (clusters, QOS, accounts), against a
profile that knows it (the labs' own, in test_slurm.py and test_migration_day.py)."""

from __future__ import annotations

import math

import pytest

from sbatch_migrate.model.hostlist import expand
from sbatch_migrate.model.target import features
from sbatch_migrate.model.timelimit import seconds
from sbatch_migrate.profile import PartitionLimits, load
from sbatch_migrate.record import replace

from .conftest import codes, run

KNOWN = replace(
    load(),
    target_nodes=frozenset({"slinky-0", "slinky-1"}),
    target_features=frozenset({"a100"}),
    gpu_types=frozenset({"a100"}),
    node_count=2,
)


@pytest.mark.parametrize(
    ("hostlist", "names"),
    [
        ("gn[1201-1203,1205]", ["gn1201", "gn1202", "gn1203", "gn1205"]),
        ("slinky-[0-1],cpu-0", ["slinky-0", "slinky-1", "cpu-0"]),
        ("n[08-10]x", ["n08x", "n09x", "n10x"]),
        ("./hosts.txt", None),  # a file of names: sbatch reads it
        ("n[3-1]", None),
    ],
)
def test_expand(hostlist: str, names: list[str] | None) -> None:
    assert expand(hostlist) == names


def test_features() -> None:
    assert features("v100&ib") == ["v100", "ib"]
    assert features("[a100*2&ib]") == ["a100", "ib"]
    assert features('"a|b"') == ["a", "b"]
    assert features("ntasks-per-node=4") == ["ntasks-per-node=4"]


@pytest.mark.parametrize(
    ("directive", "code"),
    [
        ("-w gn1201", "SM505"),
        ("--exclude=gn[1201-1202]", "SM505"),
        ("--nodelist=slinky-[0-2]", "SM505"),
        ("--constraint=v100", "SM506"),
        ("-C ntasks-per-node=4", "SM506"),
        ("--gres=gpu:v100:2", "SM507"),
        ("--gpus=v100:1", "SM507"),
        ("--tres-per-task=gres/gpu:v100:1", "SM507"),
        ("--nodes=3", "SM508"),
        ("-N 3-4", "SM508"),
    ],
)
def test_what_the_target_does_not_have(directive: str, code: str) -> None:
    assert code in codes(run(f"#!/bin/bash\n#SBATCH {directive}\nhostname\n", KNOWN))


@pytest.mark.parametrize(
    "directive",
    [
        "-w slinky-0",
        "-x slinky-[0-1]",
        "--constraint=a100",
        "--gres=gpu:a100:2",
        "--gres=gpu:2",
        "--gpus=2",
        "-N 2",
        "-N 1-3",
        "-w ./hosts.txt",
        "-w $NODES",
    ],
)
def test_what_the_target_has(directive: str) -> None:
    assert not {"SM505", "SM506", "SM507", "SM508"} & set(
        codes(run(f"#!/bin/bash\n#SBATCH {directive}\nhostname\n", KNOWN))
    )


def test_silent_where_the_profile_does_not_know_the_target() -> None:
    text = "#!/bin/bash\n#SBATCH -w gn1201 --constraint=v100 --gres=gpu:v100:1 -N 99\nhostname\n"
    assert not {"SM505", "SM506", "SM507", "SM508"} & set(codes(run(text)))  # the built-in profile


# -- limits and accounting: SM508 (MaxNodes), SM509-SM512 ---------------------------------
LIMITED = replace(
    load(),
    partition_limits={"slinky": PartitionLimits("2-00:00:00", 1), "long": PartitionLimits(None, None)},
    partition_targets=frozenset({"slinky", "long"}),
    accounting=True,
    accounting_enforce=frozenset({"associations"}),
    target_accounts=frozenset({"ACT1", "act2"}),
    target_qos=frozenset({"normal"}),
    target_clusters=frozenset({"slinky"}),
)
TARGET_CODES = {"SM508", "SM509", "SM510", "SM511", "SM512"}


@pytest.mark.parametrize(
    ("directives", "code"),
    [
        ("-p gp4d -t 4-00:00:00", "SM509"),  # over slinky's two days
        ("-t 2-00:00:01", "SM509"),  # no -p: the default partition
        ("-p slinky --time=3-0", "SM509"),
        ("-t 0", "SM509"),  # no limit at all (sbatch(1)): pends on a limited partition, as the lab showed
        ("-t UNLIMITED", "SM509"),
        ("-p slinky -N 2", "SM508"),  # slinky's MaxNodes is 1
        ("-M twcc", "SM510"),
        ("--clusters=slinky,twcc", "SM510"),
        ("-A MST108XXX", "SM512"),
        ("--qos=gp4d", "SM511"),
    ],
)
def test_limits_and_accounting_the_target_does_not_have(directives: str, code: str) -> None:
    text = f"#!/bin/bash\n#SBATCH {directives}\nhostname\n"
    assert code in codes(run(text, LIMITED))


@pytest.mark.parametrize(
    "directives",
    [
        "-p gp4d -t 2-00:00:00",
        "-p gp4d -t 36:00:00",
        "-p slinky,long -t 30-0",  # a list is over only when over all of them
        "-p long -N 2 -t UNLIMITED",
        "-t $LIMIT",
        "-M slinky",
        "-A act1",  # names are matched as Slurm does, case-insensitively
        "-A ACT1",
        "--qos=normal",
        "-p nowhere -t 9-0",  # an unknown partition is SM102's to report
    ],
)
def test_limits_and_accounting_the_target_has(directives: str) -> None:
    found = set(codes(run(f"#!/bin/bash\n#SBATCH {directives}\nhostname\n", LIMITED)))
    assert not TARGET_CODES & found, found


def test_accounting_severity_follows_what_the_target_enforces() -> None:
    text = "#!/bin/bash\n#SBATCH -A nope\n#SBATCH -q nope\nhostname\n"
    enforced = {f.code: f for f in run(text, replace(LIMITED, accounting_enforce=frozenset({"qos"}))).findings}
    assert enforced["SM512"].severity.value == "error" and enforced["SM511"].severity.value == "error"
    assert "Invalid qos specification" in enforced["SM511"].message
    loose = {f.code: f for f in run(text, replace(LIMITED, accounting_enforce=frozenset())).findings}
    assert loose["SM512"].severity.value == "warning" and "default account" in loose["SM512"].message
    unknown = {f.code: f for f in run(text, replace(LIMITED, target_accounts=None)).findings}
    assert unknown["SM512"].severity.value == "warning" and "sacctmgr show account nope" in unknown["SM512"].message
    # no accounting on the target: the lab's sbatch accepts any account and QOS, nothing said
    assert not {"SM511", "SM512"} & set(codes(run(text, replace(LIMITED, accounting=False))))
    # and -M is refused there whatever it names
    assert "SM510" in codes(run("#!/bin/bash\n#SBATCH -M slinky\nhostname\n", replace(LIMITED, accounting=False)))


def test_enforced_partition_limits_are_refused_at_submission() -> None:
    text = "#!/bin/bash\n#SBATCH -t 3-0\nhostname\n"
    [f] = [f for f in run(text, replace(LIMITED, enforce_part_limits=True)).findings if f.code == "SM509"]
    assert "sbatch refuses the job" in f.message
    [f] = [f for f in run(text, LIMITED).findings if f.code == "SM509"]
    assert "never starts" in f.message and "PartitionTimeLimit" in f.message


def test_the_implicit_limit_proposed_is_at_most_the_target_maxtime() -> None:
    [f] = [f for f in run("#!/bin/bash\n#SBATCH -p gp4d\nhostname\n", LIMITED).findings if f.code == "SM103"]
    assert "--time=2-00:00:00" in f.message and "4-00:00:00" in f.message


@pytest.mark.parametrize(
    ("text", "secs"),
    [
        ("30", 1800),
        ("0:30", 30),
        ("1:00:00", 3600),
        ("1-0", 86400),
        ("1-00:00:00", 86400),
        ("4-12:30", 390600),
        ("UNLIMITED", math.inf),
        ("0", math.inf),
        ("2-", None),
        ("1:2:3:4", None),
    ],
)
def test_time_limits_read_as_slurm_reads_them(text: str, secs: float | None) -> None:
    assert seconds(text) == secs
