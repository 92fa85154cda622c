"""The bulk workers' pool (sbatch_migrate/bulk/pool.py): results by ticket, a call's
exception back in the main process, a dead worker costing only its own calls, large calls
and results passing both ways at once, and close() not starting the calls left."""

from __future__ import annotations

import os
import signal
import struct
import subprocess
import sys
import time
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sbatch_migrate.bulk.pool import Pool, WorkerDied, call

_STATE: dict[str, str] = {}


def _init(tag: str) -> None:
    _STATE["tag"] = tag


def echo(x: object) -> tuple[str, int, object]:
    return _STATE["tag"], os.getpid(), x


def boom(text: str) -> None:
    raise ValueError(text)


def sleep_then(seconds: float, x: object) -> object:
    time.sleep(seconds)
    return x


def mark(folder: str, name: str, seconds: float) -> str:
    Path(folder, name).write_text("ran")
    time.sleep(seconds)
    return name


def blob(n: int, payload: bytes) -> bytes:
    return payload[:1] * n


class Unpicklable(Exception):
    def __init__(self) -> None:
        super().__init__("no")
        self.handle = lambda: None  # a lambda does not pickle


def raise_unpicklable() -> None:
    raise Unpicklable


@pytest.fixture
def pool() -> object:
    p = Pool(2, _init, ("ready",))
    yield p
    p.close()


def test_results_come_by_ticket_whatever_order_they_are_asked_for(pool: Pool) -> None:
    tickets = [pool.submit(echo, i) for i in range(40)]
    got = [pool.result(t) for t in reversed(tickets)]
    assert [x for _, _, x in reversed(got)] == list(range(40))
    assert {tag for tag, _, _ in got} == {"ready"}  # every worker ran the initializer
    assert len({pid for _, pid, _ in got}) == 2  # both workers took calls
    assert pool.deaths == 0


def test_a_calls_exception_is_raised_in_the_main_process(pool: Pool) -> None:
    with pytest.raises(ValueError, match="bad input"):
        call(pool, boom, "bad input")
    assert call(pool, echo, 1)[2] == 1  # the worker lives on
    with pytest.raises(RuntimeError, match="could not be sent"):
        call(pool, raise_unpicklable)
    assert pool.deaths == 0


def test_a_killed_worker_costs_its_own_calls_only(pool: Pool) -> None:
    slow = pool.submit(sleep_then, 30, "never")
    time.sleep(0.3)  # taken by one worker
    quick = [pool.submit(echo, i) for i in range(10)]
    victim = next(pid for pid in pool.pids if pid != call(pool, echo, "who")[1])
    os.kill(victim, signal.SIGKILL)
    with pytest.raises(WorkerDied):
        pool.result(slow)
    answers = []
    for t in quick:
        try:
            answers.append(pool.result(t)[2])
        except WorkerDied:  # queued behind the slow call on the worker that died
            answers.append(None)
    assert [a for a in answers if a is not None] == [i for i, a in enumerate(answers) if a is not None]
    assert pool.deaths == 1 and victim not in pool.pids and len(pool.pids) == 2
    assert [call(pool, echo, i)[2] for i in range(6)] == list(range(6))  # the replacement works


def test_an_idle_worker_killed_is_replaced_without_losing_a_call(pool: Pool) -> None:
    assert call(pool, echo, 0)[2] == 0
    for pid in pool.pids:
        os.kill(pid, signal.SIGKILL)
    time.sleep(0.3)
    assert [call(pool, echo, i)[2] for i in range(5)] == list(range(5))
    assert pool.deaths == 2


def test_large_calls_and_large_results_cross_at_once(pool: Pool) -> None:
    """Calls larger than a pipe holds, sent while the workers write results larger than a
    pipe holds: the main process must not block on a write while a worker blocks on its
    own (a deadlock: the test would hang)."""
    big = b"x" * (3 << 20)

    class Hung(Exception):  # not an OSError: nothing in the pool may take it for a dead pipe
        pass

    def hung(*_: object) -> None:
        raise Hung("the main process and a worker both block on a write")

    before = signal.signal(signal.SIGALRM, hung)
    signal.alarm(60)
    try:
        tickets = [pool.submit(blob, 2 << 20, big) for _ in range(12)]
        assert all(pool.result(t) == b"x" * (2 << 20) for t in tickets)
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, before)


