#!/bin/bash
#SBATCH --part=gp4d
#SBATCH --job=abbr
#SBATCH --cpus-per=4
#SBATCH --gres=gpu:2

singularity exec --nv /work/TWCC_cntr/tensorflow_21.11-tf1-py3.sif python train.py
