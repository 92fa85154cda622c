#!/bin/bash
#SBATCH -J long-train
#SBATCH -A MST108123
#SBATCH -M twcc
#SBATCH -p slinky
#SBATCH --qos=normal
#SBATCH -t 4-00:00:00
#SBATCH --gres=gpu:8
#SBATCH -o %j.out

srun singularity exec --nv /work/TWCC_cntr/pytorch_21.11-py3_horovod.sif python train.py --resume
