"""The click group: ``sbatch-migrate [OPTIONS] FILE...`` and its subcommands, each loaded
when it runs (:data:`COMMANDS`)."""

from __future__ import annotations

import importlib

import click
from click.shell_completion import CompletionItem

from .. import __version__
from .quick import COMMANDS


class _DefaultGroup(click.Group):
    """``sbatch-migrate job.sh`` means ``sbatch-migrate migrate job.sh``; commands load
    lazily (:data:`COMMANDS`)."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(COMMANDS)

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name not in COMMANDS:
            return None
        module, attr = COMMANDS[cmd_name]
        command: click.Command = getattr(importlib.import_module(f"{__package__}.{module}"), attr)
        return command

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        if args and args[0] not in COMMANDS and args[0] not in ("--help", "-h", "--version"):
            args = ["migrate", *args]
        elif not args and not ctx.resilient_parsing:  # completing the first word: a command or a file
            args = ["migrate"]
        return super().parse_args(ctx, args)

    def shell_complete(self, ctx: click.Context, incomplete: str) -> list[CompletionItem]:
        """The first word: a subcommand, or a file (``sbatch-migrate job.sh``)."""
        items = super().shell_complete(ctx, incomplete)
        if not incomplete.startswith("-"):
            items.append(CompletionItem(incomplete, type="file"))
            return items
        migrate = self.get_command(ctx, "migrate")  # `sbatch-migrate --diff job.sh`: its options
        seen = {item.value for item in items}
        for param in migrate.get_params(ctx) if migrate is not None else ():
            if isinstance(param, click.Option) and not param.hidden:
                for name in [*param.opts, *param.secondary_opts]:
                    if name.startswith(incomplete) and name not in seen:
                        items.append(CompletionItem(name, help=param.help))
                        seen.add(name)
        return items


@click.group(cls=_DefaultGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="sbatch-migrate")
def main() -> None:
    """Migrate TWCC Slurm + Singularity job scripts to Slurm on Kubernetes (Slinky).

    \b
      sbatch-migrate job.sh             migrated script on stdout, report on stderr
      sbatch-migrate --diff job.sh      unified diff
      sbatch-migrate -i job.sh          rewrite in place
      sbatch-migrate --check *.sh       exit 1 if anything would change
      sbatch-migrate rules              list the rules
      sbatch-migrate explain SM201      a rule's documentation
    """
