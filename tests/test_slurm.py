"""Migrated scripts on a real Slurm: two slurmd daemons posing as two Slinky NodeSet pods.

The Apptainer front end is a stand-in (tests/standin/singularity): what runs is real
Slurm (sbatch, slurmctld, slurmd, srun task launch across both nodes), and the stand-in
records what each task asked the container runtime for.
"""

from __future__ import annotations

import contextlib
import json
import math
import os
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from sbatch_migrate.fix.engine import migrate
from sbatch_migrate.profile import load
from sbatch_migrate.read.directives import scan
from sbatch_migrate.read.options import release
from sbatch_migrate.read.source import Source

from .corpus import cases, expected_of, input_of
from .slurm_cluster import IMAGE, SEED, LocalCluster, job_env, lab_release, missing_requirements

_why = missing_requirements()
pytestmark = pytest.mark.skipif(_why is not None, reason=_why or "")


def migrated(path: Path) -> bytes:
    return migrate(Source.from_bytes(path.read_bytes(), str(path)), load()).output


def test_seed_script_fails_on_the_new_cluster_as_it_is(cluster: LocalCluster, jobdir: Path) -> None:
    p = cluster.sbatch("--test-only", str(SEED), cwd=jobdir)
    assert p.returncode != 0
    assert "invalid partition specified: gtest" in p.stderr
    # with the partition forced on the command line it runs, and the module lines fail
    p = cluster.sbatch("-p", "slinky", "--wait", "-o", "out-%j.txt", str(SEED), cwd=jobdir, env=job_env(jobdir))
    out = "".join(f.read_text() for f in jobdir.glob("out-*.txt"))
    assert "module: command not found" in out


def test_migrated_seed_runs_across_both_nodes(cluster: LocalCluster, jobdir: Path) -> None:
    job = jobdir / "hello_twcc.sh"
    job.write_bytes(migrated(SEED))
    p = cluster.sbatch("--wait", "-o", "out-%j.txt", str(job), cwd=jobdir, env=job_env(jobdir))
    out = "".join(f.read_text() for f in jobdir.glob("out-*.txt"))
    assert p.returncode == 0, p.stderr + out + cluster.logs()
    assert "command not found" not in out
    calls = [json.loads(line) for line in (jobdir / "standin.jsonl").read_text().splitlines()]
    assert len(calls) == 16
    assert {c["node"] for c in calls} == {"slinky-0", "slinky-1"}
    assert sorted(int(c["rank"]) for c in calls) == list(range(16))
    assert all(c["subcommand"] == "run" and c["nv"] and c["image"] == IMAGE for c in calls)
    assert all(c["args"] == ["python", "pytorch_synthetic_benchmark.py", "--batch-size", "256"] for c in calls)
    assert len(re.findall(r"^rank \d+ of 16 on slinky-[01] args --batch-size 256$", out, re.M)) == 16


def test_standin_fails_like_apptainer_for_a_missing_image(cluster: LocalCluster, jobdir: Path) -> None:
    job = jobdir / "job.sh"
    job.write_text("#!/bin/bash\n#SBATCH -p slinky -N 1 --gres=gpu:1\nsrun singularity exec --nv /work/none.sif true\n")
    p = cluster.sbatch("--wait", "-o", "out.txt", str(job), cwd=jobdir, env=job_env(jobdir))
    assert p.returncode != 0
    assert "could not open image /work/none.sif" in (jobdir / "out.txt").read_text()


def test_byte_order_mark_and_old_mac_line_endings_on_the_real_sbatch(cluster: LocalCluster, jobdir: Path) -> None:
    """What SM006 and SM005 say of these two files is what Slurm does with them."""
    from sbatch_migrate.fix.engine import migrate
    from sbatch_migrate.profile import load
    from sbatch_migrate.read.source import Source

    bom = jobdir / "bom.sh"
    bom.write_bytes(b"\xef\xbb\xbf#!/bin/bash\n#SBATCH -p gtest -N 1\nhostname\n")
    p = cluster.sbatch("--test-only", str(bom), cwd=jobdir, env=job_env(jobdir))
    assert p.returncode != 0 and re.search(REJECTED["SM006"], p.stderr), p.stderr
    bom.write_bytes(migrate(Source.from_bytes(bom.read_bytes(), str(bom)), load()).output)
    p = cluster.sbatch("--test-only", str(bom), cwd=jobdir, env=job_env(jobdir))
    assert p.returncode == 0 and "to start at" in p.stderr, p.stderr
    mac = jobdir / "mac.sh"
    mac.write_bytes(b"#!/bin/bash\r#SBATCH -p slinky -N 1\rhostname\r")
    p = cluster.sbatch("--wait", "-p", "slinky", "-t", "1", "-o", "mac.txt", str(mac), cwd=jobdir, env=job_env(jobdir))
    assert p.returncode != 0  # accepted, then the job fails: its one line names no interpreter
    assert "bad interpreter" in (jobdir / "mac.txt").read_text(errors="replace")


