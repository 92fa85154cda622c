"""Migration day, end to end on two real Slurm labs side by side: an old one shaped like
TWCC (gtest/gp1d/gp2d/gp4d with their limits, V100-typed GRES, node features) and a new
one shaped like the Slinky cluster (one NodeSet partition, MaxTime two days, untyped GRES,
JobSubmitPlugins=lua).

Each is read with ``cluster snapshot``; ``profile init`` makes the profile from both; the
target-aware rules are held against what the new cluster's own slurmctld does with each
migrated script; the generated ``job_submit.lua``, loaded by the new slurmctld, keeps the
unmigrated seed script working and tells the user, and its strict mode refuses it.
"""

from __future__ import annotations

import dataclasses
import json
import os
import re
import subprocess
import sys
import time
import tomllib
from pathlib import Path

import pytest

from sbatch_migrate.fix.engine import migrate
from sbatch_migrate.profile import load
from sbatch_migrate.read.options import release
from sbatch_migrate.read.source import Source

from .slurm_cluster import SEED, SLINKY, TWCC, LocalCluster, job_env, lab_release, missing_requirements

_why = missing_requirements()
pytestmark = pytest.mark.skipif(_why is not None, reason=_why or "")

# the new cluster: the Slinky lab with a two-day MaxTime on its partition
NEW = dataclasses.replace(
    SLINKY, partitions=("PartitionName=slinky Nodes=slinky-[0-1] Default=YES MaxTime=2-00:00:00 State=UP",)
)
PASS_THROUGH = (
    "function slurm_job_submit(job_desc, part_list, submit_uid) return slurm.SUCCESS end\n"
    "function slurm_job_modify(job_desc, job_rec, part_list, modify_uid) return slurm.SUCCESS end\n"
    "return slurm.SUCCESS\n"
)
TARGET_CODES = {"SM505", "SM506", "SM507", "SM508", "SM509", "SM510"}


class Labs:
    def __init__(self, root: Path):
        (root / "new").mkdir()
        (root / "old").mkdir()
        (root / "new" / "job_submit.lua").write_text(PASS_THROUGH)
        self.old = LocalCluster(root / "old", shape=TWCC)
        self.new = LocalCluster(root / "new", extra=("JobSubmitPlugins=lua",), shape=NEW)
        self.root = root

    def cli(self, lab: LocalCluster | None, *args: str) -> subprocess.CompletedProcess[str]:
        env = (lab or self.new).env
        return subprocess.run(
            [sys.executable, "-m", "sbatch_migrate", *args], env=env, capture_output=True, text=True, timeout=120
        )

    def install_lua(self, *flags: str) -> str:
        """The generated job_submit.lua in place of the new lab's (job_submit/lua reloads a
        script whose mtime changed)."""
        target = self.new.root / "job_submit.lua"
        before = target.stat().st_mtime
        p = self.cli(None, "job-submit-lua", "--profile", str(self.site), *flags, "-o", str(target))
        assert p.returncode == 0, p.stderr
        later = max(time.time(), before + 1)  # st_mtime is compared in whole seconds
        os.utime(target, (later, later))
        return target.read_text()

    @property
    def site(self) -> Path:
        return self.root / "site.toml"


@pytest.fixture(scope="module")
def labs(tmp_path_factory: pytest.TempPathFactory):  # type: ignore[no-untyped-def]
    lab = Labs(tmp_path_factory.mktemp("migration-day"))
    try:
        lab.old.start()
        lab.new.start()
        for name, cluster in (("old", lab.old), ("new", lab.new)):
            p = lab.cli(cluster, "cluster", "snapshot", "-o", str(lab.root / f"{name}.json"))
            assert p.returncode == 0, p.stderr
        p = lab.cli(
            None, "profile", "init", "--from", str(lab.root / "old.json"), "--to", str(lab.root / "new.json"),
            "-o", str(lab.site),
        )  # fmt: skip
        assert p.returncode == 0, p.stderr
        yield lab
    finally:
        lab.new.stop()
        lab.old.stop()


