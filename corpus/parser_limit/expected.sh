#!/bin/bash
#SBATCH -J preprocess
#SBATCH -p slinky
#SBATCH --gres=gpu:1
#SBATCH -t 30

# one shard per argument: sbatch preprocess.sh a.txt b.txt
for shard do
    srun singularity exec --nv /work/TWCC_cntr/tools.sif python prep.py "$shard"
done
