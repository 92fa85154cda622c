"""Instructions per job script, phase by phase (run by hand; needs valgrind).

    python bench/instructions.py [--scripts 300] [PHASE ...]

Wall-clock timings on a shared VM move by 10% from run to run; the number of machine
instructions does not.  This runs the engine under ``valgrind --tool=callgrind`` once with
no script and once per phase with N scripts (job scripts made by bench/gen_homes.py from
the corpus, fixed seed), and prints the difference divided by N: instructions per script
for each phase, cumulative (``collect`` includes ``parse``; ``full`` is what a bulk worker
does per job script: migrate, then the record as JSON).  Compare two checkouts with the
same command to see what a change costs; 1M instructions is about 100-150 us here.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import re
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PHASES = ("source", "parse", "analyse", "scan", "collect", "rules", "migrate", "full")


def scripts(n: int) -> list[tuple[str, bytes]]:
    sys.path.insert(0, str(ROOT))
    from bench.gen_homes import job_script, templates

    rng = random.Random(1)
    tpl = templates()
    return [(f"/home/u{1000001 + i % 50}/job{i}.sh", job_script(rng, tpl, f"u{1000001 + i % 50}")) for i in range(n)]


def child(phase: str, n: int) -> None:
    """The measured loop (run under valgrind)."""
    sys.path.insert(0, str(ROOT))
    from sbatch_migrate.checks import RULES
    from sbatch_migrate.fix.engine import _instances, migrate
    from sbatch_migrate.model.context import Context
    from sbatch_migrate.model.facts import collect
    from sbatch_migrate.output.report import file_dict
    from sbatch_migrate.profile import load
    from sbatch_migrate.read import directives, shell
    from sbatch_migrate.read.source import Source

    profile = load()
    inputs = scripts(max(n, 20))
    for path, data in inputs[:20]:  # warm every lazy cache (parser, query, tables, rules)
        json.dumps(file_dict(migrate(Source.from_bytes(data, path), profile), path))
    rules = _instances(tuple(RULES))
    for path, data in inputs[:n]:
        if phase == "source":
            _ = Source.from_bytes(data, path).parse_bytes
        elif phase == "parse":
            shell.parse(Source.from_bytes(data, path).parse_bytes)
        elif phase == "analyse":
            shell.analyse(Source.from_bytes(data, path).parse_bytes)
        elif phase == "scan":
            directives.scan(Source.from_bytes(data, path).parse_bytes)
        elif phase == "collect":
            collect(Source.from_bytes(data, path))
        elif phase == "rules":
            ctx = Context(collect(Source.from_bytes(data, path)), profile)
            for rule in rules:
                for _ in rule.check(ctx):
                    pass
        elif phase == "migrate":
            migrate(Source.from_bytes(data, path), profile)
        else:
            json.dumps(file_dict(migrate(Source.from_bytes(data, path), profile), path))


def count(phase: str, n: int) -> int:
    env = dict(os.environ, PYTHONHASHSEED="0")
    env.pop("PYTHONDONTWRITEBYTECODE", None)  # bytecode written by the warm-up run below
    valgrind = ["valgrind", "--tool=callgrind", "--callgrind-out-file=/dev/null"]
    p = subprocess.run(
        [*valgrind, sys.executable, __file__, "--child", phase, "--scripts", str(n)],
        capture_output=True,
        text=True,
        env=env,
        check=True,
    )
    m = re.search(r"Collected : (\d+)", p.stderr)
    assert m, p.stderr[-2000:]
    return int(m.group(1))


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("phases", nargs="*", metavar="PHASE", help=f"one or more of {', '.join(PHASES)} (default: full)")
    ap.add_argument("--scripts", type=int, default=300)
    ap.add_argument("--child", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.child:
        child(args.child, args.scripts)
        return
    unknown = [p for p in args.phases if p not in PHASES]
    if unknown:
        ap.error(f"unknown phase {unknown[0]}: choose from {', '.join(PHASES)}")
    if not shutil.which("valgrind"):
        sys.exit("valgrind is not installed (apt-get install valgrind)")
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    subprocess.run([sys.executable, __file__, "--child", "full", "--scripts", "1"], check=True, env=env)
    base = count("full", 0)
    for phase in args.phases or ["full"]:
        per = (count(phase, args.scripts) - base) / args.scripts
        print(f"{phase:8s} {per / 1e6:6.3f} M instructions per script")


if __name__ == "__main__":
    main()
