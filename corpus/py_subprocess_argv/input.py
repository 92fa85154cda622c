#!/usr/bin/env python3
"""Submit the training jobs of a sweep."""
import subprocess
import subprocess as sp
from subprocess import check_call

PART = "gtest"

for lr in (0.1, 0.01):
    subprocess.run(["sbatch", "-p", "gp1d", "--gres=gpu:8", "--export=ALL,LR=%s" % lr, "train.sh"], check=True)

sp.run(["srun", "--partition=gtest", "-N", "1", "singularity", "exec", "--nv",
        "/work/TWCC_cntr/pytorch_21.11-py3_horovod.sif", "nvidia-smi"])
check_call(["sbatch", "--partition", PART, "eval.sh"])
subprocess.Popen(["sbatch", f"--partition={PART}", "post.sh"])
