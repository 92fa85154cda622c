#!/bin/bash
#SBATCH --job-name=late
#SBATCH --partition=slinky
:
#SBATCH --gres=gpu:8
#SBATCH --time=00:10:00

srun singularity exec --nv /work/TWCC_cntr/pytorch_21.11-py3_horovod.sif python train.py
