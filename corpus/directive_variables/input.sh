#!/bin/bash
#SBATCH --job-name=vars
#SBATCH --account=$PROJECT
#SBATCH --output=/work/$USER/logs/%j.out
#SBATCH --partition=gtest
#SBATCH --gres=gpu:1
#SBATCH -t 10

srun singularity exec --nv /work/TWCC_cntr/pytorch_21.11-py3_horovod.sif python train.py
