#!/usr/bin/env python3
#SBATCH --job-name=py_env
#SBATCH --partition=slinky
#SBATCH --nodes=2
#SBATCH --gres=gpu:8
#SBATCH --time=1-00:00:00
"""A Python batch script that sets up the fabric itself, then launches Horovod."""
import os
import subprocess

os.environ["UCX_NET_DEVICES"] = "mlx5_0:1"
os.environ["NCCL_IB_HCA"] = "mlx5_0"
os.environ["NCCL_DEBUG"] = "INFO"
os.environ["APPTAINER_BINDPATH"] = "/work/TWCC_cntr"
os.environ.update({"OMPI_MCA_btl": "openib,self"})
os.putenv("NCCL_SOCKET_IFNAME", "ib0")

subprocess.run(
    ["srun", "singularity", "exec", "--nv", "/work/TWCC_cntr/pytorch_21.11-py3_horovod.sif",
     "python", "pytorch_synthetic_benchmark.py"],
    env={**os.environ, "UCX_TLS": "rc,cuda_copy"},
    check=True,
)