# -- every migrated corpus script against the real sbatch -------------------------------
# what sbatch --test-only says for the error findings that mean "rejected at submission"
REJECTED = {
    "SM001": r"Invalid directive found in batch script|Unmatched",
    "SM002": r"unrecognized option|ambiguous",
    "SM005": r"DOS line breaks",
    "SM006": r"does not look like a batch script",
    "SM010": r"Invalid numeric value|Invalid --\S+ specification|is not a valid node count|Invalid generic resource|"
    r"Requested node configuration is not available",
    "SM102": r"invalid partition",
    "SM501": r"Requested node configuration is not available",
    "SM502": r"Requested node configuration is not available",
    "SM503": r"Requested node configuration is not available|Memory specification",
    "SM505": r"Invalid node name specified",
    "SM506": r"Invalid feature specification",
    "SM507": r"Requested node configuration is not available",
    "SM508": r"Requested node configuration is not available|Node count specification invalid",
    "SM510": r"can.t be reached now, or it is an invalid entry for --cluster",
}
# error findings that sbatch accepts but that make the job fail when it runs, and how
FAILS_AT_RUN = {
    "SM203": r"module: command not found",
    "SM201": r"module: command not found",
    "SM901": r"syntax error",
    "SM601": r"No such file or directory|could not open image|mount source .* doesn't exist",
    # a job step larger than a node: srun cannot create it (the lab's nodes are smaller still)
    "SM501-step": r"Unable to create step|Invalid generic resource|More processors requested than permitted",
    "SM502-step": r"Unable to create step|More processors requested than permitted",
    "SM503-step": r"Unable to create step|Memory required by task is not available",
}

# the cases that are job scripts themselves (directives at the top), not drivers or launchers
JOB_CASES = [c for c in cases() if any(line.in_block for line in scan(input_of(c).read_bytes()).lines)]


@pytest.mark.parametrize("case", JOB_CASES, ids=[c.name for c in JOB_CASES])
def test_corpus_script_on_the_real_sbatch(cluster: LocalCluster, jobdir: Path, case: Path) -> None:
    report = json.loads((case / "report.json").read_text())["files"][0]
    errors = {
        f["code"] + ("-step" if "` in the script: " in f["message"] else "")
        for f in report["findings"]
        if f["severity"] == "error" and not f["fixed"]
    }
    job = jobdir / input_of(case).name
    job.write_bytes(expected_of(case).read_bytes())
    # sized to the test cluster: it has two nodes (command-line options override directives)
    nodes = scan(job.read_bytes()).last("nodes")
    sizing = ["-N", "2"] if nodes is not None and nodes.value and nodes.value.isdigit() and int(nodes.value) > 2 else []
    p = cluster.sbatch("--test-only", *sizing, str(job), cwd=jobdir, env=job_env(jobdir))
    rejected = [code for code in errors if code in REJECTED]
    if rejected:
        assert p.returncode != 0, f"{case.name}: sbatch accepted a script with {rejected}"
        assert any(re.search(REJECTED[c], p.stderr) for c in rejected), p.stderr
        return
    assert p.returncode == 0, f"{case.name}: {p.stderr}"
    assert "to start at" in p.stderr
    failing = [code for code in errors if code in FAILS_AT_RUN]
    if failing:
        p = cluster.sbatch("--wait", "-t", "1", *sizing, "-o", "out.txt", str(job), cwd=jobdir, env=job_env(jobdir))
        # the script may send stderr elsewhere (#SBATCH -e %j.err): read every log it made
        out = "".join(
            f.read_text(errors="replace") for f in sorted(jobdir.glob("*")) if f.suffix in (".txt", ".out", ".err")
        )
        assert any(re.search(FAILS_AT_RUN[c], out) for c in failing), out


# -- differential test: the directive scanner against the real sbatch ---------------------
VALUES = st.sampled_from(["slinky", "gtest", '"slinky"', "'gtest'", "slinky,gtest", '"gp 1"'])
NAMES = st.sampled_from(["job", '"a b"', "a#b", '"a #b"', "a\\b", "'x y'", "n-1"])


@st.composite
def directive_line(draw: st.DrawFn) -> str:
    v, n = draw(VALUES), draw(NAMES)
    option = draw(
        st.sampled_from(
            [
                f"-p {v}",
                f"-p{v}",
                f"--partition {v}",
                f"--partition={v}",
                f"--part={v}",
                f"--parti {v}",
                f"-J {n}",
                f"--job-name={n}",
                f"--job {n}",
                "-N 1",
                "--nodes 1",
                f"-N 1 -p {v} -J {n}",
            ]
        )
    )
    prefix = draw(st.sampled_from(["#SBATCH ", "#SBATCH\t", "#SBATCH", "#SBATCH   "]))
    tail = draw(st.sampled_from(["", "  # comment", "\t# c", " #"]))
    return prefix + option + tail


@st.composite
def directive_block(draw: st.DrawFn) -> str:
    lines = draw(
        st.lists(
            st.one_of(
                directive_line(),
                st.sampled_from(["", "   ", "# a comment", "# SBATCH -p gtest", "  #SBATCH -p gtest", "##SBATCH -p x"]),
            ),
            min_size=1,
            max_size=6,
        )
    )
    if draw(st.booleans()):
        at = draw(st.integers(0, len(lines)))
        lines.insert(at, "hostname")
    return "#!/bin/bash\n" + "\n".join(lines) + "\necho done\n"


