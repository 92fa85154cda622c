#!/bin/bash
#SBATCH --job-name=lammps_eq
#SBATCH --account=MST112345
#SBATCH --partition=slinky
#SBATCH --nodes=1
#SBATCH --gres=gpu:1
#SBATCH --time=12:00:00

# where the run lives: override with ROOT=... sbatch run.sh
ROOT="${ROOT:-/work/u1234567/lammps/eq01}"
cd "$ROOT"
mkdir -p /work/u1234567/lammps/$SLURM_JOB_ID

PYTHON=/home/u1234567/.conda/envs/md/bin/python
$PYTHON prepare.py --steps 1000 > /work/u1234567/lammps/prepare.log

SIF=/work/TWCC_cntr/lammps_29Oct2020.sif
srun singularity exec --nv -B /work:/work -B /work/u1234567/scratch/$SLURM_JOB_ID:/tmp $SIF lmp -in in.eq
