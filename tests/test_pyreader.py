"""The process that reads Python with libcst for every bulk worker (bulk/pyreader.py).

Each case runs in an interpreter of its own, where libcst is not imported yet (this test
process may have imported it): the reader is started only then, and whether a worker
imported libcst itself is what several cases check."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
LAUNCHERS = sorted(p for p in (ROOT / "corpus").glob("py_*/input.py"))

# the scenario's harness: a reader, a pool of workers attached to it, each worker reading
# the launchers and saying whether it imported libcst itself
HARNESS = textwrap.dedent(
    """
    import json, os, pickle, signal, sys
    from sbatch_migrate.bulk import pyreader
    from sbatch_migrate.bulk.pool import Pool
    from sbatch_migrate.read import pyfront

    SCENARIO = sys.argv[1]
    FILES = [open(p, "rb").read() for p in sys.argv[2:]]
    if SCENARIO == "raises":
        real_read = pyfront.read

        def read(data, plan):
            if b"RAISE-HERE" in data:
                raise ValueError("read failed on purpose")
            return real_read(data, plan)

        pyfront.read = read  # the reader forks with it in place
    if SCENARIO == "dies-serving":
        real_read, real_serve = pyfront.read, pyreader._serve
        IN_READER = []

        def serve(ctl):
            IN_READER.append(True)
            real_serve(ctl)

        def read(data, plan):
            if IN_READER and b"KILL-READER" in data:
                os.kill(os.getpid(), signal.SIGKILL)  # as a crash in libcst's parser would
            return real_read(data, plan)

        pyfront.read, pyreader._serve = read, serve
    if SCENARIO == "queued":
        pyreader.QUEUED_LIMIT = -1.0  # any wait at all is too long: read here after one answer

    def facts(data):
        try:
            return pickle.dumps(pyfront.analyse(data))
        except ValueError as exc:
            return repr(exc).encode()

    def facts_of(i):
        return facts(FILES[i]), "libcst" in sys.modules, pyfront.reader is not None, os.getpid()

    def all_of(pool):
        tickets = [pool.submit(facts_of, i) for i in range(len(FILES))]  # both workers take some
        return [pool.result(t) for t in tickets]

    assert "libcst" not in sys.modules
    held = open(__file__, "rb")  # the run's files: open before the reader forks, on both
    os.dup2(held.fileno(), 60)  # sides of the number its socket gets
    reader = pyreader.start(2 * pyreader.WORKERS)
    assert reader is not None
    pool = Pool(2, pyreader.attach)
    first = all_of(pool)
    out = {"reader_fds": sorted(os.listdir(f"/proc/{reader.pid}/fd"))}
    out["workers"] = len({pid for *_, pid in first})
    if SCENARIO == "killed":
        os.kill(reader.pid, signal.SIGKILL)
    again = all_of(pool)
    pool.close()
    reader.close()  # returns once the reader has ended (it sees every holder gone)
    expected = [facts(d) for d in FILES]  # libcst here, only now
    out["first_equal"] = [f == e for (f, *_), e in zip(first, expected)]
    out["again_equal"] = [f == e for (f, *_), e in zip(again, expected)]
    out["first_libcst"] = [x for _, x, _, _ in first]
    out["again_libcst"] = [x for _, x, _, _ in again]
    out["again_asking"] = [x for _, _, x, _ in again]
    out["raised"] = [f.decode() for f, *_ in first if f.startswith(b"ValueError")]
    print(json.dumps(out))
    """
)


def scenario(tmp_path: Path, name: str, files: list[Path]) -> dict:  # type: ignore[type-arg]
    script = tmp_path / "harness.py"
    script.write_text(HARNESS)
    done = subprocess.run(
        [sys.executable, str(script), name, *map(str, files)],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=ROOT,
    )
    assert done.returncode == 0, done.stderr
    out: dict = json.loads(done.stdout)  # type: ignore[type-arg]
    return out


def test_the_workers_read_python_through_the_reader_and_never_import_libcst(tmp_path: Path) -> None:
    assert len(LAUNCHERS) >= 4
    out = scenario(tmp_path, "answers", LAUNCHERS)
    assert all(out["first_equal"]) and all(out["again_equal"])
    assert not any(out["first_libcst"]) and not any(out["again_libcst"])
    # it holds nothing of the run: stdin, stdout, stderr, its socket and a connection from
    # each worker
    assert out["workers"] == 2
    assert len(out["reader_fds"]) == 3 + 1 + 2, out["reader_fds"]


def test_a_worker_whose_reader_died_reads_python_itself(tmp_path: Path) -> None:
    out = scenario(tmp_path, "killed", LAUNCHERS)
    assert all(out["first_equal"]) and all(out["again_equal"])
    assert not any(out["first_libcst"])
    assert any(out["again_libcst"]) and not any(out["again_asking"])


def test_a_reader_that_dies_reading_a_file_costs_nothing_but_the_import(tmp_path: Path) -> None:
    """The worker waiting for it reads that file itself, and every file after."""
    bad = tmp_path / "crash.py"
    bad.write_text('import subprocess\n# KILL-READER\nsubprocess.run(["sbatch", "job.sh"])\n')
    out = scenario(tmp_path, "dies-serving", [*LAUNCHERS[:2], bad, *LAUNCHERS[2:]])
    assert all(out["first_equal"]) and all(out["again_equal"])
    assert all(out["again_libcst"]) and not any(out["again_asking"])


def test_a_worker_that_waited_too_long_behind_others_reads_python_itself(tmp_path: Path) -> None:
    out = scenario(tmp_path, "queued", LAUNCHERS)
    assert all(out["first_equal"]) and all(out["again_equal"])
    assert all(out["again_libcst"]) and not any(out["again_asking"])


def test_an_exception_reading_a_file_is_raised_in_the_worker(tmp_path: Path) -> None:
    bad = tmp_path / "bad.py"
    bad.write_text('import subprocess\n# RAISE-HERE\nsubprocess.run(["sbatch", "job.sh"])\n')
    out = scenario(tmp_path, "raises", [bad, *LAUNCHERS[:2]])
    assert out["raised"] == ["ValueError('read failed on purpose')"]
    assert all(out["first_equal"])  # and the reader serves the next files
    assert not any(out["first_libcst"])


BULK = textwrap.dedent(
    """
    import json, os, sys
    from pathlib import Path
    from sbatch_migrate.bulk import campaign
    from sbatch_migrate.checks import RULES
    from sbatch_migrate.profile import load

    root, report, jobs, log = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4]
    walk_part = campaign.walk_part

    def logged(*args, **kwargs):
        part = walk_part(*args, **kwargs)
        with open(os.path.join(log, str(os.getpid())), "a") as fh:
            fh.write(json.dumps("libcst" in sys.modules) + "\\n")
        return part

    campaign.walk_part = logged  # the workers fork with it in place
    opts = campaign.Options(roots=[root], profile=load(), rules=list(RULES), jobs=jobs, report_dir=Path(report))
    campaign.run(opts)
    """
)


@pytest.mark.parametrize("jobs", [3, 4])
def test_bulk_with_a_reader_records_what_one_process_records(tmp_path: Path, jobs: int) -> None:
    """The run's records are the same with a reader as in one process, and the workers
    did not import libcst (the reader read the launchers)."""
    root = tmp_path / "home"
    for user in range(3):
        for i, src in enumerate(LAUNCHERS):
            where = root / f"u{user}" / f"d{i % 3}"
            where.mkdir(parents=True, exist_ok=True)
            shutil.copy(src, where / f"{src.parent.name}.py")
        shutil.copy(ROOT / "examples" / "hello_twcc.sh", root / f"u{user}" / "job.sh")
    script = tmp_path / "bulk.py"
    script.write_text(BULK)
    runs = {}
    for n in (1, jobs):
        log = tmp_path / f"log{n}"
        log.mkdir()
        report = tmp_path / f"report{n}"
        done = subprocess.run(
            [sys.executable, str(script), str(root), str(report), str(n), str(log)],
            capture_output=True,
            text=True,
            timeout=300,
            cwd=ROOT,
        )
        assert done.returncode == 0, done.stderr
        runs[n] = (report / "files.jsonl").read_text()
        if n > 1:
            seen = [json.loads(line) for f in log.iterdir() for line in f.read_text().splitlines()]
            assert seen and not any(seen), "a worker imported libcst itself"
    assert runs[1] == runs[jobs]
    assert runs[1].count('"path"') == 3 * (len(LAUNCHERS) + 1)


ORPHAN = textwrap.dedent(
    """
    import os, sys
    from sbatch_migrate.bulk import pyreader
    from sbatch_migrate.bulk.pool import Pool, call
    from sbatch_migrate.read import pyfront

    def read(path):
        return pyfront.analyse(open(path, "rb").read()) is not None

    reader = pyreader.start(2 * pyreader.WORKERS)
    pool = Pool(2, pyreader.attach)
    assert call(pool, read, sys.argv[1])
    print(reader.pid, flush=True)
    os._exit(0)  # the main process dies: nothing is closed
    """
)


def test_the_reader_ends_when_the_main_process_and_the_workers_are_gone(tmp_path: Path) -> None:
    script = tmp_path / "orphan.py"
    script.write_text(ORPHAN)
    done = subprocess.run(
        [sys.executable, str(script), str(LAUNCHERS[0])], capture_output=True, text=True, timeout=60, cwd=ROOT
    )
    assert done.returncode == 0, done.stderr
    pid = int(done.stdout)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
        except FileNotFoundError:
            return  # gone (reaped)
        if state == "Z":
            return  # ended (nobody reaps orphans in this container)
        time.sleep(0.05)
    pytest.fail(f"the reader {pid} is still running")


def test_no_reader_for_few_workers_nor_where_libcst_is_imported_already() -> None:
    from sbatch_migrate.bulk import pyreader

    assert pyreader.start(pyreader.WORKERS - 1) is None
    import libcst  # noqa: F401  (the workers would inherit it)

    assert pyreader.start(pyreader.WORKERS) is None


def test_no_reader_where_the_sockets_cannot_be_made() -> None:
    """A system without Unix seqpacket socket pairs: the workers read Python themselves."""
    code = (
        "import socket, sys\n"
        "from sbatch_migrate.bulk import pyreader\n"
        "def refuse(*args, **kwargs):\n"
        "    raise OSError(94, 'Socket type not supported')\n"
        "socket.socketpair = refuse\n"
        "print(pyreader.start(8), 'libcst' in sys.modules)\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60, cwd=ROOT)
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["None", "False"]
