#!/bin/tcsh
#SBATCH -J csh_job
#SBATCH -p slinky
#SBATCH --gres=gpu:1
#SBATCH -t 10
setenv OMP_NUM_THREADS 4
module load singularity
srun singularity exec --nv /work/TWCC_cntr/pytorch_21.11-py3_horovod.sif python train.py
