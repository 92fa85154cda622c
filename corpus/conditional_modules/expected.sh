#!/bin/bash
#SBATCH -p slinky
#SBATCH --gres=gpu:1
#SBATCH -t 5

if [ -f /etc/profile.d/modules.sh ]; then
    source /etc/profile.d/modules.sh
fi

[[ -n "$SLURM_JOB_ID" ]]

for attempt in 1 2 3; do
    break
done

while false; do :; done

srun singularity exec --nv /work/TWCC_cntr/pytorch_21.11-py3_horovod.sif python -V