SBATCH_VALUE = re.compile(r"^sbatch: (partition|job-name)\s+: (.*)$", re.M)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(script=directive_block())
@example(script="#!/bin/bash\n#SBATCH -p\n#SBATCH slinky\necho done\n")
@example(script='#!/bin/bash\n#SBATCH -J "a #b" --part=gtest  # c\necho done\n')
@example(script="#!/bin/bash\n#SBATCH -J a\\b\necho done\n")
@example(script='#!/bin/bash\n#SBATCH -J "x\necho done\n')
@example(script="#!/bin/bash\nhostname\n#SBATCH -p gtest\necho done\n")
@example(script='#!/bin/bash\n#SLURMD_OPTIONS=""\necho done\n')  # as in /etc/default/slurmd
def test_directive_scanner_agrees_with_sbatch(cluster: LocalCluster, tmp_path: Path, script: str) -> None:
    job = tmp_path / "job.sh"
    job.write_text(script)
    p = cluster.sbatch("--test-only", "-vv", str(job), cwd=tmp_path)
    with release(lab_release()):
        ours = scan(script.encode())
    problems = {pr.code for pr in ours.problems if pr.code != "late"}
    err = p.stderr
    if "Unmatched" in err or "Unexpected" in err:
        assert "syntax" in problems, err
        return
    if "Invalid directive found" in err:
        assert "non-option" in problems, err
        return
    if "unrecognized option" in err or "ambiguous" in err or "invalid option" in err:
        assert "unknown-option" in problems, err
        return
    assert p.returncode == 0 or "invalid partition" in err.lower(), err
    assert not problems, (script, ours.problems)
    seen = dict(SBATCH_VALUE.findall(err))
    for name in ("partition", "job-name"):
        use = ours.last(name)
        if use is None:
            assert name not in seen or name == "job-name", (name, seen)
        else:
            assert seen.get(name) == use.value, (name, seen, use)


# -- sbatch-migrate --validate --------------------------------------------------------------
def _cli(cluster: LocalCluster, *args: str, path: str | None = None) -> subprocess.CompletedProcess[str]:
    env = cluster.env
    if path is not None:
        env["PATH"] = path
    return subprocess.run(
        [sys.executable, "-m", "sbatch_migrate", *args],
        env=env,
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )


def test_validate_accepts_the_migrated_seed(cluster: LocalCluster) -> None:
    p = _cli(cluster, "--validate", "--format", "json", str(SEED))
    assert p.returncode == 0, p.stderr
    doc = json.loads(p.stdout)["files"][0]
    assert doc["validation"]["ok"] is True and "in partition slinky" in doc["validation"]["message"]
    p = _cli(cluster, "--validate", "-q", str(SEED))
    assert p.returncode == 0 and "#SBATCH --partition=slinky" in p.stdout


def test_validate_reports_what_slurm_rejects(cluster: LocalCluster, tmp_path: Path) -> None:
    job = tmp_path / "job.sh"
    job.write_text("#!/bin/bash\n#SBATCH -p gtest\n#SBATCH --gres=gpu:9\nsrun hostname\n")
    p = _cli(cluster, "--validate", "--check", str(job))
    assert p.returncode == 1
    assert "SM906 [error] sbatch --test-only rejects the migrated script" in p.stdout
    assert "Requested node configuration is not available" in p.stdout


def test_validate_without_sbatch_or_controller(cluster: LocalCluster, tmp_path: Path) -> None:
    p = _cli(cluster, "--validate", "-q", str(SEED), path=str(tmp_path))
    assert p.returncode == 2
    assert "sbatch is not installed here" in p.stderr and "Traceback" not in p.stderr
    conf = tmp_path / "slurm.conf"
    conf.write_text(cluster.conf.read_text().replace(f"SlurmctldPort={cluster.ctld_port}", "SlurmctldPort=9"))
    env = dict(cluster.env, SLURM_CONF=str(conf))
    p = subprocess.run(
        [sys.executable, "-m", "sbatch_migrate", "--validate", "-q", str(SEED)],
        env=env,
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )
    assert p.returncode == 2
    assert "no Slurm controller answered" in p.stderr


# -- bulk migration as a Slurm job array ----------------------------------------------------
def test_emitted_array_job_runs_the_shards_and_merges(cluster: LocalCluster, tmp_path: Path) -> None:
    from bench.gen_homes import generate

    root = tmp_path / "site"
    generate(root, users=5, files=150, seed=9)
    report = tmp_path / "reports"
    p = _cli(cluster, "bulk", str(root), "--no-cache", "--emit-array-job", "3", "--report-dir", str(report))
    assert p.returncode == 0, p.stderr
    script = tmp_path / "migrate.sbatch"
    script.write_text(p.stdout)
    env = {"PATH": f"{Path(sys.executable).parent}:{os.environ.get('PATH', '')}", "CI": "true"}
    sub = cluster.sbatch("--wait", str(script), cwd=tmp_path, env=env, timeout=300)
    logs = "".join(f.read_text() for f in (report / "logs").glob("*.out")) if (report / "logs").exists() else ""
    assert sub.returncode == 0, sub.stderr + logs
    shards = sorted(report.glob("shard-*/files.jsonl"))
    assert [s.parent.name for s in shards] == ["shard-0", "shard-1", "shard-2"]
    p = _cli(cluster, "merge-reports", str(report))
    assert p.returncode == 0, p.stderr
    merged = json.loads((report / "summary.json").read_text())
    p = _cli(cluster, "bulk", str(root), "--no-cache", "-q", "--report-dir", str(tmp_path / "whole"))
    whole = json.loads((tmp_path / "whole" / "summary.json").read_text())
    assert merged["files_seen"] == whole["files_seen"] and merged["rules"] == whole["rules"]


