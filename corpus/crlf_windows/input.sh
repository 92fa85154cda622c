#!/bin/bash
#SBATCH --job-name=win
#SBATCH --partition=gtest
#SBATCH --gres=gpu:1
#SBATCH -t 10

module purge
module load singularity

srun singularity exec --nv /work/TWCC_cntr/pytorch_21.11-py3_horovod.sif python train.py
