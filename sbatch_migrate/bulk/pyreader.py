"""One process reads Python with libcst for every worker of a bulk run.

Importing libcst costs a process about 0.12 s and 13 MB (its node classes are built at
import), and a real home has only a dozen Python files that need it (launchers:
``subprocess.run(["sbatch", ...])``, submitit, dask-jobqueue) among tens of thousands of
files; every worker met one sooner or later and paid for the import itself.  With
:data:`WORKERS` or more workers, the main process forks one reader before them; a worker
that meets a Python file to read makes its plan (:func:`..read.pyregions.plan`)
and sends the bytes and the plan to the reader, which reads them
(:func:`..read.pyfront.read`) and sends the facts back.  While a worker waits the reader
has the core, so nothing is lost but the time a worker waits behind another worker's
file: once that queueing has cost a worker :data:`QUEUED_LIMIT`, the reader is a
bottleneck for it (many Python files, many workers) and it imports libcst and reads its
Python files itself.

A worker that finds the reader gone (killed, or a file crashed it) reads the file itself:
a file that crashes libcst then crashes the worker, and the main process does what it
does for any worker death (the part again, each file in a process of its own).  The
reader holds none of the run's files: it closes every descriptor it inherited but the
one it receives connections on, and it never opens one.

The connections: the main process keeps one end of a ``SOCK_SEQPACKET`` socket pair and
every worker forked later inherits it; a worker's first request makes a socket pair of
its own and sends one end to the reader through it (a packet per descriptor: workers
sending at once do not mix).  Nothing has a name a local user could connect to.
"""

from __future__ import annotations

import gc
import os
import pickle
import select
import signal
import socket
import sys
import time
import traceback

from .pool import Pipe, fork

TYPE_CHECKING = False
if TYPE_CHECKING:
    from ..read.pyfront import PyFacts
    from ..read.pyregions import Plan

QUEUED_LIMIT = 0.1  # s a worker may wait behind other workers' files before reading its own
# the least number of workers a reader is started for.  Measured on this 2-core machine
# over the real-material tree (bench/real_tree.py: 154,281 files, 33 of them read with
# libcst), runs alternating with and without a reader, medians: -j 2 2.82 against
# 2.835 s (10 pairs; CPU 5.34 against 5.44 s: the one import saved is at most 0.06 s of
# wall time on two cores, within the noise); -j 4 2.73 against 2.92 s (CPU 5.2 against
# 5.5 s); -j 8 2.81 against 3.16 s (5 pairs each)
WORKERS = 3

_CONNECT = b"+"


class _Failed:
    """An exception raised reading the file, as it crosses back."""

    def __init__(self, exc: BaseException):
        self.exc = exc


class Reader:
    """The main process's handle on the reader process."""

    def __init__(self, pid: int, ctl: socket.socket):
        self.pid = pid
        self.ctl = ctl  # inherited by the workers forked while it is open
        self.main = os.getpid()

    def close(self) -> None:
        """End the reader (after the workers: it holds nothing a run needs).  Had the main
        process died instead, the reader would end when the workers had: its socket's
        other end closed everywhere."""
        global _READER
        if _READER is self:
            _READER = None
        self.ctl.close()
        try:
            os.kill(self.pid, signal.SIGKILL)
            os.waitpid(self.pid, 0)
        except (ProcessLookupError, ChildProcessError):
            pass


_READER: Reader | None = None  # the main process's reader (inherited by the workers)


def start(workers: int) -> Reader | None:
    """Fork the reader for a pool of ``workers``, unless they are fewer than
    :data:`WORKERS`, libcst is imported here already (the workers inherit it then) or a
    reader is running."""
    global _READER
    if workers < WORKERS or "libcst" in sys.modules or _READER is not None:
        return None
    try:
        ctl, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
    except (OSError, AttributeError):  # no such sockets here: each worker reads its own
        return None
    try:
        pid = fork(lambda: _serve(theirs))
    except OSError:  # no process to spare: the workers will fail to start too, and say so
        ctl.close()
        return None
    finally:
        theirs.close()
    _READER = Reader(pid, ctl)
    return _READER


def attach() -> None:
    """In a worker: read Python files through the reader, if the main process has one."""
    from ..read import pyfront

    reader = _READER
    if reader is None or os.getpid() == reader.main:
        return
    _LINK.ctl, _LINK.conn, _LINK.queued = reader.ctl, None, 0.0
    pyfront.reader = _ask


