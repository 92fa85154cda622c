#!/bin/bash
#SBATCH -J het
#SBATCH -p slinky -N 1 --gres=gpu:8 -t 10
#SBATCH hetjob
#SBATCH -p slinky -N 1 -t 10

srun --het-group=0 singularity exec --nv /work/TWCC_cntr/pytorch_21.11-py3_horovod.sif python server.py : --het-group=1 hostname
