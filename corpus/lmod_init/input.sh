#!/bin/bash
#SBATCH -J conda
#SBATCH -p gp1d
#SBATCH -t 12:00:00
#SBATCH --gres=gpu:2

source /usr/share/lmod/lmod/init/bash
module use /opt/ohpc/pub/modulefiles
module load miniconda3
conda activate torch
module load singularity

python preprocess.py
srun singularity exec --nv /work/TWCC_cntr/pytorch_21.11-py3_horovod.sif python train.py
