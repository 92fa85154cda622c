#!/bin/bash
# 互動測試與送出腳本
export SBATCH_PARTITION=slinky
export SALLOC_PARTITION="slinky"

srun --partition=slinky --gres=gpu:1 --pty singularity shell --nv /work/TWCC_cntr/pytorch_21.11-py3_horovod.sif
salloc -p slinky -N 1 --gres=gpu:8 -t 30
sbatch --partition slinky --time=4-00:00:00 train.sh
SLURM_PARTITION=slinky srun -N1 hostname
