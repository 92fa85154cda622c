"""The real tools, after migration, on the local Slurm shaped like the new cluster: each
loads the migrated config and its jobs reach the new partition (and before migration the
same submission is refused).  dask-jobqueue writes the job script from the migrated YAML;
submitit submits from the migrated Python; Snakemake's own Slurm executor submits with the
migrated profile (in a venv of its own: its `packaging` pin conflicts with pre-commit's)."""

from __future__ import annotations

import copy
import os
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

from sbatch_migrate.fix.engine import migrate
from sbatch_migrate.profile import load
from sbatch_migrate.read.source import Source

from .conftest import ROOT
from .slurm_cluster import LocalCluster, missing_requirements

_why = missing_requirements()
pytestmark = pytest.mark.skipif(_why is not None, reason=_why or "")
CORPUS = ROOT / "corpus"


def migrated(text: str, path: str) -> str:
    return migrate(Source.from_bytes(text.encode(), path), load()).output.decode()


def test_dask_jobqueue_writes_a_job_script_the_new_cluster_accepts(cluster: LocalCluster, tmp_path: Path) -> None:
    dask = pytest.importorskip("dask")
    pytest.importorskip("dask_jobqueue")
    import yaml
    from dask_jobqueue.slurm import SLURMJob

    original = (CORPUS / "dask_jobqueue_yaml" / "input.yaml").read_text()
    outcomes = {}
    for name, text in (("before", original), ("after", migrated(original, "/h/.config/dask/jobqueue.yaml"))):
        saved = copy.deepcopy(dask.config.config)
        try:  # the user's file over dask-jobqueue's defaults, as dask reads ~/.config/dask
            dask.config.update(dask.config.config, yaml.safe_load(text), priority="new")
            script = SLURMJob(scheduler="tcp://127.0.0.1:8786", name="w", config_name="slurm").job_script()
        finally:
            dask.config.config.clear()
            dask.config.config.update(saved)
        job = tmp_path / f"{name}.sh"
        job.write_text(script)
        outcomes[name] = (script, cluster.sbatch("--test-only", str(job), cwd=tmp_path))
    script, p = outcomes["after"]
    assert p.returncode == 0 and "in partition slinky" in p.stderr, p.stderr
    assert "#SBATCH -p slinky" in script and "module load singularity" not in script
    script, p = outcomes["before"]
    assert p.returncode != 0 and "invalid partition" in p.stderr.lower(), p.stderr


SUBMITIT = """import sys
import submitit

def hello(x):
    import os
    return f"{x} on {os.environ['SLURMD_NODENAME']} in {os.environ['SLURM_JOB_PARTITION']}"

executor = submitit.AutoExecutor(folder=sys.argv[1])
executor.update_parameters(slurm_partition="gp1d", timeout_min=2, cpus_per_task=1)
job = executor.submit(hello, "done")
print("JOB", job.job_id, flush=True)
print(job.result(), flush=True)
"""


def test_submitit_submits_the_migrated_script_to_the_new_partition(cluster: LocalCluster, tmp_path: Path) -> None:
    pytest.importorskip("submitit")
    after = migrated(SUBMITIT, "/h/train.py")
    assert 'slurm_partition="slinky"' in after
    env = {**cluster.env, "PATH": f"{Path(sys.executable).parent}:{os.environ.get('PATH', '')}"}
    for name, text, ok in (("after", after, True), ("before", SUBMITIT, False)):
        script = tmp_path / f"{name}.py"
        script.write_text(text)
        p = subprocess.run(
            [sys.executable, str(script), str(tmp_path / f"logs-{name}")],
            capture_output=True, text=True, env=env, timeout=180, cwd=tmp_path,
        )  # fmt: skip
        if ok:
            assert p.returncode == 0, p.stderr[-2000:]
            assert re.search(r"done on slinky-\d in slinky", p.stdout), p.stdout
        else:
            assert p.returncode != 0 and "invalid partition" in (p.stdout + p.stderr).lower()


def _tools_snakemake() -> str | None:
    found = ROOT / ".venv-tools" / "bin" / "snakemake"
    return str(found) if found.is_file() else shutil.which("snakemake")


