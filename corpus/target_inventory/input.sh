#!/bin/bash
#SBATCH -J pin-nodes
#SBATCH -p gp1d
#SBATCH -w gn1201
#SBATCH --constraint=ntasks-per-node=4
#SBATCH --gres=gpu:v100:8
#SBATCH --nodes=4
#SBATCH -t 12:00:00

module load singularity
srun singularity exec --nv /work/TWCC_cntr/pytorch_21.11-py3_horovod.sif python train.py
