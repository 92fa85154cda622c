#!/bin/bash
#PBS -N pbs_job
#PBS -q gtest
#PBS -l walltime=00:20:00
#PBS -A MST108XXX

module load singularity
cd $PBS_O_WORKDIR
singularity exec /work/TWCC_cntr/pytorch_21.11-py3_horovod.sif python cpu_job.py
