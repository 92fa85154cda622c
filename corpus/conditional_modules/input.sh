#!/bin/bash
#SBATCH -p gtest
#SBATCH --gres=gpu:1
#SBATCH -t 5

if [ -f /etc/profile.d/modules.sh ]; then
    source /etc/profile.d/modules.sh
    module load singularity
fi

[[ -n "$SLURM_JOB_ID" ]] && module load singularity

for attempt in 1 2 3; do
    module load singularity || continue
    break
done

while false; do module purge; done

srun singularity exec --nv /work/TWCC_cntr/pytorch_21.11-py3_horovod.sif python -V
