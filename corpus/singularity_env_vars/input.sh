#!/bin/bash
#SBATCH -J envs
#SBATCH -p gtest
#SBATCH --gres=gpu:1
#SBATCH -t 10

export SINGULARITY_BINDPATH=/work/u1234567,/home/u1234567
export SINGULARITYENV_LD_LIBRARY_PATH=/usr/local/lib
SINGULARITY_TMPDIR=/work/u1234567/tmp
export SINGULARITY_TMPDIR
echo "using tmp $SINGULARITY_TMPDIR"

srun singularity exec --nv /work/TWCC_cntr/pytorch_21.11-py3_horovod.sif python train.py
