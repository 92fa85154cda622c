#!/bin/bash
#SBATCH -J unsafe
#SBATCH -p gtest
#SBATCH --gres=gpu:1
#SBATCH -t 10
set -e

module load singularity 2>&1 | tee module.log
if module load singularity; then
    echo loaded
fi
echo "modules: $(module load singularity; module list 2>&1)"

srun singularity exec --nv /work/TWCC_cntr/pytorch_21.11-py3_horovod.sif python train.py
