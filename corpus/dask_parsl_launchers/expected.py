"""Start Dask workers and a Parsl pool on TWCC GPU nodes."""
from dask.distributed import Client
from dask_jobqueue import SLURMCluster
from parsl.config import Config
from parsl.executors import HighThroughputExecutor
from parsl.providers import SlurmProvider

cluster = SLURMCluster(
    queue="slinky",
    account="MST108123",
    cores=4,
    memory="90GB",
    walltime="24:00:00",
    job_extra_directives=["--gres=gpu:1", "--partition=slinky"],
    job_script_prologue=["module load cuda/11.0"],
)
cluster.scale(jobs=2)
client = Client(cluster)

config = Config(
    executors=[
        HighThroughputExecutor(
            provider=SlurmProvider(
                partition="slinky",
                account="MST108123",
                scheduler_options="#SBATCH --gres=gpu:2",
                worker_init="module load miniconda3; conda activate parsl",
                nodes_per_block=1,
            )
        )
    ]
)
