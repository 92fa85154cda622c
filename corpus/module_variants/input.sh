#!/bin/bash
#SBATCH -J mods
#SBATCH -p gtest
#SBATCH --gres=gpu:1
#SBATCH -t 10

module add singularity/3.7.1
module load cuda/11.0 singularity/3.7.1 openmpi
ml nvhpc/21.7
module list
module unload singularity
module swap gcc intel

srun singularity exec --nv /work/TWCC_cntr/pytorch_21.11-py3_horovod.sif nvidia-smi
