"""SM505-SM508: what a job names of the target's inventory (nodes, features, GPU types,
node count), against a profile that knows it (the lab's own, in test_slurm.py)."""

from __future__ import annotations

from dataclasses import replace

import pytest

from sbatch_migrate.model.hostlist import expand
from sbatch_migrate.model.target import features
from sbatch_migrate.profile import load

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
