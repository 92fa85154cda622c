#!/bin/bash
#SBATCH --job-name=cfd_oneapi
#SBATCH --account=GOV112345
#SBATCH --partition=slinky
#SBATCH --nodes=1
#SBATCH --ntasks-per-node=4
#SBATCH --gres=gpu:1

# the oneAPI and CUDA the old hosts had
source /opt/intel/oneapi/setvars.sh
export PATH=/usr/local/cuda-11.3/bin:$PATH
/usr/local/cuda-11.3/bin/nvcc -O3 -o solver solver.cu

# the pre-processing image, as on the old cluster's enroot partition
srun --container-image=nvcr.io#nvidia/pytorch:22.02-py3 --container-mounts=/work/users/u1:/data python prep.py
mpirun -np 4 ./solver
