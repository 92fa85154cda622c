#!/bin/bash
#SBATCH -J hvd_mpi
#SBATCH -N 4
#SBATCH --ntasks-per-node=8
#SBATCH -c 4
#SBATCH --gres=gpu:8
#SBATCH -t 2:00:00
#SBATCH -A GOV109092
#SBATCH -p gp2d

module purge
module load singularity openmpi/4.0.5

export OMPI_MCA_btl=openib,self,vader
export OMPI_MCA_btl_openib_allow_ib=1
export UCX_TLS=rc,cuda_copy,cuda_ipc
export UCX_NET_DEVICES=mlx5_0:1
export NCCL_IB_HCA=mlx5_0

IMG=/work/TWCC_cntr/pytorch_21.11-py3_horovod.sif
mpirun -np $SLURM_NTASKS -x NCCL_DEBUG=INFO -x LD_LIBRARY_PATH \
    singularity exec --nv $IMG python pytorch_synthetic_benchmark.py
