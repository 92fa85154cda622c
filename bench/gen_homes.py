"""Generate user home and work directories that look like a TWCC site's, for bulk tests
and benchmarks: job scripts of varied shape (built from the corpus), dotfiles, notes,
binary data, a few CRLF files, git folders and symlinks.

    python bench/gen_homes.py OUT --users 100 --files 1000 [--seed 1]
"""

from __future__ import annotations

import argparse
import os
import random
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PARTITIONS = ["gtest", "gp1d", "gp2d", "gp4d", "gtest,gp1d", "slinky"]


def templates() -> list[bytes]:
    out = []
    for case in sorted((ROOT / "corpus").iterdir()):
        for p in case.iterdir():
            if p.name.startswith("input.") and p.suffix in (".sh", ".slurm"):
                out.append(p.read_bytes())
    return out


def job_script(rng: random.Random, tpl: list[bytes], user: str) -> bytes:
    data = rng.choice(tpl)
    data = data.replace(b"u1234567", user.encode())
    if rng.random() < 0.5:
        data = data.replace(b"gtest", rng.choice(PARTITIONS).encode(), 1)
    extra = rng.choice(
        [
            b"",
            b"\necho finished at $(date)\n",
            b"\n# TODO: tune batch size\n",
            b"\nfor i in $(seq 1 3); do echo $i; done\n",
        ]
    )
    return data + extra


def generate(out: Path, users: int, files: int, seed: int = 1, owners: bool = False) -> list[Path]:
    """About ``files`` files over ``users`` users; returns the job scripts written.
    ``owners`` (root only): each user's files belong to uid 40000+N, as on a real site."""
    rng = random.Random(seed)
    tpl = templates()
    jobs: list[Path] = []
    per_user = max(1, files // users)
    for u in range(users):
        user = f"u{1000001 + u}"
        home = out / "home" / user
        work = out / "work" / user
        for d in (home / "jobs", home / ".git" / "objects", work / "runs", home / "notes"):
            d.mkdir(parents=True, exist_ok=True)
        for i in range(per_user):
            kind = rng.random()
            if kind < 0.45:
                where = rng.choice([home / "jobs", work / "runs"])
                name = f"job{i}.{rng.choice(['sh', 'slurm', 'sbatch'])}"
                body = job_script(rng, tpl, user)
                if rng.random() < 0.03:
                    body = body.replace(b"\n", b"\r\n")
                (where / name).write_bytes(body)
                jobs.append(where / name)
            elif kind < 0.55:
                (home / "notes" / f"note{i}.md").write_text(f"# run {i}\nsbatch job{i}.sh -p gtest\n")
            elif kind < 0.65:
                (work / "runs" / f"data{i}.bin").write_bytes(bytes(rng.randrange(256) for _ in range(512)) + b"\0")
            elif kind < 0.75:
                (home / ".git" / "objects" / f"obj{i}").write_bytes(b"#SBATCH -p gtest\n")
            elif kind < 0.85:
                (work / "runs" / f"train{i}.py").write_text(
                    "#!/usr/bin/env python3\n#SBATCH -p gtest\n#SBATCH --gres=gpu:1\nprint('train')\n"
                    if rng.random() < 0.5
                    else "import torch\nprint(torch.__version__)\n"
                )
            else:
                (work / "runs" / f"log{i}.txt").write_text("epoch 1 loss 0.3\n" * 20)
        (home / ".bashrc").write_text("export PATH=$HOME/bin:$PATH\nmodule load singularity\n")
        link = home / "shared-job.sh"
        if not link.exists():
            os.symlink("/etc/hostname", link)
        if owners:
            for folder in (home, work):
                for dirpath, _, names in os.walk(folder):
                    os.chown(dirpath, 40000 + u, 40000 + u)
                    for name in names:
                        os.chown(os.path.join(dirpath, name), 40000 + u, 40000 + u, follow_symlinks=False)
    return jobs


if __name__ == "__main__":
    ap = argparse.ArgumentParser()
    ap.add_argument("out", type=Path)
    ap.add_argument("--users", type=int, default=100)
    ap.add_argument("--files", type=int, default=1000)
    ap.add_argument("--seed", type=int, default=1)
    args = ap.parse_args()
    n = len(generate(args.out, args.users, args.files, args.seed))
    print(f"{n} job scripts among about {args.files} files for {args.users} users in {args.out}")