# -- option values: the real sbatch is the oracle ----------------------------------------
OPTION_VALUES = {
    "ntasks": ["", "1", "+2", "04", "x", "1.5", "0", "-1", "2k", "<n>", "XXX", " 2"],
    "ntasks-per-node": ["", "4", "<# of processes>", "4x", "0", "+2"],
    "cpus-per-task": ["", "4", "abc", "0", "04"],
    "cpus-per-gpu": ["1", "0", "x"],
    "threads-per-core": ["1", "0"],
    "nodes": ["", "1", "2", "1-2", "-2", "1-", "2-1", "x", "+1", "1,2", "0", " 1", "1 "],
    "time": [
        "",
        "10",
        "1:00",
        "00:10:00",
        "1-0",
        "1-",
        "1-2:",
        "123:",
        ":5",
        "5:",
        "1:2:3:4",
        "abc",
        "-1",
        "0",
        "UNLIMITED",
        "infinite",
        "1-2-3",
        "1:70:00",
        "00:5:00",
        "2-12",
    ],
    "time-min": ["10", "x", "1:00"],
    "mem": ["", "100", "90G", "90GB", "90g", "5kb", "5MB", "1.5G", "5GiB", "+5G", "abc", "0", "5P", "5Gb", " 5G"],
    "mem-per-cpu": ["4G", "x", "0", "4096"],
    "exclusive": ["user", "USER", "mcs", "x", "oversubscribe", "exclusive"],
    "gres": ["gpu", "gpu:1", "gpu:01", "gpu:+1", "none", "GPU:1", "gpu:1:x", "foo:1", "gpu:", "", "gpu:2,gpu:1"],
    "gpus": ["1", "0", "x", "2k", "1,2"],
    "gpus-per-node": ["8", "abc", "2"],
}


def _accepted(cluster: LocalCluster, tmp_path: Path, line: str) -> tuple[bool, str]:
    job = tmp_path / "job.sh"
    job.write_text(f"#!/bin/bash\n{line}\nhostname\n")
    p = cluster.sbatch("--test-only", str(job), cwd=tmp_path)
    return p.returncode == 0, p.stderr.strip()


@pytest.mark.parametrize(("option", "value"), [(o, v) for o, vs in OPTION_VALUES.items() for v in vs])
def test_value_checks_agree_with_sbatch(cluster: LocalCluster, tmp_path: Path, option: str, value: str) -> None:
    """Every value invalid-value (SM010) passes, the lab's sbatch accepts; every value it
    refuses, sbatch refuses (the values fit the lab's nodes: a refusal is the value's)."""
    from sbatch_migrate.read.optvalues import problem

    quoted = f'"{value}"' if " " in value else value
    ok, err = _accepted(cluster, tmp_path, f"#SBATCH --{option}={quoted}")
    with release(lab_release()):
        ours = problem(option, value)
    assert ok == (ours is None), (option, value, ours, err)


_PIECES = {
    "time": ["", "1", "2", "0", "10", "-", ":", "x", "+1", ".5", "-1"],
    "mem": ["", "1", "2", "0", "G", "M", "K", "B", "b", "x", ".5", "+", "-", "i"],
    "nodes": ["", "1", "2", "0", "-", ",", "x", "+", " "],
    "ntasks": ["", "1", "2", "0", "-", "x", "+", ".", "k"],
}


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    option=st.sampled_from(sorted(_PIECES)),
    pieces=st.lists(st.integers(0, 13), min_size=1, max_size=5),
)
def test_generated_values_agree_with_sbatch(
    cluster: LocalCluster, tmp_path: Path, option: str, pieces: list[int]
) -> None:
    from sbatch_migrate.read.optvalues import problem

    parts = _PIECES[option]
    value = "".join(parts[i % len(parts)] for i in pieces)
    most = {"nodes": 2, "ntasks": 64}.get(option)  # the lab: 2 nodes of 32 CPUs
    if most is not None and any(int(n) > most for n in re.split(r"[^0-9]+", value) if n):
        return  # more than the lab has: a refusal for capacity, not syntax
    quoted = f'"{value}"' if " " in value else value
    ok, err = _accepted(cluster, tmp_path, f"#SBATCH --{option}={quoted}")
    with release(lab_release()):
        ours = problem(option, value)
    assert ok == (ours is None), (option, value, ours, err)


# -- the job's resource model against the controller's own allocation ---------------------
def _ids(spec: str) -> int:
    """How many ids a Slurm id list names (``0-3,16-19`` is 8)."""
    count = 0
    for part in spec.split(","):
        low, _, high = part.partition("-")
        count += int(high) - int(low) + 1 if high else 1
    return count


