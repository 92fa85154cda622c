#!/bin/bash
:
#SBATCH --job-name=bert_ft
#SBATCH --account=MST112345
#SBATCH --partition=gp2d
#SBATCH --nodes=1
#SBATCH --gres=gpu:4
#SBATCH --cpus-per-task=16

SIF=/work/TWCC_cntr/pytorch_21.11-py3_horovod.sif
srun singularity exec --nv $SIF python finetune.py
