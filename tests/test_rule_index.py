"""The rule index (sbatch_migrate/checks/index.py): it names every rule as the rule's own
class does, and each gate is sound: a rule skipped because its gate does not hold would
have found nothing, so a run that imports only the rules a script can trigger says and
writes exactly what a run of every rule does."""

from __future__ import annotations

import importlib
import pkgutil
from functools import cache
from pathlib import Path

import pytest

from sbatch_migrate import checks
from sbatch_migrate.checks import RULES
from sbatch_migrate.checks.index import GATES, INDEX, load, select_rules
from sbatch_migrate.checks.rule import Rule
from sbatch_migrate.fix.engine import Result, migrate
from sbatch_migrate.model.context import Context
from sbatch_migrate.model.facts import collect
from sbatch_migrate.profile import PartitionLimits, Profile
from sbatch_migrate.profile import load as load_profile
from sbatch_migrate.read.source import InputError, Source
from sbatch_migrate.record import replace

from .corpus import cases, input_of

BASE = load_profile()
# profiles under which each gate holds, and one under which none does
PROFILES = {
    "built-in": BASE,
    "inventory": replace(
        BASE,
        target_nodes=frozenset({"slinky-0", "slinky-1"}),
        target_features=frozenset({"a100"}),
        gpu_types=frozenset({"a100"}),
        node_count=2,
    ),
    "limits-and-accounting": replace(
        BASE,
        partition_limits={"slinky": PartitionLimits("2-00:00:00", 1), "long": PartitionLimits(None, None)},
        partition_targets=frozenset({"slinky", "long"}),
        accounting=True,
        accounting_enforce=frozenset({"associations"}),
        target_accounts=frozenset({"ACT1"}),
        target_qos=frozenset({"normal"}),
        target_clusters=frozenset({"slinky"}),
    ),
    # known to be empty: every name is unknown
    "empty-inventory": replace(
        BASE,
        target_nodes=frozenset(),
        target_features=frozenset(),
        gpu_types=frozenset(),
        target_clusters=frozenset(),
        accounting=False,
    ),
}
# what the target rules look at, all in one job
TARGET_JOB = (
    b"#!/bin/bash\n#SBATCH -p slinky -w gn1201,slinky-0 --constraint=v100 --gres=gpu:v100:1 -N 99\n"
    b"#SBATCH -t 9-00:00:00 -M other --qos=high -A nobody\nsrun hostname\n"
)


@cache
def inputs() -> list[tuple[str, bytes]]:
    """Every corpus input (under the name it is read by), the target job, a launcher
    libcst cannot read, and each as a CRLF file and with a byte that is not UTF-8; the target
    job with old Mac line breaks."""
    # valid Python deeper than libcst reads (SM909)
    deep = b"import subprocess\nsubprocess.run(['sbatch', 'j.sh'], timeout=" + b" + ".join([b"1"] * 800) + b")\n"
    found = [("target.sh", TARGET_JOB), ("launch.py", b"#!/usr/bin/env python3\n#SBATCH -p gtest\n" + deep)]
    for case in cases():
        name = (case / "path.txt").read_text().strip() if (case / "path.txt").is_file() else input_of(case).name
        found.append((name, input_of(case).read_bytes()))
    variants = []
    for name, data in found:
        variants.append((name, data.replace(b"\r\n", b"\n").replace(b"\n", b"\r\n")))
        variants.append((name, data.replace(b"\n", b" # \xe9t\xe9\n", 1)))
    variants.append(("mac.sh", TARGET_JOB.replace(b"\n", b"\r")))  # old Mac line breaks: \r alone
    return found + variants  # the variants last: the first third is the inputs as they are


def _source(name: str, data: bytes) -> Source | None:
    try:
        return Source.from_bytes(data, name)
    except InputError:
        return None


def _said(result: Result) -> list[tuple[object, ...]]:
    return [(f.code, f.severity, f.start, f.end, f.message, f.fixed, f.unsafe_fix) for f in result.findings]


def test_the_index_names_every_rule_as_its_class_does() -> None:
    classes = [load(e) for e in INDEX]
    assert [(c.code, c.name, c.__name__, c.__module__) for c in classes] == [
        (e.code, e.name, e.cls, f"sbatch_migrate.checks.{e.module}") for e in INDEX
    ]
    assert [e.code for e in INDEX] == sorted({e.code for e in INDEX})  # in code order, each once
    assert len({e.name for e in INDEX}) == len(INDEX)
    assert all(e.gate is None or e.gate in GATES for e in INDEX)
    assert set(GATES) == {e.gate for e in INDEX if e.gate}  # no gate left unused
    # every rule a module of the package defines is in the index
    defined = set()
    for info in pkgutil.iter_modules(checks.__path__):
        module = importlib.import_module(f"sbatch_migrate.checks.{info.name}")
        for value in vars(module).values():
            if isinstance(value, type) and issubclass(value, Rule) and value.__module__ == module.__name__:
                if "code" in vars(value):
                    defined.add(value)
    assert defined == set(classes) == set(RULES)


