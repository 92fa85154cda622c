#!/bin/bash
#SBATCH --job-name="resnet 50
#SBATCH --nodes=1 ; --gres=gpu:8
#SBATCH --partition=gtest

module load singularity
srun singularity exec --nv /work/TWCC_cntr/pytorch_21.11-py3_horovod.sif python train.py
