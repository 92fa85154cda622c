#!/usr/bin/env python3
#SBATCH --partition=gtest
#SBATCH --gres=gpu:1
import os
os.system("module load singularity && srun -p gtest python train.py"
print("done")
