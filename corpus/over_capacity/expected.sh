#!/bin/bash
#SBATCH -J big
#SBATCH --nodes=1
#SBATCH --ntasks-per-node=16
#SBATCH --cpus-per-task=4
#SBATCH --gres=gpu:16
#SBATCH --mem=1000G
#SBATCH -p slinky
#SBATCH -t 4-00:00:00

srun singularity exec --nv /work/TWCC_cntr/pytorch_21.11-py3_horovod.sif python train.py
