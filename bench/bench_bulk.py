"""Bulk benchmark (run by hand; figures go in the issue notes).

    python bench/bench_bulk.py --sizes 1000 10000 100000 [--jobs 2] [--work /tmp/bench-bulk]

For each size: generate homes (bench/gen_homes.py), then time a dry run with full reports
(`sbatch-migrate bulk ROOT --report-dir R --no-cache`), sample the peak memory of the
whole process tree (main + workers, summed PSS, from /proc) in one more run that is not
timed (sampling costs CPU), and time a cached re-run (in rounds: a first run fills an
empty cache, the second reads it; the median of the rounds' ratios).  Up to 10k files it also runs shellcheck
(Debian package) over the same job scripts, in batches of 100, one batch per core, right
after each of our runs (in rounds: this VM has slower and faster spells lasting many
seconds, and a round's two runs see the same one), and prints the median of the rounds'
ratios, per job script and in files/s over the whole tree.  With --floor each round also
times the run with the rules switched off: what the pipeline costs before any rule runs
(the most any change to the rules alone could reach).  Timings up to 10k files are
medians of --repeat rounds; every tree is read once first, so that all runs see a warm
page cache.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import shutil
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from bench.gen_homes import generate


def tree_rss_kb(pid: int) -> int:
    """Memory of the process tree under ``pid`` (KiB): :func:`tree_pss_kb`'s total."""
    return tree_pss_kb(pid)[0]


def tree_pss_kb(pid: int) -> tuple[int, int, int]:
    """Memory of the process tree under ``pid`` (KiB), and of ``pid`` alone and of its
    largest descendant (a worker): the sum of each process's
    proportional set size (PSS), so that pages the forked workers share with the main
    process, or a child shares between its fork and its exec, count once, not once per
    process as a sum of RSS would (a worker starting ``bash -n`` showed as 20 MB more); a child between its vfork and
    its exec still counts twice for that instant."""
    page_kb = os.sysconf("SC_PAGE_SIZE") // 1024
    children: dict[int, list[int]] = {}
    parents: dict[int, int] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as fh:
                parents[int(entry)] = int(fh.read().rsplit(")", 1)[1].split()[1])
        except (OSError, IndexError, ValueError):
            continue
    for child, parent in parents.items():
        children.setdefault(parent, []).append(child)
    main = _pss_kb(pid, page_kb)
    total, largest, stack = main, 0, list(children.get(pid, []))
    while stack:
        p = stack.pop()
        pss = _pss_kb(p, page_kb)
        total += pss
        largest = max(largest, pss)
        stack.extend(children.get(p, []))
    return total, main, largest


def _pss_kb(pid: int, page_kb: int) -> int:
    try:
        with open(f"/proc/{pid}/smaps_rollup") as fh:
            for line in fh:
                if line.startswith("Pss:"):
                    return int(line.split()[1])
        with open(f"/proc/{pid}/statm") as fh:  # no smaps_rollup (kernel < 4.14): RSS
            return int(fh.read().split()[1]) * page_kb
    except (OSError, IndexError, ValueError):
        return 0
    return 0


Peaks = tuple[int, int, int]  # KiB: the process tree, the main process, the largest worker


def timed(cmd: list[str], sample_memory: bool = False) -> tuple[float, Peaks, subprocess.CompletedProcess[str]]:
    """Seconds, and with ``sample_memory`` the peak memory (PSS, KiB) of the process tree,
    of the main process and of the largest worker (each its own peak).  Sampling
    reads all of /proc every 50 ms: that costs CPU on a 2-core machine, so a run whose time
    counts is not sampled."""
    t0 = time.perf_counter()
    proc = subprocess.Popen(
        cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=dict(os.environ, CI="true")
    )
    peak = (0, 0, 0)
    stop = threading.Event()
    if not sample_memory:
        out, err = proc.communicate()
        return time.perf_counter() - t0, peak, subprocess.CompletedProcess(cmd, proc.returncode, out, err)

    def sample() -> None:
        nonlocal peak
        while not stop.is_set():
            now = tree_pss_kb(proc.pid)
            peak = (max(peak[0], now[0]), max(peak[1], now[1]), max(peak[2], now[2]))
            time.sleep(0.05)

    t = threading.Thread(target=sample, daemon=True)
    t.start()
    out, err = proc.communicate()
    stop.set()
    t.join()
    return time.perf_counter() - t0, peak, subprocess.CompletedProcess(cmd, proc.returncode, out, err)


def warm(root: Path) -> int:
    """Read every file once so that every tool is timed on a warm page cache (a tree
    generated in an earlier session is on disk only); returns the file count."""
    count = 0
    for folder, _, names in os.walk(root):
        for name in names:
            count += 1
            path = os.path.join(folder, name)
            if not os.path.islink(path):
                with open(path, "rb") as fh:
                    fh.read()
    return count


