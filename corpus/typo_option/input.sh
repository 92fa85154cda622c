#!/bin/bash
#SBATCH --job-name=typo
#SBATCH --nodes=1
#SBATCH --ntask-per-node=8
#SBATCH --gres=gpu:8
#SBATCH --partition=gtest

srun singularity exec --nv /work/TWCC_cntr/pytorch_21.11-py3_horovod.sif nvidia-smi
