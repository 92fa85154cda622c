#!/bin/bash
#SBATCH --job-name=messy	# 名稱
   
#SBATCH   -p   slinky   
##SBATCH -p gp4d
# SBATCH --gres=gpu:8
#SBATCH --account= # fill in
#SBATCH --gres=gpu:1		# one GPU
#SBATCH -t 10
	
srun singularity exec --nv /work/TWCC_cntr/pytorch_21.11-py3_horovod.sif python train.py