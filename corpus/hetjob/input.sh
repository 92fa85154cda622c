#!/bin/bash
#SBATCH -J het
#SBATCH -p gtest -N 1 --gres=gpu:8 -t 10
#SBATCH hetjob
#SBATCH -p gp1d -N 1 -t 10

module load singularity
srun --het-group=0 singularity exec --nv /work/TWCC_cntr/pytorch_21.11-py3_horovod.sif python server.py : --het-group=1 hostname
