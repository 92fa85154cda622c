"""Bulk benchmark (run by hand; figures go in the issue notes).

    python bench/bench_bulk.py --sizes 1000 10000 100000 [--jobs 2] [--work /tmp/bench-bulk]

For each size: generate homes (bench/gen_homes.py), then time a dry run with full reports
(`sbatch-migrate bulk ROOT --report-dir R --no-cache`) and sample the peak memory of the
whole process tree (main + workers, summed RSS, from /proc), and a cached re-run (a first
run fills the cache, the second reads it).  Up to 10k files it also runs shellcheck
(Debian package) over the same job scripts, in batches of 50, two at a time on the two
cores.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from bench.gen_homes import generate


def tree_rss_kb(pid: int) -> int:
    children: dict[int, list[int]] = {}
    rss: dict[int, int] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as fh:
                fields = fh.read().rsplit(")", 1)[1].split()
            ppid = int(fields[1])
            with open(f"/proc/{entry}/statm") as fh:
                rss[int(entry)] = int(fh.read().split()[1]) * (os.sysconf("SC_PAGE_SIZE") // 1024)
        except (OSError, IndexError, ValueError):
            continue
        children.setdefault(ppid, []).append(int(entry))
    total, stack = 0, [pid]
    while stack:
        p = stack.pop()
        total += rss.get(p, 0)
        stack.extend(children.get(p, []))
    return total


def timed(cmd: list[str]) -> tuple[float, int, subprocess.CompletedProcess[str]]:
    t0 = time.perf_counter()
    proc = subprocess.Popen(
        cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=dict(os.environ, CI="true")
    )
    peak = 0
    stop = threading.Event()

    def sample() -> None:
        nonlocal peak
        while not stop.is_set():
            peak = max(peak, tree_rss_kb(proc.pid))
            time.sleep(0.05)

    t = threading.Thread(target=sample, daemon=True)
    t.start()
    out, err = proc.communicate()
    stop.set()
    t.join()
    return time.perf_counter() - t0, peak, subprocess.CompletedProcess(cmd, proc.returncode, out, err)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--sizes", type=int, nargs="+", default=[1000, 10000, 100000])
    ap.add_argument("--jobs", type=int, default=os.cpu_count() or 1)
    ap.add_argument("--work", type=Path, default=Path("/tmp/bench-bulk"))
    args = ap.parse_args()
    tool = [sys.executable, "-m", "sbatch_migrate", "bulk"]
    for size in args.sizes:
        root = args.work / f"homes-{size}"
        if not root.exists():
            t0 = time.perf_counter()
            generate(root, users=max(10, size // 100), files=size, seed=size)
            print(f"generated {size} files in {time.perf_counter() - t0:.1f}s")
        files = sum(len(f) for _, _, f in os.walk(root))
        report = args.work / f"report-{size}"
        shutil.rmtree(report, ignore_errors=True)
        secs, peak, p = timed([*tool, str(root), "--jobs", str(args.jobs), "--no-cache", "--report-dir", str(report)])
        assert p.returncode == 0, p.stderr
        summary = json.loads((report / "summary.json").read_text())
        print(
            f"{files} files ({summary['job_scripts']} job scripts): dry run with reports {secs:.2f}s = "
            f"{files / secs:,.0f} files/s, {summary['job_scripts'] / secs:,.0f} job scripts/s; "
            f"peak RSS of the process tree {peak / 1024:.0f} MB"
        )
        if size <= 10000:
            scripts = [
                json.loads(x)["path"] for x in (report / "files.jsonl").read_text().splitlines() if '"findings"' in x
            ]
            shellcheck = shutil.which("shellcheck")
            if shellcheck:
                t0 = time.perf_counter()
                subprocess.run(
                    ["xargs", "-0", "-n", "50", "-P", str(args.jobs), shellcheck, "-f", "json", "-S", "style"],
                    input="\0".join(scripts).encode(),
                    capture_output=True,
                    check=False,
                )
                sc = time.perf_counter() - t0
                print(
                    f"shellcheck over the same {len(scripts)} job scripts ({args.jobs} at a time): {sc:.2f}s = "
                    f"{len(scripts) / sc:,.0f} scripts/s; sbatch-migrate is "
                    f"{(summary['job_scripts'] / secs) / (len(scripts) / sc):.1f}x faster per job script "
                    "(and also walked, filtered and reported every other file)"
                )
        cache = args.work / f"cache-{size}"
        shutil.rmtree(cache, ignore_errors=True)
        first, _, _ = timed(
            [*tool, str(root), "--jobs", str(args.jobs), "--cache-dir", str(cache), "--report-dir", str(report)]
        )
        second, _, _ = timed(
            [*tool, str(root), "--jobs", str(args.jobs), "--cache-dir", str(cache), "--report-dir", str(report)]
        )
        print(
            f"cache: first run {first:.2f}s, re-run over the unchanged tree {second:.2f}s "
            f"({first / second:.1f}x faster)"
        )


if __name__ == "__main__":
    main()
