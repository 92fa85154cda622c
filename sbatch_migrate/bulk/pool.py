"""Forked worker processes, one pipe pair each, driven from the main thread.

:class:`concurrent.futures.ProcessPoolExecutor` runs two threads in the main process (one
to pickle and send the calls, one to receive and unpickle the results and wake the
futures) beside the thread that consumes them.  On two cores with two workers those
threads took 0.4 CPU-s of a 3.7 s run over the real tree from the cores the workers
needed.  Here the main thread does it all: it sends a call to a worker that has fewer
than ``depth`` calls queued, and while it waits for the result it wants, it takes every
result that arrives and sends each worker its next call, so a worker never waits for the
main process between two calls.  The calls go down a pipe of their own
(worker-bound) and the results up another: the main thread writes a call to a busy worker
only while it fits in what the pipe holds, so the write never blocks while that worker
blocks writing a large result back (the deadlock a shared pipe pair invites); a call that
does not fit waits for a worker that is reading.

A worker that dies (killed, out of memory) costs only the calls it had: they raise
:class:`WorkerDied` when their result is asked for, and a fresh worker forked at once
takes its place.  Workers ignore SIGINT: an interrupt stops the main process, which closes
the pipes; each worker finishes the call it is in (a file being written is never left
half done) and exits when it reads the end of its pipe.
"""

from __future__ import annotations

import fcntl
import mmap
import os
import pickle
import select
import signal
import struct
import sys
import traceback
from collections import deque

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable
    from typing import Any


class WorkerDied(Exception):
    """The worker a call was handed to died before it sent the result."""


class _Failed:
    """A call's exception as it crosses back (the exception itself when it pickles)."""

    def __init__(self, exc: BaseException):
        self.exc = exc


_HEADER = struct.Struct("!Q")  # a message's length, before it


class Pipe:
    """One end of a pipe carrying whole messages (a length, then the bytes).  The pool's
    own, not :mod:`multiprocessing`'s: importing that costs a bulk run's main process 48M
    instructions (sockets, tempfile, shutil, subprocess), which a re-run answered from
    the cache in that process alone does not need."""

    def __init__(self, fd: int):
        self.fd = fd

    def fileno(self) -> int:
        return self.fd

    def send_bytes(self, data: bytes) -> None:
        header = _HEADER.pack(len(data))
        sent = os.writev(self.fd, [header, data])
        if sent < len(header) + len(data):  # a write cut short (a signal): the rest
            view = memoryview(header + data)[sent:]
            while view:
                view = view[os.write(self.fd, view) :]

    def recv_bytes(self) -> bytes:
        """The next message; EOFError at the end of the pipe (or within a message: the
        writer died while writing it)."""
        (size,) = _HEADER.unpack(self._exactly(_HEADER.size))
        return self._exactly(size)

    def _exactly(self, size: int) -> bytes:
        if not size:
            return b""
        first = os.read(self.fd, size)
        if len(first) == size:
            return first
        if not first:
            raise EOFError
        buffer = bytearray(size)
        buffer[: len(first)] = first
        view, got = memoryview(buffer), len(first)
        while got < size:
            n = os.readv(self.fd, [view[got:]])
            if not n:
                raise EOFError
            got += n
        return bytes(buffer)

    def poll(self) -> bool:
        """Something to read (a message, or the end of the pipe), now."""
        return bool(select.select([self.fd], [], [], 0)[0])

    def close(self) -> None:
        if self.fd >= 0:
            os.close(self.fd)
            self.fd = -1


def _pipe() -> tuple[Pipe, Pipe]:
    """(read end, write end), neither inherited by a program a worker might exec."""
    r, w = os.pipe2(os.O_CLOEXEC)
    return Pipe(r), Pipe(w)


_DIED = object()
_MAIN_ENDS: set[Pipe] = set()  # this process's ends of every open pool's pipes


