#!/bin/bash
# Writes one job script per replica count and submits it (sbatch reads the expanded text).
num_re=${1:-4}
gmx_dir=/work/TWCC_cntr/gromacs/2022.2/bin

cat > remd.sub << EOF
#!/bin/bash
#SBATCH --nodes=1
#SBATCH --cpus-per-task=4
#SBATCH --ntasks-per-node=$num_re
#SBATCH --gres=gpu:$num_re
#SBATCH -p gp1d
#SBATCH -t 24:00:00

module purge
module load singularity

workspace=\$(pwd)
GMX=$gmx_dir
for (( i=0; i<$num_re; i++ )); do
  mkdir -p \$workspace/RE\$i
done
mpirun -np $num_re \$GMX/gmx_mpi mdrun -s remd -multidir \$(ls -d RE*/ | sort -n) \
  -ntomp 4 -replex 1000
EOF

sbatch remd.sub
