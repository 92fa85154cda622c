"""What the new cluster must provide and what it says: the site inventory, the Helm values
for the Slinky chart, and asking a live Slurm (``sbatch --test-only``)."""
