from .cli import entry

entry(prog_name="sbatch-migrate")
