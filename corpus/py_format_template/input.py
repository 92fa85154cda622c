#!/usr/bin/env python3
import subprocess

TEMPLATE = """#!/bin/bash
#SBATCH -J {name}
#SBATCH -p gp4d
#SBATCH --gres=gpu:{gpus}
module load singularity
srun singularity exec --nv /work/TWCC_cntr/tensorflow_21.11-tf2-py3.sif python {script}
"""

PLAIN = """#!/bin/bash
#SBATCH -p gtest
#SBATCH --gres=gpu:1
#SBATCH -t 10
module purge
module load singularity
srun singularity exec --nv /work/TWCC_cntr/pytorch_21.11-py3_horovod.sif nvidia-smi
"""

ESCAPED = "#!/bin/bash\n#SBATCH -p gtest\nsrun hostname\n"

open("a.sh", "w").write(TEMPLATE.format(name="a", gpus=8, script="a.py"))
open("b.sh", "w").write(PLAIN)
subprocess.run(["sbatch", "a.sh"])