def _allocation(cluster: LocalCluster, tmp_path: Path, options: list[str]) -> dict[str, int] | str:
    """Run a job with ``options`` on the lab and read what the controller gave it per node
    (``scontrol show job -d``): its nodes, and the most CPUs and GPUs any node got; or the
    reason it was refused."""
    import time

    job = tmp_path / "shape.sh"
    job.write_text("#!/bin/bash\n" + "".join(f"#SBATCH {o}\n" for o in options) + "sleep 60\n")
    p = cluster.sbatch("--parsable", "-o", "/dev/null", str(job), cwd=tmp_path)
    if p.returncode != 0:
        return p.stderr.strip()
    jobid = p.stdout.strip().split(";")[0]
    try:
        detail = ""
        for _ in range(60):
            detail = cluster.scontrol("show", "job", "-d", jobid).stdout
            if "JobState=RUNNING" in detail:
                break
            never = re.search(r"JobState=PENDING Reason=(PartitionConfig|BadConstraints|PartitionNodeLimit)", detail)
            if never:  # accepted, but no node of the partition can ever hold it
                return f"pending for ever: Reason={never.group(1)}: Requested node configuration is not available"
            time.sleep(0.25)
        assert "JobState=RUNNING" in detail, detail
        nodes = int(re.search(r"NumNodes=(\d+)", detail).group(1))  # type: ignore[union-attr]
        cpus = gpus = 0
        for m in re.finditer(r"Nodes=\S+ CPU_IDs=(\S+) Mem=\S+ GRES=(\S*)", detail):
            cpus = max(cpus, _ids(m.group(1)))
            g = re.search(r"gpu(?::\w+)?:(\d+)", m.group(2))
            gpus = max(gpus, int(g.group(1)) if g else 0)
        return {"nodes": nodes, "cpus": cpus, "gpus": gpus}
    finally:
        subprocess.run(["scancel", jobid], env=cluster.env, check=False)
        for _ in range(40):  # the nodes free again before the next job
            if jobid not in cluster.scontrol("show", "job", jobid).stdout or "JobState=CANCELLED" in (
                cluster.scontrol("show", "job", jobid).stdout
            ):
                break
            time.sleep(0.25)


SHAPES = [
    ["--nodes=2", "--ntasks-per-node=8", "--cpus-per-task=4", "--gres=gpu:8"],
    ["--ntasks=2", "--gpus-per-task=1"],  # no --ntasks-per-node: GPUs all the same
    ["--ntasks=4", "--gpus-per-task=3"],
    ["--nodes=1", "--ntasks=4", "--gpus-per-task=2"],
    ["--nodes=2", "--ntasks=9"],
    ["--ntasks=40"],
    ["--ntasks=10", "--cpus-per-task=4"],
    ["--gpus=10"],
    ["--nodes=2", "--gpus=3"],
    ["--gpus=2", "--cpus-per-gpu=4"],
    ["--nodes=1", "--gpus-per-node=8", "--cpus-per-gpu=4"],
    ["--gres=gpu:2", "--mem-per-gpu=10G"],
    ["--cpus-per-task=8"],
    ["--nodes=1", "--mincpus=12"],
    ["--nodes=1-2", "--ntasks-per-node=4"],
    # what no node can hold: refused by the controller, reported by SM501-SM503
    ["--nodes=1", "--ntasks-per-node=56", "--cpus-per-task=1"],
    ["--ntasks-per-node=8", "--cpus-per-task=8"],
    ["--gres=gpu:16"],
    ["--nodes=1", "--gpus=9"],
    ["--nodes=1", "--ntasks=2", "--gpus-per-task=5"],
    ["--cpus-per-task=40"],
    ["--mem=800G"],
    ["--gpus=2", "--cpus-per-gpu=20"],
    # GPU options sbatch refuses together (SM010)
    ["--nodes=2", "--gpus=1"],
    ["--gpus-per-task=1"],
    ["--gpus=3", "--gpus-per-node=2"],
    ["--gpus=1", "--cpus-per-gpu=2", "--cpus-per-task=2"],
    ["--ntasks=2", "--gpus=3", "--gpus-per-task=1"],
    ["--nodes=1", "--gpus=4", "--gpus-per-node=2"],
    ["--gres=gpu:3", "--gpus-per-task=2"],
    ["--gpus-per-socket=1"],
]