def median(xs: list[float]) -> float:
    return statistics.median(xs)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--sizes", type=int, nargs="+", default=[1000, 10000, 100000])
    ap.add_argument("--jobs", type=int, default=os.cpu_count() or 1)
    ap.add_argument("--repeat", type=int, default=5, help="rounds per measurement up to 10k files (medians)")
    ap.add_argument("--work", type=Path, default=Path("/tmp/bench-bulk"))
    ap.add_argument(
        "--floor",
        action="store_true",
        help="also time, in each round, the same run with the rules switched off (only SM903, which "
        "reads no facts of its own): what walking, reading, parsing, fact extraction, records and "
        "reports cost before any rule runs",
    )
    args = ap.parse_args()
    tool = [sys.executable, "-m", "sbatch_migrate", "bulk"]
    for size in args.sizes:
        root = args.work / f"homes-{size}"
        if not root.exists():
            t0 = time.perf_counter()
            generate(root, users=max(10, size // 100), files=size, seed=size)
            print(f"generated {size} files in {time.perf_counter() - t0:.1f}s")
        files = warm(root)
        report = args.work / f"report-{size}"
        repeat = args.repeat if size <= 10000 else 1
        shellcheck = shutil.which("shellcheck") if size <= 10000 else None
        runs: list[float] = []
        peaks: list[Peaks] = []
        sc_runs: list[float] = []
        floor_runs: list[float] = []
        scripts: list[str] = []
        # rounds of one sbatch-migrate run then one shellcheck run: this VM has slower and
        # faster spells lasting many seconds, and each round's ratio sees the same spell
        for _ in range(repeat):
            cmd = [*tool, str(root), "--jobs", str(args.jobs), "--no-cache", "--report-dir", str(report)]
            if args.floor:  # in the same round as the shellcheck run it is compared with
                shutil.rmtree(report, ignore_errors=True)
                secs, _, p = timed([*cmd, "--select", "SM903"])
                assert p.returncode == 0, p.stderr
                floor_runs.append(secs)
            shutil.rmtree(report, ignore_errors=True)
            secs, _, p = timed(cmd)
            assert p.returncode == 0, p.stderr
            runs.append(secs)
            if shellcheck:
                scripts = scripts or [
                    json.loads(x)["path"]
                    for x in (report / "files.jsonl").read_text().splitlines()
                    if '"findings"' in x
                ]
                t0 = time.perf_counter()
                subprocess.run(
                    ["xargs", "-0", "-n", "100", "-P", str(args.jobs), shellcheck, "-f", "json", "-S", "style"],
                    input="\0".join(scripts).encode(),
                    capture_output=True,
                    check=False,
                )
                sc_runs.append(time.perf_counter() - t0)
        shutil.rmtree(report, ignore_errors=True)
        _, peak, p = timed(cmd, sample_memory=True)  # one more run, for its memory only
        assert p.returncode == 0, p.stderr
        peaks.append(peak)
        secs = median(runs)
        summary = json.loads((report / "summary.json").read_text())
        jobs = summary["job_scripts"]
        print(
            f"{files} files ({jobs} job scripts): dry run with reports, median of {repeat}: {secs:.2f}s "
            f"(runs {', '.join(f'{r:.2f}' for r in runs)}) = {files / secs:,.0f} files/s, "
            f"{jobs / secs:,.0f} job scripts/s; peak memory (PSS) of the process tree {max(peaks)[0] / 1024:.0f} MB "
            f"(main process {max(x[1] for x in peaks) / 1024:.0f} MB, "
            f"largest worker {max(x[2] for x in peaks) / 1024:.0f} MB)"
        )
        if shellcheck:
            sc = median(sc_runs)
            sc_rate = len(scripts) / sc
            # copies are migrated once a worker (bulk/memo.py), shellcheck checks each: say how many
            distinct = len({hashlib.sha256(Path(s).read_bytes()).digest() for s in scripts})
            print(f"  the job scripts hold {distinct} distinct contents ({len(scripts) - distinct} are copies)")
            print(
                f"shellcheck over the same {len(scripts)} job scripts (batches of 100, {args.jobs} at a time), "
                f"median of {repeat}: {sc:.2f}s (runs {', '.join(f'{r:.2f}' for r in sc_runs)}) = "
                f"{sc_rate:,.0f} files/s"
            )
            per_round = [s / r for r, s in zip(runs, sc_runs, strict=True)]  # shellcheck time / ours, per script
            print(
                f"  => per job script, median of the {repeat} rounds' ratios: {median(per_round):.1f}x shellcheck "
                f"(rounds {', '.join(f'{x:.1f}' for x in per_round)}); "
                f"files/s over every file of the tree: {median(per_round) * files / jobs:.1f}x"
            )
            if floor_runs:
                floor = [s / r for r, s in zip(floor_runs, sc_runs, strict=True)]
                print(
                    f"  rules switched off (--select SM903), median of {repeat}: {median(floor_runs):.2f}s "
                    f"(runs {', '.join(f'{r:.2f}' for r in floor_runs)}) = {median(floor):.1f}x shellcheck per "
                    "job script: the ceiling of this pipeline before any rule runs"
                )
        # in rounds, each a first run into an empty cache then a re-run over it (one spell
        # of the machine touches both): the median of the rounds' ratios
        cache = args.work / f"cache-{size}"
        cached = [*tool, str(root), "--jobs", str(args.jobs), "--cache-dir", str(cache), "--report-dir", str(report)]
        firsts, agains = [], []
        for _ in range(repeat):
            shutil.rmtree(cache, ignore_errors=True)
            firsts.append(timed(cached)[0])
            agains.append(timed(cached)[0])
        ratios = [f / a for f, a in zip(firsts, agains, strict=True)]
        print(
            f"cache: first run {median(firsts):.2f}s, re-run over the unchanged tree {median(agains):.2f}s "
            f"(medians of {repeat} rounds); per round {', '.join(f'{r:.1f}' for r in ratios)}: "
            f"{median(ratios):.1f}x faster (median)"
        )


if __name__ == "__main__":
    main()
