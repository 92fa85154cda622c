#!/bin/bash
#SBATCH --job-name=func
#SBATCH --partition=gp1d
#SBATCH --time=1-00:00:00
#SBATCH --gres=gpu:8

setup_env() {
    module purge
    module load singularity
}

function run_job {
    module load singularity && echo "singularity ready"
    srun singularity run --nv "$1" python train.py
}

setup_env
run_job /work/TWCC_cntr/pytorch_21.11-py3_horovod.sif
