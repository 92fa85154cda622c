#!/bin/bash
#SBATCH --job-name=migrated
#SBATCH --nodes=2
#SBATCH --ntasks-per-node=8
#SBATCH --cpus-per-task=4
#SBATCH --gres=gpu:8
#SBATCH --time=00:10:00
#SBATCH --partition=slinky

SIF=/work/TWCC_cntr/pytorch_21.11-py3_horovod.sif
srun apptainer run --nv $SIF python pytorch_synthetic_benchmark.py --batch-size 256