class _Link:
    """A worker's way to the reader."""

    ctl: socket.socket | None = None  # the main process's end, inherited
    conn: Pipe | None = None  # this worker's connection, made at its first file
    queued = 0.0  # s waited behind other workers' files


_LINK = _Link()


def _ask(data: bytes, plan: Plan | None) -> PyFacts | None:
    """The facts of ``data`` read by the reader with ``plan`` (made here); None: read them
    here (no reader any more, or waiting for it has cost this worker enough)."""
    conn = _LINK.conn or _connect()
    if conn is None:
        return None
    start = time.monotonic()  # CLOCK_MONOTONIC: the same clock in every process
    try:
        conn.send_bytes(pickle.dumps((data, plan), pickle.HIGHEST_PROTOCOL))
        answer, served, warm = pickle.loads(conn.recv_bytes())
    except (OSError, EOFError, pickle.UnpicklingError):  # the reader died
        _detach()
        return None
    # the wait behind other workers' files; not behind the reader's import of libcst
    # (which reading here would have cost as well)
    waited = time.monotonic() - max(start, warm)
    _LINK.queued += max(0.0, waited - served)
    if _LINK.queued > QUEUED_LIMIT:
        _detach()
    if isinstance(answer, _Failed):
        raise answer.exc
    facts: PyFacts = answer
    return facts


def _connect() -> Pipe | None:
    ctl = _LINK.ctl
    if ctl is None:
        return None
    mine, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_STREAM)
    try:
        socket.send_fds(ctl, [_CONNECT], [theirs.fileno()])
    except OSError:  # the reader is gone
        mine.close()
        _detach()
        return None
    finally:
        theirs.close()
    _LINK.conn = Pipe(mine.detach())
    return _LINK.conn


def _detach() -> None:
    """Read Python here from now on."""
    from ..read import pyfront

    if _LINK.conn is not None:
        _LINK.conn.close()
    _LINK.conn = _LINK.ctl = None
    pyfront.reader = None


def _serve(ctl: socket.socket) -> None:
    """The reader's life: connections in through ``ctl``, a file's bytes in and its facts
    out on each, until every holder of the other end of ``ctl`` has closed it."""
    from ..read import pyfront

    signal.signal(signal.SIGINT, signal.SIG_IGN)  # an interrupt stops the main process
    gc.freeze()  # as in the workers: collections leave the inherited objects (and their pages) alone
    keep = ctl.fileno()
    os.closerange(3, keep)
    os.closerange(keep + 1, _max_fd())
    pyfront.reader = None
    warm = 0.0  # when libcst was imported here
    conns: dict[int, Pipe] = {}
    waiting = select.poll()
    waiting.register(keep, select.POLLIN)
    while True:
        for fd, _ in waiting.poll():
            if fd == keep:
                message, fds, _, _ = socket.recv_fds(ctl, 16, 16)
                if not message and not fds:
                    return  # every worker and the main process are done
                for new in fds:
                    conns[new] = Pipe(new)
                    waiting.register(new, select.POLLIN)
                continue
            conn = conns[fd]
            try:
                data, plan = pickle.loads(conn.recv_bytes())
            except (OSError, EOFError, pickle.UnpicklingError):  # the worker is done (or died)
                waiting.unregister(fd)
                conn.close()
                del conns[fd]
                continue
            answer: object = None
            if not warm:
                try:
                    import libcst
                    import libcst.metadata  # noqa: F401
                except Exception as exc:
                    answer = _Failed(exc)
                warm = time.monotonic()
            begun = time.monotonic()
            if answer is None:
                try:
                    answer = pyfront.read(data, plan)
                except Exception as exc:
                    answer = _Failed(exc)
            served = time.monotonic() - begun
            try:
                payload = pickle.dumps((answer, served, warm), pickle.HIGHEST_PROTOCOL)
            except Exception as exc:  # an exception that does not pickle: its text does
                text = "".join(traceback.format_exception(exc))
                payload = pickle.dumps((_Failed(RuntimeError(text)), served, warm), pickle.HIGHEST_PROTOCOL)
            try:
                conn.send_bytes(payload)
            except OSError:
                waiting.unregister(fd)
                conn.close()
                del conns[fd]


def _max_fd() -> int:
    try:
        return max(os.sysconf("SC_OPEN_MAX"), 1024)
    except (OSError, ValueError):
        return 1 << 16
