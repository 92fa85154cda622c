#!/bin/bash
#SBATCH --job-name=tf2_resnet      # 作業名稱
#SBATCH --nodes=1
#SBATCH --ntasks-per-node=1
#SBATCH --cpus-per-task=16
#SBATCH --gres=gpu:4
#SBATCH --account=MST108XXX
#SBATCH --partition=gp1d           # gtest 測試完改 gp1d
#SBATCH -o %j.out
#SBATCH -e %j.err

module purge
module load singularity

SIF=/work/TWCC_cntr/tensorflow_21.11-tf2-py3.sif
cd /work/u1234567/resnet || exit 1
singularity exec --nv -B /work/u1234567:/workspace $SIF \
    python /workspace/resnet/train.py --epochs 90 --batch-size 512
