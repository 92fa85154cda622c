#!/bin/bash
#SBATCH --partition=gtest               # TWCC partition
module purge
module load singularity                  # 需要 module 系統

SIF=/work/TWCC_cntr/pytorch_21.11-py3_horovod.sif
srun singularity run --nv $SIF python train.py
