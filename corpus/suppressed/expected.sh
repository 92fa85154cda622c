#!/bin/bash
#SBATCH -J quiet
#SBATCH -p slinky
#SBATCH --gres=gpu:8
#SBATCH -t 10

# sbatch-migrate: disable=SM201
module load singularity
export UCX_NET_DEVICES=mlx5_0:1  # sbatch-migrate: disable=SM301
export NCCL_DEBUG=INFO  # sbatch-migrate: disable=all

srun singularity exec --nv /work/TWCC_cntr/pytorch_21.11-py3_horovod.sif python train.py
