#!/bin/bash
# sbatch-migrate: disable-file=SM30
#SBATCH -p gtest
export UCX_TLS=rc
export NCCL_DEBUG=INFO  # sbatch-migrate: disable=SM999
module load singularity  # sbatch-migrate: disable=SM2
hostname  # sbatch-migrate: disable=SM101
