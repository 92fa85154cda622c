#!/bin/bash
#SBATCH -J broken
#SBATCH -p slinky
#SBATCH --gres=gpu:1
#SBATCH -t 10

if [ -d /work/u1234567/data ]; then
    module purge
    srun singularity exec --nv /work/TWCC_cntr/pytorch_21.11-py3_horovod.sif python train.py
# the fi is missing
