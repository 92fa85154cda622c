#!/bin/bash
#SBATCH -J unknown
#SBATCH -p v100-large
#SBATCH --gres=gpu:8
#SBATCH -t 10

srun -p gtest,v100-large singularity exec --nv /work/TWCC_cntr/pytorch_21.11-py3_horovod.sif python train.py
