#!/bin/bash
#SBATCH --job-name=big5    # 作業名稱
#SBATCH --partition=slinky  # 測試佇列，測完改 gp1d
#SBATCH --gres=gpu:1
#SBATCH -t 10
# 許功蓋：這些字的第二個位元組是反斜線或大括號
echo "開始訓練：許"
srun singularity exec --nv /work/TWCC_cntr/pytorch_21.11-py3_horovod.sif python train.py
