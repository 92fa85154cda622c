"""Build a tree of real material shaped like TWCC homes, for the bulk benchmark on real
trees (bench/bench_tree.py): the material is this machine's own, copied, not generated.

    python bench/real_tree.py OUT [--users 3] [--job-share 0.01] [--seed 1]

Each user's home gets what real homes hold around their few job scripts:

- ``miniconda3/pkgs/``: this interpreter's site-packages (wheels unpacked: Python modules,
  large library modules such as pygments' lexers, compiled extensions, metadata);
- ``src/python3.11/``: the standard library's sources;
- ``docs/``: ``/usr/share/doc`` (READMEs, changelogs, some compressed);
- ``man/``: ``/usr/share/man`` (compressed man pages: binary);
- ``include/``: ``/usr/include`` (C headers);
- ``data/`` and ``logs/``: CSV tables and job logs of the sizes users keep;
- ``jobs/``: real-shaped job scripts (from the corpus, as bench/gen_homes.py makes them),
  about ``--job-share`` of the files.

Symlinks and special files of the source trees are left out (the walk skips them anyway),
so every file counted is a regular file the run reads.
"""

from __future__ import annotations

import argparse
import os
import random
import shutil
import sys
import sysconfig
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from bench.gen_homes import job_script, templates


def sources() -> list[tuple[str, Path]]:
    stdlib = Path(sysconfig.get_paths()["stdlib"])
    purelib = Path(sysconfig.get_paths()["purelib"])
    found = [
        ("miniconda3/pkgs", purelib),
        (f"src/{stdlib.name}", stdlib),
        ("docs", Path("/usr/share/doc")),
        ("man", Path("/usr/share/man")),
        ("include", Path("/usr/include")),
    ]
    return [(dest, src) for dest, src in found if src.is_dir()]


def copy_regular(src: Path, dest: Path) -> int:
    """Copy the regular files under ``src`` into ``dest`` (no symlinks, no special files)."""
    count = 0
    for folder, dirs, files in os.walk(src):
        here = Path(folder)
        dirs[:] = [d for d in dirs if not (here / d).is_symlink() and d != "site-packages"]
        target = dest / here.relative_to(src)
        target.mkdir(parents=True, exist_ok=True)
        for name in files:
            p = here / name
            if p.is_symlink() or not p.is_file():
                continue
            try:
                shutil.copyfile(p, target / name)
            except OSError:
                continue
            count += 1
    return count


def data_files(rng: random.Random, home: Path) -> int:
    (home / "data").mkdir(parents=True, exist_ok=True)
    (home / "logs").mkdir(parents=True, exist_ok=True)
    count = 0
    for i in range(200):
        rows = rng.randint(50, 5000)
        lines = [f"{j},{rng.random():.6f},{rng.randint(0, 10**6)},sample_{j % 97}" for j in range(rows)]
        (home / "data" / f"table_{i:03d}.csv").write_text("id,score,count,label\n" + "\n".join(lines) + "\n")
        count += 1
    for i in range(300):
        lines = [
            f"[{i:05d}] epoch {e} step {s} loss {rng.random():.4f} lr 1e-4 gpu0 mem {rng.randint(1, 32)}G"
            for e in range(rng.randint(1, 5))
            for s in range(0, rng.randint(100, 2000), 50)
        ]
        (home / "logs" / f"slurm-{100000 + i}.out").write_text("\n".join(lines) + "\n")
        count += 1
    return count


def build(out: Path, users: int, job_share: float, seed: int = 1) -> tuple[int, int]:
    """Returns (files, job scripts) written."""
    rng = random.Random(seed)
    tpl = templates()
    total = scripts = 0
    for u in range(users):
        user = f"u{1000000 + u}"
        home = out / "home" / user
        mine = sum(copy_regular(src, home / dest) for dest, src in sources())
        mine += data_files(rng, home)
        want = max(1, round(mine * job_share / (1 - job_share)))
        total += mine
        (home / "jobs").mkdir(parents=True, exist_ok=True)
        for i in range(want):
            suffix = rng.choice([".sh", ".sh", ".slurm", ".sbatch", ""])
            (home / "jobs" / f"run_{i:04d}{suffix}").write_bytes(job_script(rng, tpl, user))
        scripts += want
        total += want
    return total, scripts


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("out", type=Path)
    ap.add_argument("--users", type=int, default=3)
    ap.add_argument("--job-share", type=float, default=0.01)
    ap.add_argument("--seed", type=int, default=1)
    a = ap.parse_args()
    if a.out.exists():
        sys.exit(f"{a.out} exists: remove it first")
    files, scripts = build(a.out, a.users, a.job_share, a.seed)
    print(f"{a.out}: {files} files, {scripts} job scripts")


if __name__ == "__main__":
    main()
