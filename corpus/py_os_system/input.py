#!/usr/bin/env python3
import os
import subprocess

os.system("module load singularity && srun -p gtest singularity exec --nv /work/TWCC_cntr/pytorch_21.11-py3_horovod.sif python -V")
os.system('module purge; module load singularity; sbatch -pgp2d run.sh')
out = subprocess.check_output("sbatch --parsable -p gp4d job.sh", shell=True, text=True)
subprocess.run("module load cuda/11.0 singularity && srun hostname", shell=True, check=True)
print(out)
