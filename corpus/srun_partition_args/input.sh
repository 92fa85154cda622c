#!/bin/bash
# 互動測試與送出腳本
export SBATCH_PARTITION=gp1d
export SALLOC_PARTITION="gtest"

srun --partition=gtest --gres=gpu:1 --pty singularity shell --nv /work/TWCC_cntr/pytorch_21.11-py3_horovod.sif
salloc -p gtest -N 1 --gres=gpu:8 -t 30
sbatch --partition gp4d --time=4-00:00:00 train.sh
SLURM_PARTITION=gtest srun -N1 hostname
