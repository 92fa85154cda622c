"""What a file's name says before its content is read: its suffix, and whether it may be
a workflow manager's submission config (:mod:`.formats` decides by content).  Apart from
:mod:`.kind`, whose patterns a one-file run does not need."""

from __future__ import annotations

# names and suffixes a submission config may have
CONFIG_SUFFIXES = frozenset({".yaml", ".yml", ".config", ".nf", ".smk", ".mk", ".conf", ".hocon"})
CONFIG_NAMES = frozenset({"Snakefile", "Makefile", "makefile", "GNUmakefile", "nextflow.config"})
_ENDINGS = tuple(CONFIG_SUFFIXES)


def suffix_of(path: str) -> str:
    """The last suffix of the file's name, lower case ("" for none, or a dotfile's name)."""
    name = path.rsplit("/", 1)[-1]
    return "." + name.rsplit(".", 1)[-1].lower() if "." in name.lstrip(".") else ""


def may_be_config(path: str) -> bool:
    """Whether :func:`.formats.config_format` could name a format for ``path``: its name
    alone rules out every other file (a job script's run needs no config grammar)."""
    name = path.rsplit("/", 1)[-1]
    return name.lower().endswith(_ENDINGS) or name in CONFIG_NAMES
