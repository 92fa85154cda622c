#!/bin/bash
#SBATCH -J mods
#SBATCH -p slinky
#SBATCH --gres=gpu:1
#SBATCH -t 10

module load cuda/11.0 openmpi
ml nvhpc/21.7
module list
module swap gcc intel

srun singularity exec --nv /work/TWCC_cntr/pytorch_21.11-py3_horovod.sif nvidia-smi
