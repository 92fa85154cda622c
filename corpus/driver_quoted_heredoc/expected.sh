#!/bin/bash
for seed in 1 2 3; do
  cat <<'EOF' > job.sbatch
#!/bin/bash
#SBATCH -J seed
#SBATCH -p slinky
#SBATCH --account=$PROJECT
#SBATCH --gres=gpu:1
#SBATCH -t 30
srun singularity exec --nv /work/TWCC_cntr/pytorch_21.11-py3_horovod.sif python train.py --seed "$1"
EOF
  sbatch job.sbatch "$seed"
done
