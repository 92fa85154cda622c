"""Where a parallel bulk run's workers spend their time (run by hand; figures go in the
notes): the diagnostic behind the scaling target (2 cores against 1).

    python bench/bench_parts.py ROOT [-j 2] [--rounds 3] [--cache-dir DIR]

Each round is a dry run with full reports (``--no-cache`` unless ``--cache-dir`` is given)
in this process, with each worker timing every part it does and every result it sends
back.  Per worker it prints the parts done, the time inside them (busy), the time
between them (idle: sending a result, waiting for and reading the next part), of which
sending results, and the longest waits; and the CPU time of the main process.  A worker
idle for long stretches points at the hand-out (the main process takes results in
order); idle spread thinly over every part points at the per-part cost.
"""

from __future__ import annotations

import argparse
import os
import resource
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sbatch_migrate.bulk import campaign, pyreader
from sbatch_migrate.bulk.pool import Pipe
from sbatch_migrate.checks import RULES
from sbatch_migrate.profile import load

_LOG = {"dir": ""}  # where each worker appends its rows (set before the pool forks)
_walk_part = campaign.walk_part
_send_bytes = Pipe.send_bytes
_ask = pyreader._ask
_MAIN = os.getpid()


def walk_part(*args: Any, **kwargs: Any) -> campaign.Part:
    start = time.perf_counter()
    part = _walk_part(*args, **kwargs)
    with open(os.path.join(_LOG["dir"], str(os.getpid())), "a") as fh:
        fh.write(f"part {start:.6f} {time.perf_counter():.6f}\n")
    return part


def send_bytes(conn: Pipe, *args: Any, **kwargs: Any) -> None:
    """A worker's send of a result (the pool's workers write to their result pipe only)."""
    if os.getpid() == _MAIN:
        _send_bytes(conn, *args, **kwargs)
        return
    start = time.perf_counter()
    _send_bytes(conn, *args, **kwargs)
    with open(os.path.join(_LOG["dir"], str(os.getpid())), "a") as fh:
        fh.write(f"send {start:.6f} {time.perf_counter():.6f}\n")


def ask(data: bytes, plan: Any) -> Any:
    """A worker's wait for the Python reader (bulk/pyreader.py)."""
    start = time.perf_counter()
    facts = _ask(data, plan)
    with open(os.path.join(_LOG["dir"], str(os.getpid())), "a") as fh:
        fh.write(f"ask {start:.6f} {time.perf_counter():.6f}\n")
    return facts


def one_round(root: str, jobs: int, cache: str | None) -> None:
    with tempfile.TemporaryDirectory() as work:
        _LOG["dir"] = os.path.join(work, "log")
        os.mkdir(_LOG["dir"])
        opts = campaign.Options(
            roots=[root],
            profile=load(),
            rules=list(RULES),
            jobs=jobs,
            report_dir=Path(work) / "report",
            cache_dir=Path(cache) if cache else None,
        )
        cpu = resource.getrusage(resource.RUSAGE_SELF)
        start = time.perf_counter()
        campaign.run(opts)
        wall = time.perf_counter() - start
        after = resource.getrusage(resource.RUSAGE_SELF)
        main_cpu = after.ru_utime + after.ru_stime - cpu.ru_utime - cpu.ru_stime
        print(f"run {wall:.2f} s, main process {main_cpu:.2f} CPU-s")
        for name in sorted(os.listdir(_LOG["dir"])):
            rows = [line.split() for line in open(os.path.join(_LOG["dir"], name))]
            parts = [(float(a), float(b)) for kind, a, b in rows if kind == "part"]
            sends = [float(b) - float(a) for kind, a, b in rows if kind == "send"]
            asks = [float(b) - float(a) for kind, a, b in rows if kind == "ask"]
            if not parts:  # the process that reads Python files for the workers
                print(f"  Python reader {name}: {len(sends)} files answered")
                continue
            busy = sum(b - a for a, b in parts)
            waits = sorted((parts[i + 1][0] - parts[i][1] for i in range(len(parts) - 1)), reverse=True)
            longest = ", ".join(f"{w * 1e3:.0f}" for w in waits[:3])
            long = [w for w in waits if w >= 0.005]
            # when the waits of 20 ms or more began (s into the run): a worker that ran dry
            gaps = [(parts[i][1] - start, parts[i + 1][0] - parts[i][1]) for i in range(len(parts) - 1)]
            when = ", ".join(f"{t:.2f} s ({w * 1e3:.0f} ms)" for t, w in gaps if w >= 0.02)
            where = "worker" if name != str(os.getpid()) else "in process"
            print(
                f"  {where} {name}: {len(parts)} parts, busy {busy:.2f} s, idle between parts {sum(waits):.2f} s "
                f"(sending results {sum(sends):.2f} s; {len(long)} waits of 5 ms or more, {sum(long):.2f} s; "
                f"longest {longest} ms), "
                + (f"waiting for the Python reader {sum(asks):.2f} s ({len(asks)} files), " if asks else "")
                + f"first part at {parts[0][0] - start:.3f} s, last done {parts[-1][1] - start:.3f} s"
            )
            if when:
                print(f"    waits of 20 ms or more at {when}")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("root")
    ap.add_argument("-j", "--jobs", type=int, default=2)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--cache-dir", help="a cache folder (filled by a first round: the rounds after it are cached)")
    a = ap.parse_args()
    campaign.walk_part = walk_part  # the workers fork with these in place
    Pipe.send_bytes = send_bytes  # type: ignore[method-assign, assignment]
    pyreader._ask = ask
    root = os.path.abspath(a.root)
    for _ in range(a.rounds):
        one_round(root, a.jobs, a.cache_dir)


if __name__ == "__main__":
    main()