def test_the_profile_is_learned_from_both_clusters(labs: Labs) -> None:
    doc = tomllib.loads(labs.site.read_text())
    parts = doc["partitions"]
    assert parts["map"] == {"gtest": "slinky", "gp1d": "slinky", "gp2d": "slinky", "gp4d": "slinky"}
    # the old partitions' own MaxTime, as the old slurmctld reports them
    assert parts["implicit_time"] == {
        "gtest": "00:30:00",
        "gp1d": "1-00:00:00",
        "gp2d": "2-00:00:00",
        "gp4d": "4-00:00:00",
    }
    target = doc["target"]
    assert target["partitions"] == {"slinky": {"max_time": "2-00:00:00"}}
    assert (target["nodes"], target["node_count"], target["gpu_types"]) == (["slinky-0", "slinky-1"], 2, [])
    assert target["accounting"] is False and target["enforce_part_limits"] is False
    assert doc["nodeset"]["gpus_per_node"] == 8 and doc["nodeset"]["cpus_per_node"] == 32
    assert "slinky's MaxTime 2-00:00:00 is shorter than gp4d's 4-00:00:00" in labs.site.read_text()
    old = json.loads((labs.root / "old.json").read_text())
    gn = next(n for n in old["nodes"] if n["name"] == "gn1201")
    assert gn["gres"] == [{"name": "gpu", "type": "v100", "count": 8}] and gn["features"] == ["v100", "ib"]


def _fate(cluster: LocalCluster, jobdir: Path, text: str) -> str:
    """What the cluster does with the script: "refused" at submission, "stuck" (accepted but
    pending for a partition limit: it never starts), or "runs"."""
    (jobdir / "job.sh").write_text(text)
    p = cluster.sbatch("--parsable", "job.sh", cwd=jobdir, env=job_env(jobdir))
    if p.returncode != 0:
        return "refused"
    job = p.stdout.strip().split(";")[0]
    try:
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            shown = cluster.scontrol("show", "job", job, "-o").stdout
            state = re.search(r"JobState=(\S+)", shown)
            reason = re.search(r"Reason=(\S+)", shown)
            if state and state.group(1) != "PENDING":
                return "runs"
            if reason and reason.group(1) in ("PartitionTimeLimit", "PartitionNodeLimit"):
                return "stuck"
            time.sleep(0.5)
        return f"pending: {shown}"
    finally:
        subprocess.run(["scancel", job], env=cluster.env, check=False)


# scripts the old cluster accepts (each is checked there first), as TWCC users wrote them
OLD_SCRIPTS = [
    "-p gtest --gres=gpu:8",
    "-p gtest --gres=gpu:v100:1",
    "-p gp1d --constraint=v100",
    "-p gp1d -w gn1201",
    "-p gp1d -N 2 --gres=gpu:1",
    "-p gp2d -t 2-00:00:00",
    "-p gp4d -t 4-00:00:00",
    "-p gp4d -t 3-00:00:00 --gpus=1",
    "-p gp4d -t 36:00:00",
    "-p gp1d --gpus=v100:2",
]


@pytest.mark.parametrize("directives", OLD_SCRIPTS)
def test_a_target_aware_finding_exactly_where_the_new_cluster_refuses_or_strands_the_job(
    labs: Labs, jobdir: Path, directives: str
) -> None:
    text = "#!/bin/bash\n" + "".join(f"#SBATCH {d}\n" for d in _split(directives)) + "sleep 1\n"
    assert _fate(labs.old, jobdir, text) == "runs"  # a real old-cluster script
    with release(lab_release()):
        result = migrate(Source.from_bytes(text.encode(), "job.sh"), load(str(labs.site)))
    flagged = sorted({f.code for f in result.findings} & TARGET_CODES)
    fate = _fate(labs.new, jobdir, result.output.decode())
    assert fate in ("refused", "stuck", "runs"), fate
    assert bool(flagged) == (fate != "runs"), (directives, fate, flagged, result.output.decode())


def _split(directives: str) -> list[str]:
    out: list[str] = []
    for word in directives.split():
        if out and not word.startswith("-"):
            out[-1] += " " + word
        else:
            out.append(word)
    return out


