#!/bin/bash
#SBATCH --job-name=sweep
#SBATCH --array=0-9%4
#SBATCH --partition=gtest
#SBATCH --gres=gpu:1
#SBATCH --time=00:30:00

case $SLURM_ARRAY_TASK_ID in
  0) module load singularity ;;
  *) module load singularity
     echo "task $SLURM_ARRAY_TASK_ID" ;;
esac

srun singularity exec --nv /work/TWCC_cntr/pytorch_21.11-py3_horovod.sif python sweep.py --task "$SLURM_ARRAY_TASK_ID"
