#!/bin/bash
#SBATCH --job-name=<JOB_NAME>             ## 請填入工作名稱
#SBATCH --account=MST108XXX               ## iService project id, e.g. MST108XXX
#SBATCH --partition=slinky
#SBATCH --nodes=1
#SBATCH --ntasks-per-node=                ## processes per node
#SBATCH --cpus-per-task=4
#SBATCH --gres=gpu:1
#SBATCH --mem=1.5G
#SBATCH --time=00:30:00
#SBATCH -o <PATH/TO/LOG>/%j.out

srun --ntasks=x singularity exec --nv /work/TWCC_cntr/tensorflow_21.11-tf2-py3.sif python train.py
