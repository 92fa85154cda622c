"""SM501-SM504: requests against the NodeSet's capacity; SM601: paths the pod does not mount."""

from __future__ import annotations

import pytest

from sbatch_migrate.model.jobshape import gres_gpus, shape
from sbatch_migrate.read.directives import scan

from .conftest import codes, run


@pytest.mark.parametrize(
    ("value", "gpus"),
    [("gpu:8", 8), ("gpu:v100:4", 4), ("gpu", 1), ("gpu:2,mps:100", 2), ("mps:100", None), ("gpu:1(S:0)", 1)],
)
def test_gres_gpus(value: str, gpus: int | None) -> None:
    assert gres_gpus(value) == gpus


@pytest.mark.parametrize(
    ("directives", "gpus", "cpus", "mem_gb"),
    [
        ("--nodes=2 --ntasks-per-node=8 --cpus-per-task=4 --gres=gpu:8", 8, 32, None),
        ("--nodes=2 --gpus=16", 8, None, None),
        ("--gpus-per-node=v100:4 --mem=360G", 4, None, 360),
        ("--ntasks-per-node=2 --gpus-per-task=2 --mem-per-gpu=90G", 4, 2, 360),
        ("--nodes=2 --ntasks=16 --mem-per-cpu=22G", None, 8, 176),
    ],
)
def test_shape(directives: str, gpus: int | None, cpus: int | None, mem_gb: int | None) -> None:
    job = shape(scan(f"#!/bin/bash\n#SBATCH {directives}\n".encode()))
    assert job.gpus_per_node == gpus
    assert job.cpus_per_node == cpus
    assert (job.mem_per_node_mb // 1024 if job.mem_per_node_mb else None) == mem_gb


@pytest.mark.parametrize(
    ("directives", "code"),
    [
        ("--gres=gpu:16", "SM501"),
        ("--nodes=1 --gpus=9", "SM501"),
        ("--ntasks-per-node=8 --cpus-per-task=8", "SM502"),
        ("--mem=1000G", "SM503"),
    ],
)
def test_over_capacity(directives: str, code: str) -> None:
    assert code in codes(run(f"#!/bin/bash\n#SBATCH {directives}\nhostname\n"))


@pytest.mark.parametrize(
    "directives", ["--gres=gpu:8 --ntasks-per-node=8 --cpus-per-task=4 --mem=720G", "--nodes=2 --gpus=16"]
)
def test_within_capacity(directives: str) -> None:
    assert codes(run(f"#!/bin/bash\n#SBATCH {directives}\nhostname\n")) == []


def test_nv_without_gpu() -> None:
    script = "#!/bin/bash\n#SBATCH -N 1\nsrun singularity exec --nv a.sif nvidia-smi\n"
    assert "SM504" in codes(run(script))
    assert "SM504" not in codes(run(script.replace("-N 1", "-N 1 --gres=gpu:1")))
    assert "SM504" not in codes(run(script.replace("srun ", "srun --gpus-per-node=1 ")))
    assert "SM504" not in codes(run(script.replace("--nv ", "")))


@pytest.mark.parametrize(
    ("text", "paths"),
    [
        ("srun singularity exec --nv /work/u1/a.sif x\n", ["/work/u1/a.sif (image)"]),
        ("srun singularity exec -B /home/u2/data:/data /work/TWCC_cntr/a.sif x\n", ["/home/u2/data (bind)"]),
        ("cd /work/u1/run\n", ["/work/u1/run (cd)"]),
        ("#SBATCH -o /work/u1/logs/%j.out\n", ["/work/u1/logs (#SBATCH -o)"]),
        ("python train.py --data /work/u1/set\n", ["/work/u1/set (argument)"]),
        ("D=/work/u1\npython train.py --data $D/set\n", ["/work/u1/set (argument)"]),
        # the folder is known whatever the variable holds
        ("Rscript x.R /work/u1/figi_${exposure}.rds\n", ["/work/u1 (argument)"]),
        ('python t.py "/home/u2/$RUN/out"\n', ["/home/u2 (argument)"]),
        # mounted, or where nothing says which folder
        ("srun singularity exec /work/TWCC_cntr/a.sif x /work/users/u1/in_$i\n", []),
        ("python t.py /work/$USER/x $OUT/y\n", []),
        # the part before the first variable is a folder the job uses
        ("cd /work/u1/$X\n", ["/work/u1 (cd)"]),
        ("srun singularity exec -B /work/u1/$X:/data /work/TWCC_cntr/a.sif x\n", ["/work/u1 (bind)"]),
        # a bind whose source holds a variable is split at the right `:` (the image is read)
        (
            "srun singularity exec -B /work/u1/$SLURM_JOB_ID:/tmp /work/u2/a.sif x\n",
            ["/work/u2/a.sif (image)", "/work/u1 (bind)"],
        ),
        (
            "singularity exec -B ${SCRATCH:-/work/u3/s}:/scratch /work/TWCC_cntr/a.sif x\n",
            ["/work/u3/s (bind, when its variable is not set)"],
        ),
        # a default is a path the job uses when the variable is not set
        ('ROOT="${ROOT:-/work/u1/run}"\ncd "$ROOT"\n', ["/work/u1/run (cd, when its variables are not set)"]),
        # redirections
        ("python a.py > /work/u4/out.log\n", ["/work/u4 (redirect >)"]),
        (
            "W=/home/u5\npython a.py 2>> $W/err.txt < /home/u6/in.txt\n",
            ["/home/u5 (redirect >>)", "/home/u6/in.txt (redirect <)"],
        ),
        # a program run from a host path, written or through a variable
        ("/home/u1/bin/tool arg\n", ["/home/u1/bin/tool (command)"]),
        ("cd build && /work/u2/local/bin/cmake ..\n", ["/work/u2/local/bin/cmake (command)"]),
        (
            "PYTHON=/home/u3/.conda/envs/x/bin/python\n$PYTHON train.py\n",
            ["/home/u3/.conda/envs/x/bin/python (command)"],
        ),
        # the folder the mounts sit in exists in the pod
        ("srun singularity exec -B /work:/work /work/TWCC_cntr/a.sif x\n", []),
        ("cd /work\ncd /home\n", []),
    ],
)
def test_paths_the_pod_does_not_mount(text: str, paths: list[str]) -> None:
    script = "#!/bin/bash\n#SBATCH -N 1\n" + text
    found = [f.message.split(" is not on a volume")[0] for f in run(script).findings if f.code == "SM601"]
    assert found == paths


@pytest.mark.parametrize(
    "directives",
    [
        "--ntasks=2 --gpus-per-task=1",  # no --ntasks-per-node: still GPUs
        "--ntasks=4 --tres-per-task=gres/gpu:1",
        "--gpus=2",
        "--nodes=1 --gpus-per-socket=1 --sockets-per-node=2",
        "--gres=gpu:v100:1",
    ],
)
def test_every_way_of_asking_for_gpus_counts(directives: str) -> None:
    script = f"#!/bin/bash\n#SBATCH {directives}\nsrun singularity exec --nv a.sif nvidia-smi\n"
    assert "SM504" not in codes(run(script))


@pytest.mark.parametrize(
    ("directives", "gpus", "cpus", "exact"),
    [
        ("--nodes=2 --ntasks-per-node=8 --cpus-per-task=4 --gres=gpu:8", 8, 32, True),
        ("--ntasks=4 --gpus-per-task=3", 3, 1, False),  # Slurm packs: at least one task per node
        ("--nodes=1 --ntasks=4 --gpus-per-task=2", 8, 4, False),
        ("--nodes=2 --ntasks=2 --gpus-per-task=1", 1, 1, True),
        ("--gpus=2 --cpus-per-gpu=4", 1, 4, False),
        ("--nodes=1 --gpus-per-node=8 --cpus-per-gpu=4", 8, 32, True),
        ("--nodes=1-2 --ntasks=40", None, 20, False),
    ],
)
def test_per_node_figures(directives: str, gpus: int | None, cpus: int, exact: bool) -> None:
    job = shape(scan(f"#!/bin/bash\n#SBATCH {directives}\nhostname\n".encode()))
    assert (job.gpus_per_node, job.cpus_per_node, job.cpus_exact) == (gpus, cpus, exact)


def test_a_cpu_finding_points_at_the_option_that_weighs() -> None:
    script = "#!/bin/bash\n#SBATCH --nodes=1\n#SBATCH --ntasks-per-node=56\n#SBATCH -c 1\nhostname\n"
    [f] = [f for f in run(script).findings if f.code == "SM502"]
    assert run(script).source.line_of(f.start) == 2 and "56 tasks per node x 1 CPUs per task" in f.message


@pytest.mark.parametrize(
    ("directives", "says"),
    [
        ("--nodes=2 --gpus=1", "--gpus < -N"),
        ("--gpus-per-task=1", "used without either --gpus or -n/--ntasks"),
        ("--gpus=3 --gpus-per-node=2", "--gpus is not multiple of --gres=gpu/--gpus-per-node"),
        ("--gpus=1 --cpus-per-gpu=2 --cpus-per-task=2", "mutually exclusive with --cpus-per-task"),
        ("--ntasks=2 --gpus=3 --gpus-per-task=1", "number of requested tasks differ from -n/--ntasks"),
        ("--gres=gpu:3 --gpus-per-task=2", "used without either --gpus or -n/--ntasks"),  # the first it says
        ("--ntasks=2 --gres=gpu:3 --gpus-per-task=2", "not multiple of --gpus-per-task"),
        ("--gpus-per-socket=1", "requires --sockets-per-node"),
    ],
)
def test_gpu_options_sbatch_refuses_together(directives: str, says: str) -> None:
    [f] = [f for f in run(f"#!/bin/bash\n#SBATCH {directives}\nhostname\n").findings if f.code == "SM010"]
    assert says in f.message and "together" in f.message


@pytest.mark.parametrize(
    "directives", ["--ntasks-per-node=1 --gpus-per-task=1", "--nodes=2 --gpus=2", "--gpus=4 --gpus-per-node=2"]
)
def test_gpu_options_sbatch_takes_together(directives: str) -> None:
    assert "SM010" not in codes(run(f"#!/bin/bash\n#SBATCH {directives}\nhostname\n"))


@pytest.mark.parametrize(
    ("step", "code", "points_at"),
    [
        ("srun --gres=gpu:16 python train.py", "SM501", "--gres=gpu:16"),
        ("srun --ntasks-per-node=64 -c 2 ./solver", "SM502", "--ntasks-per-node=64"),
        ("srun -n 4 --mem=900G ./big", "SM503", "--mem=900G"),
        ("salloc -N 1 --gpus-per-node=9 bash", "SM501", "--gpus-per-node=9"),
        ("env OMP_NUM_THREADS=4 srun -c 48 ./omp", "SM502", "-c 48"),
    ],
)
def test_a_step_asking_more_than_a_node_has(step: str, code: str, points_at: str) -> None:
    text = f"#!/bin/bash\n#SBATCH --gres=gpu:8\n{step}\n"
    found = [f for f in run(text).findings if f.code == code]
    assert len(found) == 1
    assert text.encode()[found[0].start : found[0].end].decode() == points_at
    assert found[0].message.startswith(f"`{step.split()[0] if step[0] != 'e' else 'srun'}` in the script")


@pytest.mark.parametrize(
    "step",
    [
        "srun --gres=gpu:8 python train.py",  # what the node has
        "srun -c $CPUS ./solver",  # computed: not known
        "srun --ntasks=64 ./mpi",  # spread over the allocation's nodes
        "srun --mem=0 ./all",  # the whole node
        "srun hostname",
    ],
)
def test_a_step_within_a_node_is_fine(step: str) -> None:
    found = codes(run(f"#!/bin/bash\n#SBATCH --gres=gpu:8\n{step}\n"))
    assert not {"SM501", "SM502", "SM503"} & set(found)


@pytest.mark.parametrize(
    ("directives", "gpus", "exact"),
    [
        ("--ntasks=1 --gpus=9", 9, True),  # one task: one node (the controller refuses it on 8-GPU nodes)
        ("--ntasks=2 --gpus=9", 5, False),  # two tasks span at most two nodes
        ("--gpus=9", 1, False),  # no task count: as many nodes as it takes
        ("--nodes=1-2 --ntasks=1 --gpus=9", 9, True),  # the range allows two, the one task one
        ("--ntasks-per-node=1 --gpus=9", 9, True),  # sbatch derives one task: one node
    ],
)
def test_tasks_bound_the_nodes_a_gpu_total_spreads_over(directives: str, gpus: int, exact: bool) -> None:
    job = shape(scan(f"#!/bin/bash\n#SBATCH {directives}\n".encode()))
    assert (job.gpus_per_node, job.gpus_exact) == (gpus, exact)


def test_a_node_range_sets_no_task_count_from_ntasks_per_node() -> None:
    """sbatch derives --ntasks from --ntasks-per-node only for a fixed node count: with
    --nodes=1-2, --gpus-per-task has no task count (found by the controller oracle)."""
    found = run("#!/bin/bash\n#SBATCH --nodes=1-2 --ntasks-per-node=9 --gpus-per-task=1\nhostname\n").findings
    assert any(f.code == "SM010" and "--gpus-per-task" in f.message for f in found)
    fixed = run("#!/bin/bash\n#SBATCH --nodes=2 --ntasks-per-node=4 --gpus-per-task=1\nhostname\n").findings
    assert not any(f.code == "SM010" for f in fixed)


@pytest.mark.parametrize(
    ("driver", "code", "points_at"),
    [
        ("export SBATCH_GRES=gpu:16\nsbatch job.sh\n", "SM501", "SBATCH_GRES=gpu:16"),
        ("SBATCH_MEM_PER_NODE=900G sbatch job.sh\n", "SM503", "SBATCH_MEM_PER_NODE=900G"),
        ("export SBATCH_GPUS_PER_NODE=9\nsbatch -N 1 job.sh\nsbatch -N 1 job2.sh\n", "SM501", "SBATCH_GPUS_PER_NODE=9"),
    ],
)
def test_sbatch_inherits_the_sbatch_resource_variables(driver: str, code: str, points_at: str) -> None:
    text = "#!/bin/bash\n" + driver
    found = [f for f in run(text).findings if f.code == code]
    assert len(found) == 1  # once, however many sbatch calls inherit it
    assert text.encode()[found[0].start : found[0].end].decode() == points_at


@pytest.mark.parametrize(
    "driver",
    [
        "export SBATCH_GRES=gpu:16\nsbatch --gres=gpu:8 job.sh\n",  # the command line wins
        "SBATCH_GRES=gpu:16\nsbatch job.sh\n",  # not exported: sbatch does not see it
        "sbatch job.sh\nexport SBATCH_GRES=gpu:16\n",  # set after the call
        "export SBATCH_GRES=gpu:16\nsrun hostname\n",  # srun does not read SBATCH_*
    ],
)
def test_sbatch_resource_variables_that_do_not_apply(driver: str) -> None:
    assert "SM501" not in codes(run("#!/bin/bash\n" + driver))


@pytest.mark.parametrize(
    ("directives", "refused"),
    [
        ("--nodes=1 --gpus-per-task=1", False),  # one task per node is sbatch's default for a fixed count
        ("--nodes=2 --gpus-per-task=1", False),
        ("--nodes=1-2 --gpus-per-task=1", True),  # a range sets no task count
        ("--nodes=1 --cpus-per-task=1 --gpus-per-task=1", True),  # as the lab's sbatch says
        ("--gpus-per-task=1", True),
    ],
)
def test_gpus_per_task_needs_a_task_count_sbatch_can_derive(directives: str, refused: bool) -> None:
    found = run(f"#!/bin/bash\n#SBATCH {directives}\nhostname\n").findings
    assert any(f.code == "SM010" and "--gpus-per-task" in f.message for f in found) is refused