def test_minus_m_is_refused_by_a_cluster_without_slurmdbd_and_flagged(labs: Labs, jobdir: Path) -> None:
    text = "#!/bin/bash\n#SBATCH -p slinky\n#SBATCH -M twcc\nsleep 1\n"
    with release(lab_release()):
        found = {f.code for f in migrate(Source.from_bytes(text.encode(), "job.sh"), load(str(labs.site))).findings}
    assert "SM510" in found
    assert _fate(labs.new, jobdir, text) == "refused"


def test_the_lua_keeps_the_unmigrated_seed_working_and_tells_the_user_by_rule_code(labs: Labs, jobdir: Path) -> None:
    labs.install_lua()
    (jobdir / "seed.sh").write_bytes(SEED.read_bytes())
    p = labs.new.sbatch("--hold", "--parsable", "seed.sh", cwd=jobdir, env=job_env(jobdir))
    assert p.returncode == 0, p.stderr
    job = p.stdout.strip().split(";")[0]
    shown = labs.new.scontrol("show", "job", job, "-o").stdout
    subprocess.run(["scancel", job], env=labs.new.env, check=False)
    assert "Partition=slinky " in shown and "TimeLimit=00:10:00" in shown  # its own --time stays
    said = p.stderr
    assert "partition gtest is now slinky" in said and "sbatch-migrate job.sh" in said
    for code in ("SM201", "SM202", "SM301"):  # module load singularity, module purge, UCX_*
        assert f"sbatch-migrate {code} " in said, (code, said)
    assert "SM303" not in said  # NCCL_DEBUG is only a note
    assert "SM601" not in said  # its image is on /work/TWCC_cntr, which the profile mounts
    # a gp4d job without --time: its 4 days capped at the new partition's 2-day MaxTime,
    # and a home folder path the profile's mounts do not cover
    (jobdir / "long.sh").write_text(
        "#!/bin/bash\n#SBATCH -p gp4d\nmodule load cuda/11.8\nsingularity exec /home/u1/img.sif true\n"
    )
    p = labs.new.sbatch("--hold", "--parsable", "long.sh", cwd=jobdir, env=job_env(jobdir))
    assert p.returncode == 0, p.stderr
    job = p.stdout.strip().split(";")[0]
    shown = labs.new.scontrol("show", "job", job, "-o").stdout
    subprocess.run(["scancel", job], env=labs.new.env, check=False)
    assert "TimeLimit=2-00:00:00" in shown, shown
    assert "gp4d gave 5760 minutes, slinky allows at most 2880" in p.stderr
    assert "sbatch-migrate SM203 `module load cuda/11.8`" in p.stderr
    assert "sbatch-migrate SM601 /home/u1/img.sif: not mounted in the pods" in p.stderr


def test_the_strict_lua_refuses_unmigrated_jobs_with_the_message(labs: Labs, jobdir: Path) -> None:
    labs.install_lua("--reject-unmigrated")
    try:
        (jobdir / "seed.sh").write_bytes(SEED.read_bytes())
        p = labs.new.sbatch("--test-only", "seed.sh", cwd=jobdir, env=job_env(jobdir))
        assert p.returncode != 0
        assert "partition gtest is gone: use -p slinky (sbatch-migrate job.sh migrates the script)" in p.stderr
        # migrated, but still loading a module: refused for it, by its code
        (jobdir / "mod.sh").write_text("#!/bin/bash\n#SBATCH -p slinky\nmodule load cuda\nhostname\n")
        p = labs.new.sbatch("--test-only", "mod.sh", cwd=jobdir, env=job_env(jobdir))
        assert p.returncode != 0 and "sbatch-migrate SM203 `module load cuda`" in p.stderr, p.stderr
        # fabric variables are only warned of, even here
        (jobdir / "ok.sh").write_text("#!/bin/bash\n#SBATCH -p slinky\nexport UCX_TLS=rc\nhostname\n")
        p = labs.new.sbatch("--test-only", "ok.sh", cwd=jobdir, env=job_env(jobdir))
        assert p.returncode == 0 and "sbatch-migrate SM301 UCX_TLS" in p.stderr, p.stderr
    finally:
        labs.install_lua()
