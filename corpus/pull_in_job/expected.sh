#!/bin/bash
#SBATCH -J pull
#SBATCH -p slinky
#SBATCH --gres=gpu:1
#SBATCH -t 60

export APPTAINER_CACHEDIR=/work/u1234567/.singularity
cd /work/u1234567
singularity pull docker://nvcr.io/nvidia/pytorch:24.01-py3
singularity build --fakeroot mine.sif mine.def
srun singularity exec --nv pytorch_24.01-py3.sif python train.py
