"""Benchmarks for the core transpiler (run by hand; figures go in the issue notes).

    python bench/bench_core.py [--runs 20] [--seconds 5]

1. single-file wall time of ``sbatch-migrate examples/hello_twcc.sh`` (a fresh process
   each time, as a user runs it): median and max over --runs runs; target <= 150 ms.
2. in-process throughput of ``migrate()`` over the corpus shell scripts, one core; target
   >= 2,000 scripts/s (and, separately, over the corpus Python files, which go through libcst).
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def single_file(runs: int) -> list[float]:
    exe = shutil.which("sbatch-migrate") or str(Path(sys.executable).parent / "sbatch-migrate")
    example = ROOT / "examples" / "hello_twcc.sh"
    # as an installed tool runs: with its bytecode cached (this machine sets
    # PYTHONDONTWRITEBYTECODE, which would make every run compile every module)
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    subprocess.run([exe, str(example)], check=True, capture_output=True, env=env)  # writes the bytecode
    times = []
    for _ in range(runs):
        t0 = time.perf_counter()
        subprocess.run([exe, str(example)], check=True, capture_output=True, env=env)
        times.append(time.perf_counter() - t0)
    return times


def throughput(seconds: float, python: bool = False) -> tuple[int, float, int]:
    from sbatch_migrate.fix.engine import migrate
    from sbatch_migrate.profile import load
    from sbatch_migrate.read.source import Source

    profile = load()
    inputs = []
    for case in sorted((ROOT / "corpus").iterdir()):
        for p in case.iterdir():
            if p.name.startswith("input.") and (p.suffix == ".py") == python:
                inputs.append((str(p), p.read_bytes()))
    for path, data in inputs:  # warm caches (parser, queries, option tables)
        migrate(Source.from_bytes(data, path), profile)
    done = 0
    total_bytes = 0
    t0 = time.perf_counter()
    while time.perf_counter() - t0 < seconds:
        for path, data in inputs:
            migrate(Source.from_bytes(data, path), profile)
            total_bytes += len(data)
        done += len(inputs)
    return done, time.perf_counter() - t0, total_bytes // max(done, 1)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=20)
    ap.add_argument("--seconds", type=float, default=5.0)
    args = ap.parse_args()
    if hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {sorted(os.sched_getaffinity(0))[0]})  # one core
    times = single_file(args.runs)
    print(
        f"single file (fresh process): median {statistics.median(times) * 1000:.1f} ms, "
        f"min {min(times) * 1000:.1f} ms, max {max(times) * 1000:.1f} ms over {args.runs} runs"
    )
    done, elapsed, avg = throughput(args.seconds)
    print(
        f"in-process throughput (one core): {done / elapsed:,.0f} scripts/s "
        f"({done} corpus shell scripts in {elapsed:.2f} s, {avg} bytes on average)"
    )
    done, elapsed, avg = throughput(args.seconds, python=True)
    print(
        f"Python launchers (libcst): {done / elapsed:,.0f} files/s "
        f"({done} corpus Python files in {elapsed:.2f} s, {avg} bytes on average)"
    )


if __name__ == "__main__":
    main()
