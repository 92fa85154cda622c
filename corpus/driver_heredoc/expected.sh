#!/bin/bash
# 批次送出不同 learning rate 的作業
PART=gtest
PROJ=MST108XXX
SIF=/work/TWCC_cntr/pytorch_21.11-py3_horovod.sif

for lr in 0.1 0.01 0.001; do
cat << EOF > job_lr${lr}.slurm
#!/bin/bash
#SBATCH --job-name=lr${lr}
#SBATCH --partition=$PART
#SBATCH --account=$PROJ
#SBATCH --nodes=1
#SBATCH --gres=gpu:8
#SBATCH --time=04:00:00

export NCCL_DEBUG=INFO

srun singularity exec --nv $SIF python train.py --lr ${lr}
EOF
sbatch -p slinky job_lr${lr}.slurm
done
