#!/usr/bin/env python3
"""Render one job script per seed and submit it."""
import subprocess
from pathlib import Path

PARTITION = "gtest"
SIF = "/work/TWCC_cntr/pytorch_21.11-py3_horovod.sif"

for seed in range(3):
    script = f"""#!/bin/bash
#SBATCH --job-name=seed{seed}
#SBATCH --partition={PARTITION}
#SBATCH --gres=gpu:8
#SBATCH --time=04:00:00

module purge
module load singularity
export UCX_NET_DEVICES=mlx5_0:1

srun singularity exec --nv {SIF} python train.py --seed {seed}
"""
    Path(f"job{seed}.sh").write_text(script)
    subprocess.run(["sbatch", f"job{seed}.sh"], check=True)
