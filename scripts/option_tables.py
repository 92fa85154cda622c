"""Write the option tables of sbatch, srun and salloc for a Slurm release, read off that
release's ``src/common/slurm_opt.c`` (the authority: ``--help`` hides some options).

An option is in a program's table when its ``slurm_cli_opt_t`` entry is listed in
``common_options[]`` and has ``set_func`` or that program's own ``set_func_<program>``,
as ``slurm_option_table_create`` decides.  Its short letter is ``.val`` when that is a
character; ``.has_arg`` says whether it takes an argument.

    python scripts/option_tables.py SLURM_GIT_DIR slurm-25-11-7-1 25.11
    python scripts/option_tables.py --file slurm_opt.c 22.05 --tag slurm-22-05-8-1

writes ``sbatch_migrate/read/data/{sbatch,srun,salloc}-options-<version>.tsv``.  Only the
facts (names, letters, argument kinds) are written; nothing of Slurm's code.
"""

from __future__ import annotations

import argparse
import re
import subprocess
from pathlib import Path

DATA = Path(__file__).resolve().parent.parent / "sbatch_migrate" / "read" / "data"
PROGRAMS = ("sbatch", "srun", "salloc")
_ENTRY = re.compile(r"static\s+slurm_cli_opt_t\s+(slurm_opt_\w+)\s*=\s*\{(.*?)\};", re.S)
_FIELD = re.compile(r"\.(\w+)\s*=\s*([^,\n]+)")
_COMMON = re.compile(r"common_options\[\]\s*=\s*\{(.*?)\};", re.S)
_ARG = {"required_argument": "required", "optional_argument": "optional", "no_argument": "none"}


def tables(source: str) -> dict[str, list[tuple[str, str, str]]]:
    """(long, short, argument) of every option of each program, sorted by long name."""
    entries: dict[str, dict[str, str]] = {}
    for m in _ENTRY.finditer(source):
        entries[m.group(1)] = {f.group(1): f.group(2).strip() for f in _FIELD.finditer(m.group(2))}
    listed = _COMMON.search(source)
    if listed is None:
        raise SystemExit("no common_options[] in this file: not slurm_opt.c?")
    names = re.findall(r"&(slurm_opt_\w+)", listed.group(1))
    out: dict[str, list[tuple[str, str, str]]] = {p: [] for p in PROGRAMS}
    for ident in names:
        entry = entries.get(ident)
        if entry is None or not entry.get("name", "").startswith('"'):
            continue  # _unknown_, --help/--usage entries: no name of their own
        long = entry["name"].strip('"')
        val = entry.get("val", "")
        short = val[1] if re.fullmatch(r"'.'", val) else ""
        arg = _ARG.get(entry.get("has_arg", "no_argument"), "none")
        for program in PROGRAMS:
            if "set_func" in entry or f"set_func_{program}" in entry:
                out[program].append((long, short, arg))
    return {p: sorted(rows) for p, rows in out.items()}


def write(rows: dict[str, list[tuple[str, str, str]]], version: str, tag: str) -> None:
    for program, options in rows.items():
        lines = [
            f"# {program} options of Slurm {version} ({tag}), read off src/common/slurm_opt.c by",
            f"# scripts/option_tables.py: every option whose table entry has set_func or set_func_{program}.",
            "# Columns: long, short, argument.",
            "long\tshort\targ",
            *(f"--{long}\t{'-' + short if short else ''}\t{arg}" for long, short, arg in options),
        ]
        (DATA / f"{program}-options-{version}.tsv").write_text("\n".join(lines) + "\n")
        print(f"{program} {version}: {len(options)} options")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("where", help="a Slurm git directory, or with --file a slurm_opt.c")
    ap.add_argument("ref", nargs="?", help="the release tag (with a git directory)")
    ap.add_argument("version", help="the release as profiles name it: 22.05, 25.11")
    ap.add_argument("--file", action="store_true", help="WHERE is slurm_opt.c itself")
    ap.add_argument("--tag", default="", help="the tag to name in the header (with --file)")
    args = ap.parse_args()
    if args.file:
        source = Path(args.where).read_text(errors="replace")
        tag = args.tag or "unknown tag"
    else:
        if not args.ref:
            ap.error("give the release tag, e.g. slurm-25-11-7-1")
        source = subprocess.run(
            ["git", "--git-dir", args.where, "show", f"{args.ref}:src/common/slurm_opt.c"],
            capture_output=True,
            text=True,
            errors="replace",
            check=True,
        ).stdout
        tag = args.ref
    write(tables(source), args.version, tag)


if __name__ == "__main__":
    main()
