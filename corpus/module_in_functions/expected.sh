#!/bin/bash
#SBATCH --job-name=func
#SBATCH --partition=slinky
#SBATCH --time=1-00:00:00
#SBATCH --gres=gpu:8

setup_env() {
    :
}

function run_job {
    echo "singularity ready"
    srun singularity run --nv "$1" python train.py
}

setup_env
run_job /work/TWCC_cntr/pytorch_21.11-py3_horovod.sif
