#!/bin/bash
#SBATCH --job-name=ocr_train      ## job name
#SBATCH --account=MST112345       ## iService project id
#SBATCH --partition=slinky
#SBATCH --nodes=1
#SBTACH --gres=gpu:1              ## typo: the job gets no GPU
#SBATCH --cpus-per-task=4
# SBATCH --mem=90G                ## switched off, or a slip?
   #SBATCH --time=12:00:00        ## indented: ignored too
##SBATCH --mail-type=ALL          ## off on purpose: fine
#SBATCH -o %j.out

source /etc/profile
module load cuda/11.3

SIF=/work/TWCC_cntr/pytorch_21.11-py3_horovod.sif
srun singularity exec --nv $SIF python train.py