@pytest.mark.parametrize("options", SHAPES, ids=lambda o: " ".join(o))
def test_the_resource_model_agrees_with_the_controller(
    cluster: LocalCluster, tmp_path: Path, options: list[str]
) -> None:
    """The lab's nodes are a NodeSet pod of the default profile (32 CPUs, 8 GPUs, 720 GB):
    the job is refused exactly when SM501-SM503 say so; else each per-node figure of the
    model is what the controller gives the busiest node (exact figures) or at most that
    (lower bounds), and GPUs are requested exactly when the job gets some."""
    script = "#!/bin/bash\n" + "".join(f"#SBATCH {o}\n" for o in options) + "sleep 60\n"
    result = migrate(Source.from_bytes(script.encode(), "shape.sh"), load())
    over = {f.code for f in result.findings} & {"SM501", "SM502", "SM503"}
    together = [f for f in result.findings if f.code == "SM010" and "together" in f.message]
    got = _allocation(cluster, tmp_path, options)
    if isinstance(got, str):
        assert over or together, f"{options}: refused ({got}) but no capacity or SM010 finding"
        if together:
            assert any(f.message.split(": ", 1)[1].split(" (")[0][:40] in got for f in together), (together, got)
        else:
            assert "Requested node configuration is not available" in got or "Memory" in got, got
        return
    assert not over, f"{options}: the controller runs it ({got}) but {over} said it cannot"
    assert not together, f"{options}: the controller runs it ({got}) but SM010 said sbatch refuses it"
    job = result.facts.main.job
    assert bool(job.gpus_per_node) == (got["gpus"] > 0), (options, job, got)
    if job.gpus_per_node:
        assert job.gpus_per_node == got["gpus"] if job.gpus_exact else job.gpus_per_node <= got["gpus"], (job, got)
    if job.cpus_per_node:
        assert job.cpus_per_node == got["cpus"] if job.cpus_exact else job.cpus_per_node <= got["cpus"], (job, got)
    if job.nodes:
        assert job.nodes <= got["nodes"], (job, got)


