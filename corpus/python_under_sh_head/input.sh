#!/bin/bash
#SBATCH -J resnet-polyglot
#SBATCH -p gtest
#SBATCH -N 1
#SBATCH --gres=gpu:1
#SBATCH --account=MST108251
#SBATCH -o %x_%j.out
# One file for sbatch and for Python: bash runs the lines up to `exec`, which starts
# this same file again under Python inside the container; Python reads ''':' ... '''
# as a string and skips it.
''':'
module purge
module load singularity
export NCCL_DEBUG=INFO
exec singularity exec --nv /work/u1234567/containers/pytorch_21.06.sif python3 "$0" "$@"
'''

import os
import torch

if __name__ == "__main__":
    rank = int(os.environ.get("SLURM_PROCID", "0"))
    print(f"rank {rank}: {torch.cuda.device_count()} GPUs")
