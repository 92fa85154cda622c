#!/bin/bash
#SBATCH --job-name="list test"
#SBATCH --partition="gtest,gp1d"
#SBATCH --nodes=1 --gres=gpu:1 --time=01:00:00

srun singularity exec --nv /home/u1234567/images/my_torch.sif python -c 'import torch; print(torch.cuda.is_available())'
