#!/bin/bash
#SBATCH -J steps
#SBATCH -p slinky
#SBATCH --nodes=2
#SBATCH --gres=gpu:8
#SBATCH --account=GOV109xxx

IMG=/work/TWCC_cntr/pytorch_21.11-py3_horovod.sif

# preprocessing: one step, all the CPUs of a TWCC node (36) and then some
srun -N 1 -n 1 -c 72 singularity exec $IMG python prep.py
# training: each rank one GPU, but sixteen ranks on a node
srun --ntasks-per-node=16 --gpus-per-task=1 singularity exec --nv $IMG python train.py
# evaluation within a node: fine
srun -N 1 --gres=gpu:8 --mem=700G singularity exec --nv $IMG python eval.py
