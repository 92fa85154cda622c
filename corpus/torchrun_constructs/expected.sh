#!/bin/bash
#SBATCH --job-name=ddp
#SBATCH --partition=slinky
#SBATCH --nodes=2
#SBATCH --ntasks-per-node=1
#SBATCH --cpus-per-task=32
#SBATCH --gres=gpu:8
#SBATCH --time=23:00:00

set -euo pipefail

nodes=( $(scontrol show hostnames "$SLURM_JOB_NODELIST") )
head_node=${nodes[0]}
port=$(( 29500 + SLURM_JOB_ID % 1000 ))
if [[ ${#nodes[@]} -gt 1 && -n "$head_node" ]]; then
    echo "multi-node: ${nodes[*]}"
fi
case "$SLURM_PROCID" in
    0) echo "rank 0 on $(hostname)" ;;
    *) : ;;
esac

time srun singularity exec --nv -B /work/u1234567/data:/data /work/TWCC_cntr/pytorch_21.11-py3_horovod.sif \
    torchrun --nnodes=2 --nproc_per_node=8 --rdzv_endpoint="$head_node:$port" train.py
