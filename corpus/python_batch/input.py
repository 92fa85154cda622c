#!/usr/bin/env python3
#SBATCH --job-name=py_batch
#SBATCH --partition=gtest
#SBATCH --gres=gpu:1
#SBATCH --time=00:10:00
"""A Python batch script: sbatch reads the #SBATCH lines above."""
import subprocess

subprocess.run(["singularity", "exec", "--nv", "/work/TWCC_cntr/pytorch_21.11-py3_horovod.sif", "nvidia-smi"])
