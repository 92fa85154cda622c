"""Sweep launcher: one GPU per trial, on the TWCC test queue."""
import submitit

executor = submitit.AutoExecutor(folder="logs/%j")
executor.update_parameters(
    slurm_partition="slinky",
    slurm_account="MST112345",
    gpus_per_node=1,
    timeout_min=30,
    slurm_setup=[
        "module load cuda/11.3\n",
        "export NCCL_DEBUG=INFO\n",
    ],
)


def train(lr: float) -> float:
    return lr


jobs = executor.map_array(train, [1e-3, 1e-4])
