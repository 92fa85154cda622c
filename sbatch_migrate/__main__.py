from .cli import main

main(prog_name="sbatch-migrate")