def test_snakemakes_slurm_executor_submits_with_the_migrated_profile(cluster: LocalCluster, tmp_path: Path) -> None:
    snakemake = _tools_snakemake()
    if snakemake is None:
        pytest.skip("snakemake with its Slurm executor is not installed (scripts/test.sh makes .venv-tools)")
    original = (CORPUS / "snakemake_profile" / "input.yaml").read_text()
    original = original.replace("use-singularity: true", "use-singularity: false")
    original = "\n".join(line for line in original.splitlines() if "singularity-args" not in line) + "\n"
    for name, text in (("before", original), ("after", migrated(original, "/h/profiles/twcc/config.yaml"))):
        work = tmp_path / name
        (work / "profiles" / "twcc").mkdir(parents=True)
        (work / "profiles" / "twcc" / "config.yaml").write_text(text)
        (work / "Snakefile").write_text(
            'rule all:\n    input: "out.txt"\n\nrule hello:\n    output: "out.txt"\n    resources: runtime=5\n'
            '    shell: "hostname > {output}"\n'
        )
        env = {**cluster.env, "PATH": f"{Path(snakemake).parent}:{os.environ.get('PATH', '')}"}
        log = work / "snakemake.log"
        with open(log, "w") as out:
            proc = subprocess.Popen(
                [snakemake, "--profile", "profiles/twcc", "-j", "1", "--latency-wait", "5"],
                cwd=work, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True,
            )  # fmt: skip
            try:
                job = None
                deadline = time.monotonic() + 120
                while time.monotonic() < deadline and proc.poll() is None:
                    m = re.search(r"submitted with SLURM jobid (\d+)", log.read_text())
                    if m:
                        job = m.group(1)
                        break
                    time.sleep(0.5)
            finally:
                if proc.poll() is None:  # it waits for its job: enough seen, stop it
                    os.killpg(proc.pid, 9)
                proc.wait(timeout=30)
        said = log.read_text()
        if name == "after":
            assert job is not None, said[-3000:]
            shown = cluster.scontrol("show", "job", job, "-o").stdout
            subprocess.run(["scancel", job], env=cluster.env, check=False)
            assert "Partition=slinky " in shown, shown
        else:
            assert job is None and "invalid partition" in said.lower(), said[-3000:]


def _tools_python(module: str) -> str:
    """The tools venv's Python when it has ``module`` (scripts/test.sh makes it), else skip."""
    python = ROOT / ".venv-tools" / "bin" / "python"
    if not python.is_file():
        pytest.skip("the tools venv is not there (scripts/test.sh makes .venv-tools)")
    probe = subprocess.run([str(python), "-c", f"import {module}"], capture_output=True, check=False)
    if probe.returncode != 0:
        pytest.skip(f"{module} is not installed in .venv-tools")
    return str(python)


PARSL = """import os
import sys

from parsl.providers import SlurmProvider

provider = SlurmProvider(
    partition="gp2d",
    nodes_per_block=1,
    init_blocks=0,
    walltime="00:05:00",
    scheduler_options="#SBATCH --gres=gpu:1",
    worker_init="module load singularity",
)
provider.script_dir = sys.argv[1]
print("JOB", provider.submit("hostname", tasks_per_node=1, job_name="parsl.test"), flush=True)
"""


def test_parsl_submits_from_the_migrated_provider_to_the_new_partition(cluster: LocalCluster, tmp_path: Path) -> None:
    python = _tools_python("parsl")
    after = migrated(PARSL, "/h/parsl_config.py")
    assert 'partition="slinky"' in after and 'worker_init=""' in after  # the module line goes
    for name, text in (("after", after), ("before", PARSL)):
        script = tmp_path / f"{name}.py"
        script.write_text(text)
        (tmp_path / name).mkdir()
        p = subprocess.run(
            [python, str(script), str(tmp_path / name)], capture_output=True, text=True, env=cluster.env, timeout=120
        )
        if name == "after":
            m = re.search(r"JOB (\d+)", p.stdout)
            assert m is not None, p.stderr[-2000:]
            shown = cluster.scontrol("show", "job", m.group(1), "-o").stdout
            subprocess.run(["scancel", m.group(1)], env=cluster.env, check=False)
            assert "Partition=slinky " in shown, shown
        else:
            assert p.returncode != 0 and "invalid partition specified: gp2d" in p.stderr, p.stderr[-2000:]


def test_hydras_submitit_launcher_runs_the_migrated_config_in_the_new_partition(
    cluster: LocalCluster, tmp_path: Path
) -> None:
    python = _tools_python("hydra_plugins.hydra_submitit_launcher")
    config = (CORPUS / "hydra_submitit" / "input.yaml").read_text().replace("timeout_min: 1440", "timeout_min: 5")
    app = (
        "import os\nimport hydra\n\n\n"
        '@hydra.main(version_base=None, config_path="conf", config_name="config")\n'
        "def main(cfg):\n"
        '    print("ran in", os.environ.get("SLURM_JOB_PARTITION"))\n\n\n'
        'if __name__ == "__main__":\n    main()\n'
    )
    for name, text in (("after", migrated(config, "/h/conf/hydra/launcher/twcc.yaml")), ("before", config)):
        work = tmp_path / name
        (work / "conf" / "hydra" / "launcher").mkdir(parents=True)
        (work / "conf" / "config.yaml").write_text("x: 1\n")
        (work / "conf" / "hydra" / "launcher" / "twcc.yaml").write_text(text)
        (work / "my_app.py").write_text(app)
        env = {**cluster.env, "PATH": f"{Path(python).parent}:{os.environ.get('PATH', '')}"}
        p = subprocess.run(
            [python, "my_app.py", "-m", "hydra/launcher=twcc", "x=1"],
            cwd=work, capture_output=True, text=True, env=env, timeout=180,
        )  # fmt: skip
        logs = "".join(f.read_text(errors="replace") for f in work.rglob("*_log.out"))
        if name == "after":
            assert p.returncode == 0, (p.stdout + p.stderr)[-3000:]
            assert "ran in slinky" in logs, logs[-2000:]
        else:
            assert p.returncode != 0 and "invalid partition" in (p.stdout + p.stderr).lower()
