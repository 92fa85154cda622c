#!/bin/bash
sbatch <<EOT
#!/bin/bash
#SBATCH -p slinky
#SBATCH -N 1
#SBATCH --gres=gpu:8
srun singularity exec --nv /work/TWCC_cntr/tensorflow_21.11-tf2-py3.sif python train.py
EOT
