import submitit

executor = submitit.AutoExecutor(folder="logs/%j")
executor.update_parameters(
    slurm_partition="gtest",
    gpus_per_node=8,
    tasks_per_node=8,
    timeout_min=60,
    slurm_setup=[
        "module purge",
        "module load singularity",
        "export NCCL_DEBUG=INFO",
    ],
)
other = submitit.SlurmExecutor(folder="logs")
other.update_parameters(partition="gp1d", slurm_setup=["module load singularity"])
queue = "gp2d"
executor.update_parameters(slurm_partition=queue)
