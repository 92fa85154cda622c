#!/bin/bash
#SBATCH --partition=slinky               # TWCC partition

SIF=/work/TWCC_cntr/pytorch_21.11-py3_horovod.sif
srun singularity run --nv $SIF python train.py
