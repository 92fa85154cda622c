#!/bin/bash
#SBATCH -J nccl
#SBATCH -p gp2d
#SBATCH -N 2
#SBATCH --ntasks-per-node=8
#SBATCH --gres=gpu:8
#SBATCH -t 2-00:00:00

export NCCL_DEBUG=INFO
export NCCL_DEBUG_SUBSYS=INIT,NET
export NCCL_SOCKET_IFNAME=ib0
export NCCL_IB_DISABLE=0
export NCCL_NET_GDR_LEVEL=2
export UCX_IB_GPU_DIRECT_RDMA=1

srun singularity exec --nv /work/TWCC_cntr/pytorch_21.11-py3_horovod.sif python allreduce_test.py