@cache
def gated_runs() -> list[tuple[str, str, set[str], dict[str, bool]]]:
    """Every input under every profile (the variants under the built-in one), with the
    gated rules alone: (profile, input, the codes found, each gate's verdict)."""
    gated = [load(e) for e in INDEX if e.gate]
    runs = []
    for label, profile in PROFILES.items():
        for name, data in inputs() if label == "built-in" else inputs()[: len(inputs()) // 3]:
            source = _source(name, data)
            if source is None:
                continue
            found = {f.code for f in migrate(source, profile, gated).findings}
            ctx = Context(collect(source), profile)
            runs.append((label, name, found, {g: holds(ctx) for g, holds in GATES.items()}))
    return runs


@pytest.mark.parametrize("entry", [e for e in INDEX if e.gate], ids=lambda e: f"{e.code}-{e.gate}")
def test_a_rule_finds_nothing_where_its_gate_does_not_hold(entry) -> None:  # type: ignore[no-untyped-def]
    """Wherever the rule finds something, its gate holds; and it does find something
    somewhere (the inputs reach it)."""
    fired = [(label, name, gates[entry.gate]) for label, name, found, gates in gated_runs() if entry.code in found]
    assert fired, f"no input makes {entry.code} find anything"
    assert all(holds for _, _, holds in fired), [f for f in fired if not f[2]]


@pytest.mark.parametrize("profile", list(PROFILES), ids=str)
def test_a_run_of_the_rules_a_script_can_trigger_says_what_every_rule_says(profile: str) -> None:
    """The default run (rules imported and run where their gate holds) against a run of
    every rule class on every script: the same findings, the same output."""
    prof: Profile = PROFILES[profile]
    every = list(RULES)
    selected = select_rules()
    for name, data in inputs() if profile == "built-in" else inputs()[: len(inputs()) // 3]:
        source = _source(name, data)
        if source is None:
            continue
        gated, full, chosen = migrate(source, prof), migrate(source, prof, every), migrate(source, prof, selected)
        assert (_said(gated), gated.output) == (_said(full), full.output), name
        assert (_said(chosen), chosen.output) == (_said(full), full.output), name


def test_a_run_imports_only_the_rules_a_script_can_trigger(tmp_path: Path) -> None:
    """A job script under the built-in profile: no Python-launcher rule, no rule on the
    target's node list or accounting; a Python launcher under a profile that knows the
    target's nodes: those rules too."""
    import subprocess
    import sys

    probe = (
        "import sys\n"
        "from sbatch_migrate.fix.engine import migrate\n"
        "from sbatch_migrate.profile import load\n"
        "from sbatch_migrate.read.source import Source\n"
        "from sbatch_migrate.record import replace\n"
        "p = load()\n"
        "if sys.argv[2] == 'nodes':\n"
        "    p = replace(p, target_nodes=frozenset({'n1'}))\n"
        "migrate(Source.from_bytes(open(sys.argv[1], 'rb').read(), sys.argv[1]), p)\n"
        "print(' '.join(m.rsplit('.', 1)[1] for m in sys.modules if m.startswith('sbatch_migrate.checks.')))\n"
    )
    job = tmp_path / "job.sh"
    job.write_bytes(TARGET_JOB)
    launcher = tmp_path / "submit.py"
    launcher.write_text("import subprocess\nsubprocess.run(['sbatch', '-p', 'gtest', 'job.sh'])\n")

    def loaded(path: Path, profile: str) -> set[str]:
        p = subprocess.run([sys.executable, "-c", probe, str(path), profile], capture_output=True, text=True)
        assert p.returncode == 0, p.stderr
        return set(p.stdout.split())

    plain = loaded(job, "built-in")
    assert "registry" not in plain and "partition_rename" in plain and "ucx_fabric" in plain
    gated = {"python_not_read", "python_parse_error", "python_escaped_script", "unknown_node", "unknown_account"}
    assert not gated & plain
    both = loaded(launcher, "nodes")
    assert {"python_not_read", "python_parse_error", "python_escaped_script", "unknown_node"} <= both
    assert "unknown_account" not in both
