"""One file, as pre-commit and editors run it: ``sbatch-migrate job.sh`` side by side with
``shellcheck job.sh`` and a bare Python start (run by hand; figures go in the notes).

    python bench/bench_one_file.py [--exe PATH/sbatch-migrate] [--rounds 30] [--instructions] [FILE]

The commands run in alternation, one of each per round, so that the slower and faster
spells of a shared machine touch them alike; reported are the fastest run (the cost with
the least interference) and the median.  Measure an installed wheel (``pip install .``
into a fresh venv: byte code compiled at install), not an editable install with
``PYTHONDONTWRITEBYTECODE`` set, which recompiles every module on every start.

This VM's speed swings by a third between spells; ``--instructions`` also counts the
instructions each command executes (valgrind's callgrind, once each): a measure that does
not swing, to compare two versions of the tool (not two programs: shellcheck's Haskell
runtime spends its time otherwise than Python does).
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("file", nargs="?", default=str(ROOT / "examples" / "hello_twcc.sh"))
    ap.add_argument("--exe", default=shutil.which("sbatch-migrate") or "sbatch-migrate")
    ap.add_argument("--rounds", type=int, default=30)
    ap.add_argument("--instructions", action="store_true", help="also count instructions (valgrind)")
    a = ap.parse_args()
    python = str(Path(a.exe).with_name("python"))
    commands = {
        "sbatch-migrate FILE": [a.exe, a.file],
        "sbatch-migrate --check FILE": [a.exe, "--check", a.file],
        "shellcheck FILE": [shutil.which("shellcheck") or "shellcheck", a.file],
        "python -c pass (same venv)": [python, "-c", "pass"],
        "python -I -S -c pass": [python, "-I", "-S", "-c", "pass"],
        "import sbatch_migrate.cli": [python, "-c", "import sbatch_migrate.cli"],
    }
    times: dict[str, list[float]] = {name: [] for name in commands}
    for _ in range(a.rounds):
        for name, cmd in commands.items():
            t = time.perf_counter()
            subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False)
            times[name].append((time.perf_counter() - t) * 1000)
    base = min(times["shellcheck FILE"])
    print(f"{a.rounds} rounds, {a.file}")
    for name, xs in times.items():
        ratio = min(xs) / base
        print(f"  {name:30s} min {min(xs):6.1f} ms  median {statistics.median(xs):6.1f} ms  ({ratio:4.1f}x shellcheck)")
    if a.instructions:
        print("instructions executed (callgrind):")
        for name, cmd in commands.items():
            print(f"  {name:30s} {instructions(cmd) / 1e6:8.1f} M")


def instructions(cmd: list[str]) -> int:
    """Instructions ``cmd`` executes, as valgrind's callgrind counts them."""
    valgrind = shutil.which("valgrind")
    if valgrind is None:
        raise SystemExit("--instructions needs valgrind (apt-get install valgrind)")
    if cmd[0].endswith("sbatch-migrate"):  # the console script: run by its interpreter
        cmd = [str(Path(cmd[0]).with_name("python")), *cmd]
    p = subprocess.run(
        [valgrind, "--tool=callgrind", "--callgrind-out-file=/dev/null", *cmd],
        capture_output=True,
        text=True,
        check=False,
    )
    for line in p.stderr.splitlines():
        if "Collected :" in line:
            return int(line.rsplit(":", 1)[1])
    raise SystemExit(f"callgrind gave no count for {cmd}: {p.stderr[-400:]}")


if __name__ == "__main__":
    sys.exit(main())