@st.composite
def job_options(draw: st.DrawFn) -> list[str]:
    """A job's resource options as users combine them."""
    out = []
    if draw(st.booleans()):
        out.append(f"--nodes={draw(st.sampled_from(['1', '2', '1-2']))}")
    tasks = draw(st.sampled_from(["", "--ntasks=", "--ntasks-per-node="]))
    if tasks:
        out.append(f"{tasks}{draw(st.sampled_from([1, 2, 4, 9, 16, 33]))}")
    if draw(st.booleans()):
        out.append(f"--cpus-per-task={draw(st.sampled_from([1, 2, 4, 8, 20]))}")
    gpu = draw(st.sampled_from(["", "--gres=gpu:", "--gpus=", "--gpus-per-node=", "--gpus-per-task="]))
    if gpu:
        out.append(f"{gpu}{draw(st.sampled_from([1, 2, 3, 8, 9]))}")
    return out


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(options=job_options())
@example(options=["--nodes=1", "--gpus-per-task=1"])  # found by this test: sbatch's one task per node
@example(options=["--nodes=1-2", "--gpus-per-task=1"])
@example(options=["--nodes=2", "--gpus-per-task=1"])
@example(options=["--ntasks-per-node=1", "--gpus=9"])  # found by this test: one node
@example(options=["--ntasks-per-node=2", "--gpus=9"])  # found by this test: its two tasks may take two nodes
@example(options=["--nodes=1-2", "--ntasks-per-node=1", "--gpus=9"])  # found by this test: one task, one node
@example(options=["--nodes=1-2", "--ntasks-per-node=2", "--gpus=9"])
@example(options=["--nodes=1", "--cpus-per-task=1", "--gpus-per-task=1"])  # found by this test: refused
def test_generated_resource_requests_agree_with_the_controller(
    cluster: LocalCluster, tmp_path: Path, options: list[str]
) -> None:
    values = {o.split("=")[0]: o.split("=")[1] for o in options}
    tasks = int(values.get("--ntasks", values.get("--ntasks-per-node", "1")))
    per_task = int(values.get("--cpus-per-task", "1"))
    if per_task <= 32 and "--ntasks-per-node" not in values and math.ceil(tasks / (32 // per_task)) > 2:
        return  # more nodes than the lab's two: it waits for them (target node counts are issue 16's)
    gpus_per_task = int(values.get("--gpus-per-task", "0"))
    if gpus_per_task and "--ntasks-per-node" not in values and math.ceil(tasks / max(1, 8 // gpus_per_task)) > 2:
        return  # the same for GPUs: 4 tasks of 8 GPUs need 4 of the lab's 8-GPU nodes
    test_the_resource_model_agrees_with_the_controller(cluster, tmp_path, options)


@pytest.mark.parametrize(
    ("variable", "refused"),
    [("SBATCH_GRES=gpu:9", True), ("SBATCH_GRES=gpu:8", False), ("SBATCH_GPUS_PER_NODE=9", True)],
)
def test_sbatch_resource_variables_as_the_real_sbatch_reads_them(
    cluster: LocalCluster, jobdir: Path, variable: str, refused: bool
) -> None:
    """A driver that exports SBATCH_GRES before sbatch: the real sbatch reads it (the lab's
    nodes have 8 GPUs, like the profile's NodeSet).  The job script here asks for no GPU:
    the driver's check does not read the script it submits (with `--gres=gpu:1` in it, the
    real sbatch accepted SBATCH_GPUS_PER_NODE=9: the two options combine)."""
    (jobdir / "job.sh").write_text("#!/bin/bash\n#SBATCH -N 1\nhostname\n")
    name, value = variable.split("=")
    p = cluster.sbatch("--test-only", "job.sh", cwd=jobdir, env={**job_env(jobdir), name: value})
    assert (p.returncode != 0) is refused, p.stderr
    driver = f"#!/bin/bash\nexport {variable}\nsbatch job.sh\n"
    found = [f.code for f in migrate(Source.from_bytes(driver.encode(), "submit.sh"), load()).findings]
    assert ("SM501" in found) is refused, found


# -- cluster snapshot: the lab's own facts ----------------------------------------------
def test_snapshot_reads_the_lab_as_its_slurm_sees_itself(cluster: LocalCluster, tmp_path: Path) -> None:
    out = tmp_path / "lab.json"
    p = _cli(cluster, "cluster", "snapshot", "-o", str(out))
    assert p.returncode == 0, p.stderr
    doc = json.loads(out.read_text())
    version = subprocess.run(["scontrol", "--version"], capture_output=True, text=True, env=cluster.env).stdout
    assert doc["slurm_version"] and doc["slurm_version"] in version
    [part] = [x for x in doc["partitions"] if x["name"] == "slinky"]
    assert part["total_nodes"] == 2 and part["default"] is True
    names = sorted(n["name"] for n in doc["nodes"])
    assert names == ["slinky-0", "slinky-1"]
    for node in doc["nodes"]:
        assert node["gres"] == [{"name": "gpu", "type": None, "count": 8}]
        assert node["cpus"] and node["memory_mb"] and "slinky" in node["partitions"]
    assert doc["gres_types"] == ["gpu"]
    assert any(lack.startswith("qos:") for lack in doc["lacks"])  # the lab runs no accounting
    # the same outputs saved by an admin, named as they like: the same facts
    dumps = tmp_path / "dumps"
    dumps.mkdir()
    for name, argv in {
        "a.txt": ["scontrol", "show", "node", "-o"],
        "conf": ["scontrol", "show", "config"],
        "parts.out": ["scontrol", "show", "partition", "-o"],
    }.items():
        text = subprocess.run(argv, capture_output=True, text=True, env=cluster.env, check=True).stdout
        (dumps / name).write_text(text)
    (dumps / "notes.md").write_text("# what I ran\n")
    p = _cli(cluster, "cluster", "snapshot", "--from-folder", str(dumps))
    assert p.returncode == 0, p.stderr
    again = json.loads(p.stdout)
    for key in ("slurm_version", "partitions", "gres_types", "cluster"):
        assert again[key] == doc[key], key
    assert [n["name"] for n in again["nodes"]] == [n["name"] for n in doc["nodes"]]


def test_snapshot_says_in_one_line_when_slurm_cannot_be_read(cluster: LocalCluster, tmp_path: Path) -> None:
    conf = tmp_path / "slurm.conf"
    text = cluster.conf.read_text()
    conf.write_text(re.sub(r"SlurmctldPort=\d+", "SlurmctldPort=1", text))  # nothing listens there
    env = {**cluster.env, "SLURM_CONF": str(conf)}
    p = subprocess.run(
        [sys.executable, "-m", "sbatch_migrate", "cluster", "snapshot"],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert p.returncode == 2 and len(p.stderr.strip().splitlines()) == 1, p.stderr
    assert "no Slurm controller answered" in p.stderr or "failed" in p.stderr
    p = _cli(cluster, "cluster", "snapshot", path="/nonexistent")
    assert p.returncode == 2 and "scontrol is not installed here" in p.stderr
    empty = tmp_path / "empty"
    empty.mkdir()
    p = _cli(cluster, "cluster", "snapshot", "--from-folder", str(empty))
    assert p.returncode == 2 and "no output of `scontrol show config`" in p.stderr


def test_profile_init_from_a_twcc_folder_and_the_lab_gives_scripts_the_lab_accepts(
    cluster: LocalCluster, tmp_path: Path, jobdir: Path
) -> None:
    from .test_snapshot import TWCC_CONFIG, TWCC_NODES, TWCC_PARTITIONS

    old = tmp_path / "twcc-dumps"
    old.mkdir()
    (old / "show-config.txt").write_text(TWCC_CONFIG)
    (old / "partitions").write_text(TWCC_PARTITIONS)
    (old / "nodes.log").write_text(TWCC_NODES)
    lab = tmp_path / "lab.json"
    assert _cli(cluster, "cluster", "snapshot", "-o", str(lab)).returncode == 0
    site = tmp_path / "site.toml"
    p = _cli(cluster, "profile", "init", "--from", str(old), "--to", str(lab), "-o", str(site))
    assert p.returncode == 0, p.stderr
    job = jobdir / "job.sh"
    job.write_text("#!/bin/bash\n#SBATCH -p gp1d\n#SBATCH --gres=gpu:2\nsrun hostname\n")
    p = _cli(cluster, "--profile", str(site), "-o", str(jobdir / "new.sh"), str(job))
    assert p.returncode == 0, p.stderr
    assert "#SBATCH -p slinky" in (jobdir / "new.sh").read_text()
    assert "SM103" in p.stderr and "1-00:00:00" in p.stderr  # gp1d's real MaxTime, from its snapshot
    t = cluster.sbatch("--test-only", "new.sh", cwd=jobdir, env=job_env(jobdir))
    assert t.returncode == 0, t.stderr


TARGET_CASES = [
    "-w gn1201",
    "-x gn1201",
    "-w slinky-0",
    "-x slinky-1",
    "--constraint=v100",
    "--constraint=ntasks-per-node=4",
    "--gres=gpu:v100:1",
    "--gpus=v100:1",
    "--gres=gpu:1",
    "-N 3",
    "-N 2",
]


def test_target_aware_rules_agree_with_the_lab(cluster: LocalCluster, tmp_path: Path, jobdir: Path) -> None:
    """A profile made from the lab's own snapshot: a finding of SM505-SM508 exactly where the
    lab's sbatch refuses the job."""
    from sbatch_migrate.profile import load as load_profile

    from .test_snapshot import TWCC_CONFIG, TWCC_NODES, TWCC_PARTITIONS

    old = tmp_path / "twcc"
    old.mkdir()
    for name, text in {"c": TWCC_CONFIG, "p": TWCC_PARTITIONS, "n": TWCC_NODES}.items():
        (old / name).write_text(text)
    lab = tmp_path / "lab.json"
    assert _cli(cluster, "cluster", "snapshot", "-o", str(lab)).returncode == 0
    site = tmp_path / "site.toml"
    assert _cli(cluster, "profile", "init", "--from", str(old), "--to", str(lab), "-o", str(site)).returncode == 0
    profile = load_profile(str(site))
    disagree = []
    for directive in TARGET_CASES:
        text = f"#!/bin/bash\n#SBATCH -p slinky\n#SBATCH {directive}\nhostname\n"
        (jobdir / "job.sh").write_text(text)
        refused = cluster.sbatch("--test-only", "job.sh", cwd=jobdir, env=job_env(jobdir)).returncode != 0
        with release(lab_release()):
            found = {f.code for f in migrate(Source.from_bytes(text.encode(), "job.sh"), profile).findings}
        flagged = bool(found & {"SM505", "SM506", "SM507", "SM508"})
        if flagged != refused:
            disagree.append((directive, refused, sorted(found)))
    assert not disagree, disagree


# -- the transitional job_submit.lua on a real slurmctld ---------------------------------
@contextlib.contextmanager
def lua_lab(root: Path, *flags: str) -> Iterator[LocalCluster]:
    """A second lab whose slurmctld runs the generated job_submit.lua (beside slurm.conf)."""
    p = subprocess.run(
        [sys.executable, "-m", "sbatch_migrate", "job-submit-lua", *flags, "-o", str(root / "job_submit.lua")],
        capture_output=True,
        text=True,
        check=False,
    )
    assert p.returncode == 0, p.stderr
    c = LocalCluster(root, extra=("JobSubmitPlugins=lua",))
    try:
        c.start()
        yield c
    finally:
        c.stop()


@pytest.fixture(scope="module")
def lua_cluster(tmp_path_factory: pytest.TempPathFactory):  # type: ignore[no-untyped-def]
    with lua_lab(tmp_path_factory.mktemp("slurm-lua")) as c:
        yield c


@pytest.mark.parametrize(
    ("directives", "partition", "minutes", "told"),
    [
        ("-p gp1d", "slinky", 1440, "partition gp1d is now slinky"),  # and gp1d's day, as TWCC gave it
        ("-p gp4d -t 30", "slinky", 30, "partition gp4d is now slinky"),  # the job's own --time stays
        ("-p gtest,gp2d", "slinky", 2880, "partition gtest,gp2d is now slinky"),
        ("-p slinky", "slinky", None, None),  # a migrated script: nothing said
    ],
)
def test_job_submit_lua_keeps_old_partitions_working_and_tells_the_user(
    lua_cluster: LocalCluster, jobdir: Path, directives: str, partition: str, minutes: int | None, told: str | None
) -> None:
    (jobdir / "job.sh").write_text(f"#!/bin/bash\n#SBATCH {directives}\nmodule load singularity\nhostname\n")
    p = lua_cluster.sbatch("--hold", "--parsable", "job.sh", cwd=jobdir, env=job_env(jobdir))
    assert p.returncode == 0, p.stderr
    job = p.stdout.strip().split(";")[0]
    shown = lua_cluster.scontrol("show", "job", job, "-o").stdout
    assert f"Partition={partition} " in shown
    if minutes is not None:
        limit = re.search(r"TimeLimit=(\S+)", shown)
        assert limit is not None
        h = {1440: "1-00:00:00", 30: "00:30:00", 2880: "2-00:00:00"}[minutes]
        assert limit.group(1) == h, shown
    if told is not None:
        assert told in p.stderr and "sbatch-migrate job.sh" in p.stderr
    else:
        assert "is now" not in p.stderr
    assert "sbatch-migrate SM201 `module load singularity`" in p.stderr  # told of the module line too, by code


def test_job_submit_lua_strict_mode_refuses_unmigrated_jobs_with_the_message(
    tmp_path_factory: pytest.TempPathFactory, jobdir: Path
) -> None:
    with lua_lab(tmp_path_factory.mktemp("slurm-lua-strict"), "--reject-unmigrated") as c:
        (jobdir / "old.sh").write_text("#!/bin/bash\n#SBATCH -p gtest\nhostname\n")
        (jobdir / "new.sh").write_text("#!/bin/bash\n#SBATCH -p slinky\nhostname\n")
        old = c.sbatch("--test-only", "old.sh", cwd=jobdir, env=job_env(jobdir))
        assert old.returncode != 0
        assert "partition gtest is gone: use -p slinky (sbatch-migrate job.sh migrates the script)" in old.stderr
        new = c.sbatch("--test-only", "new.sh", cwd=jobdir, env=job_env(jobdir))
        assert new.returncode == 0, new.stderr
