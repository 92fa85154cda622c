#!/usr/bin/env python3
import os
import subprocess

os.system("srun -p slinky singularity exec --nv /work/TWCC_cntr/pytorch_21.11-py3_horovod.sif python -V")
os.system('sbatch -pslinky run.sh')
out = subprocess.check_output("sbatch --parsable -p slinky job.sh", shell=True, text=True)
subprocess.run("module load cuda/11.0 && srun hostname", shell=True, check=True)
print(out)
