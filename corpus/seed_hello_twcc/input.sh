#!/bin/bash
#SBATCH --job-name=Hello_twcc
#SBATCH --nodes=2
#SBATCH --ntasks-per-node=8
#SBATCH --cpus-per-task=4
#SBATCH --gres=gpu:8
#SBATCH --time=00:10:00
#SBATCH --account="PROJECT_ID"
#SBATCH --partition=gtest

module purge
module load singularity

export UCX_NET_DEVICES=mlx5_0:1
export UCX_IB_GPU_DIRECT_RDMA=1
export NCCL_DEBUG=INFO

SIF=/work/TWCC_cntr/pytorch_21.11-py3_horovod.sif
SINGULARITY="singularity run --nv $SIF"
HOROVOD="python pytorch_synthetic_benchmark.py --batch-size 256"

srun $SINGULARITY $HOROVOD