def test_close_does_not_start_the_calls_left(tmp_path: Path) -> None:
    p = Pool(1, _init, ("x",), depth=3)
    first = p.submit(mark, str(tmp_path), "first", 0.5)
    for i in range(3):
        p.submit(mark, str(tmp_path), f"later{i}", 0)
    time.sleep(0.2)  # the first is running, the others wait in its pipe or the queue
    p.close()  # returns once the first is done
    assert sorted(f.name for f in tmp_path.iterdir()) == ["first"]
    del first


def test_workers_ignore_an_interrupt(pool: Pool) -> None:
    """Ctrl-C reaches the whole process group: the main process stops the run and closes
    the pool; a worker must finish the call it is in (it may be writing a file)."""
    t = pool.submit(sleep_then, 0.5, "done")
    time.sleep(0.1)
    for pid in pool.pids:
        os.kill(pid, signal.SIGINT)
    assert pool.result(t) == "done" and pool.deaths == 0


@settings(max_examples=12, deadline=None)
@given(
    st.lists(
        st.one_of(
            st.tuples(st.just("echo"), st.integers(0, 10**6)),
            st.tuples(st.just("boom"), st.text(max_size=5)),
            st.tuples(st.just("sleep"), st.integers(0, 20)),
            st.tuples(st.just("kill"), st.integers(0, 1)),
        ),
        max_size=25,
    ),
    st.randoms(use_true_random=False),
)
def test_any_mix_of_calls_and_deaths_gives_each_ticket_its_answer_once(ops: list[tuple[str, object]], rnd) -> None:  # type: ignore[no-untyped-def]
    """Whatever the calls and whenever a worker is killed: every ticket gets its own
    result, its own exception, or WorkerDied (a call is never run again by the pool:
    the campaign decides that), each asked for once, in any order; no hang."""
    pool = Pool(2, _init, ("ready",), depth=2)
    try:
        want: dict[int, tuple[str, object]] = {}
        kills = 0
        for op, arg in ops:
            if op == "kill":
                pids = pool.pids
                os.kill(pids[int(arg) % len(pids)], signal.SIGKILL)  # type: ignore[call-overload]
                kills += 1
            elif op == "echo":
                want[pool.submit(echo, arg)] = (op, arg)
            elif op == "boom":
                want[pool.submit(boom, arg)] = (op, arg)
            else:
                want[pool.submit(sleep_then, int(arg) / 1000, arg)] = (op, arg)  # type: ignore[call-overload]
        order = list(want)
        rnd.shuffle(order)
        for ticket in order:
            op, arg = want[ticket]
            try:
                got = pool.result(ticket)
            except WorkerDied:
                assert kills, "a call died with no worker killed"
                continue
            except ValueError as exc:
                assert op == "boom" and str(exc) == arg
                continue
            assert op != "boom"
            assert (got[2] if op == "echo" else got) == arg
        assert pool.deaths <= kills
        with pytest.raises(KeyError):
            pool.result(order[0]) if order else pool.result(-1)  # taken: asked for once
    finally:
        pool.close()


def torn_result(n: int) -> None:
    """Die halfway through writing a result of ``n`` bytes (as a worker killed in its send)."""
    results = sys._getframe(1).f_locals["results"]  # the worker's end of its result pipe (_serve)
    os.write(results.fileno(), struct.pack("!Q", n) + b"x" * (n // 2))
    os._exit(3)


@pytest.mark.parametrize("size", [100, 3 << 20])
def test_a_result_torn_by_its_workers_death_is_that_calls_loss(pool: Pool, size: int) -> None:
    ticket = pool.submit(torn_result, size)
    with pytest.raises(WorkerDied):
        pool.result(ticket)
    assert pool.deaths == 1 and len(pool.pids) == 2
    assert [call(pool, echo, i)[2] for i in range(4)] == [0, 1, 2, 3]


def test_the_bulk_modules_import_nothing_a_dry_run_does_not_use() -> None:
    """A bulk run answered from the cache in its main process pays for no import it does
    not use: the pool is built on os.fork and pipes (no multiprocessing), temporary names
    come from os.urandom (no secrets, and with it random and hmac), and ctypes is loaded
    by the first atomic exchange a --write run makes."""
    code = (
        "import sys, sbatch_migrate.bulk.campaign, sbatch_migrate.cli.bulk; "
        "print(sorted(m for m in ('multiprocessing', 'secrets', 'ctypes', 'random') if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"
