import submitit

executor = submitit.AutoExecutor(folder="logs/%j")
executor.update_parameters(
    slurm_partition="slinky",
    gpus_per_node=8,
    tasks_per_node=8,
    timeout_min=60,
    slurm_setup=[
        "export NCCL_DEBUG=INFO",
    ],
)
other = submitit.SlurmExecutor(folder="logs")
other.update_parameters(partition="slinky", slurm_setup=[])
queue = "gp2d"
executor.update_parameters(slurm_partition=queue)
