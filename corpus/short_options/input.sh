#!/bin/bash
#SBATCH -J short -N 2 -A ENT114035
#SBATCH -pgtest --gres=gpu:8 -n 16 -c 4
#SBATCH -t 00:30:00

ml purge
ml singularity

srun -n 16 singularity run --nv /work/TWCC_cntr/pytorch_21.11-py3_horovod.sif python bench.py