def _serve(
    calls: Pipe,
    results: Pipe,
    stop: mmap.mmap,
    others: list[Pipe],
    initializer: Callable[..., None],
    initargs: tuple[Any, ...],
) -> None:
    """A worker's life: calls in, results out, until the call pipe ends or the pool is
    closed (the calls still in the pipe are not started then).  ``others``: the main
    process's ends of the pipes of this and every other worker (of any pool), inherited:
    closed, or a worker would not see its call pipe end when the main process closes it."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    for conn in others:
        conn.close()
    initializer(*initargs)
    while True:
        try:
            ticket, fn, args = pickle.loads(calls.recv_bytes())
        except EOFError:
            return
        if stop[0]:
            return
        try:
            result: Any = fn(*args)
        except Exception as exc:
            result = _Failed(exc)
        try:
            payload = pickle.dumps((ticket, result), pickle.HIGHEST_PROTOCOL)
        except Exception as exc:  # an exception (or result) that does not pickle: its text does
            text = "".join(traceback.format_exception(exc))
            payload = pickle.dumps((ticket, _Failed(RuntimeError(f"result could not be sent: {text}"))))
        try:
            results.send_bytes(payload)
        except OSError:  # the main process is gone
            return


_F_SETPIPE_SZ = getattr(fcntl, "F_SETPIPE_SZ", 1031)
_F_GETPIPE_SZ = getattr(fcntl, "F_GETPIPE_SZ", 1032)
_WANTED_PIPE = 1 << 20  # asked for a worker's call pipe (the limit for a user, by default)


def _room(conn: Pipe) -> int:
    """What the pipe under ``conn`` holds (bytes), made as large as allowed first."""
    try:
        fcntl.fcntl(conn.fileno(), _F_SETPIPE_SZ, _WANTED_PIPE)
    except OSError:
        pass
    try:
        return int(fcntl.fcntl(conn.fileno(), _F_GETPIPE_SZ))
    except OSError:
        return 4096  # one page: the least a pipe holds


class _Worker:
    def __init__(self, pid: int, calls: Pipe, results: Pipe):
        self.pid = pid
        self.calls = calls  # main -> worker
        self.results = results  # worker -> main: its end is the worker's end (died or done)
        self.room = _room(calls) - 64  # less the headers
        _room(results)  # a result written in one go, read in one (most are under 1 MiB)
        self.owed: deque[tuple[int, int]] = deque()  # (ticket, message size) in the order sent
        self.sent = 0  # bytes of the calls owed: an upper bound on what sits in the pipe


class Pool:
    """``jobs`` workers, each started with ``initializer(*initargs)``; :meth:`submit`
    returns a ticket, :meth:`result` its result (any order).  ``deaths``: workers that
    died while the pool was open."""

    def __init__(self, jobs: int, initializer: Callable[..., None], initargs: tuple[Any, ...] = (), depth: int = 3):
        self._initializer = initializer
        self._initargs = initargs
        self._depth = depth
        self._workers: list[_Worker] = []
        self._queued: deque[tuple[int, bytes]] = deque()  # calls not yet sent to a worker
        self._results: dict[int, Any] = {}
        self._open: set[int] = set()  # tickets handed out whose result was not taken yet
        self._next = 0
        self._stop = mmap.mmap(-1, 1)  # shared with the workers: set by close()
        self.deaths = 0
        for _ in range(jobs):
            self._workers.append(self._spawn())

    def _spawn(self) -> _Worker:
        their_calls, calls = _pipe()
        results, their_results = _pipe()
        others = [*_MAIN_ENDS, calls, results]
        pid = fork(lambda: _serve(their_calls, their_results, self._stop, others, self._initializer, self._initargs))
        their_calls.close()
        their_results.close()
        _MAIN_ENDS.update((calls, results))
        return _Worker(pid, calls, results)

    @property
    def pids(self) -> list[int]:
        return [w.pid for w in self._workers]

    def submit(self, fn: Callable[..., Any], *args: Any) -> int:
        ticket = self._next
        self._next += 1
        self._open.add(ticket)
        self._queued.append((ticket, pickle.dumps((ticket, fn, args), pickle.HIGHEST_PROTOCOL)))
        self._hand_out()
        return ticket

    def result(self, ticket: int) -> Any:
        """The result of ``ticket`` (taken out: asked for once); raises what the call
        raised, or :class:`WorkerDied`; KeyError for a ticket not handed out or taken."""
        if ticket not in self._open:
            raise KeyError(ticket)
        while ticket not in self._results:
            self._hand_out()
            waiting = select.poll()
            for worker in self._workers:
                waiting.register(worker.results.fd, select.POLLIN)
            ready = {fd for fd, _ in waiting.poll()}
            for worker in list(self._workers):
                if worker.results.fd in ready:
                    self._take(worker)
        result = self._results.pop(ticket)
        self._open.discard(ticket)
        if result is _DIED:
            raise WorkerDied
        if isinstance(result, _Failed):
            raise result.exc
        return result

    def _hand_out(self) -> None:
        """Send the queued calls, in order, to the workers that can take them now: one
        that owes nothing is reading its pipe; a busy one takes a call that fits."""
        while self._queued:
            ticket, message = self._queued[0]
            size = len(message)
            fit = [w for w in self._workers if not w.owed or (len(w.owed) < self._depth and w.sent + size <= w.room)]
            if not fit:
                return
            worker = min(fit, key=lambda w: len(w.owed))
            try:
                worker.calls.send_bytes(message)
            except BrokenPipeError:  # it died while idle: the call goes to the one that replaces it
                self._bury(worker)
                continue
            self._queued.popleft()
            worker.owed.append((ticket, size))
            worker.sent += size

    def _take(self, worker: _Worker) -> None:
        """A result from ``worker``, or the end of its pipe: it died (or ended), and it is
        replaced (its results sent before are read first, a message at a time)."""
        try:
            ticket, result = pickle.loads(worker.results.recv_bytes())
        except (EOFError, OSError):
            self._bury(worker)
            return
        sent, size = worker.owed.popleft()  # a worker answers its calls in the order sent
        assert sent == ticket, (sent, ticket)
        worker.sent -= size
        self._results[ticket] = result

    def _bury(self, worker: _Worker) -> None:
        self.deaths += 1
        for ticket, _ in worker.owed:
            self._results[ticket] = _DIED
        _MAIN_ENDS.difference_update((worker.calls, worker.results))
        worker.calls.close()
        worker.results.close()
        _reap(worker.pid)
        self._workers[self._workers.index(worker)] = self._spawn()

    def close(self) -> None:
        """End every worker once it has finished the call it is in; the calls not started
        are not, and results not taken are dropped."""
        self._stop[0] = 1
        self._queued.clear()
        for worker in self._workers:
            _MAIN_ENDS.difference_update((worker.calls, worker.results))
            worker.calls.close()
        for worker in self._workers:
            try:
                while True:  # a worker blocked sending a large result waits for it to be read
                    worker.results.recv_bytes()
            except (EOFError, OSError):
                pass
            worker.results.close()
            _reap(worker.pid)
        self._workers = []


def fork(life: Callable[[], None]) -> int:
    """Fork a process that runs ``life()`` and exits (status 1, with the traceback on
    stderr, if it raised): it never returns into the caller's code.  Returns its pid."""
    for stream in (sys.stdout, sys.stderr):  # nothing buffered is written twice
        try:
            stream.flush()
        except (OSError, ValueError, AttributeError):
            pass
    pid = os.fork()
    if pid == 0:
        code = 0
        try:
            life()
        except BaseException:
            code = 1
            try:
                traceback.print_exc()
            except BaseException:
                pass
        finally:
            os._exit(code)
    return pid


def _reap(pid: int) -> None:
    """Wait for a worker that has ended (its pipe did) to be gone."""
    try:
        os.waitpid(pid, 0)
    except ChildProcessError:
        pass


def call(pool: Pool, fn: Callable[..., Any], *args: Any) -> Any:
    """``fn(*args)`` in a worker of ``pool``, waited for."""
    return pool.result(pool.submit(fn, *args))
