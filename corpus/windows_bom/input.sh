#!/bin/bash
#SBATCH --job-name=notebook-export
#SBATCH --partition=gp1d
#SBATCH --nodes=1
#SBATCH --gres=gpu:1
#SBATCH --time=02:00:00
#SBATCH --account=GOV109999

# saved from VS Code on Windows with "UTF-8 with BOM"
module load singularity
srun singularity exec --nv /work/TWCC_cntr/tensorflow_22.08-tf2-py3.sif python export.py
