#!/bin/bash
#SBATCH -J nogpu
#SBATCH -p gtest
#SBATCH -N 1
#SBATCH -t 10

module load singularity
singularity exec --nv /work/TWCC_cntr/pytorch_21.11-py3_horovod.sif python -c "import torch"
