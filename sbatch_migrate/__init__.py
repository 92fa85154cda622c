"""sbatch-migrate: migrate TWCC Slurm + Singularity job scripts to Slurm on Kubernetes."""

__version__ = "0.1.0"
