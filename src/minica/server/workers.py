"""Worker processes for the server's CPU work: each job bounded in time, its worker killed when late.

Python threads cannot be stopped, so a route whose library call can run long (signing, verifying,
issuing, checking, reading uploads) runs it in a separate process that can be:

- **A small pool** of worker processes (``size``, default the number of cores, at most 4), started
  on demand, or all at once by :meth:`WorkerPool.start`. One long-lived *dispatcher* thread owns the
  pool: it starts every worker (so the death signal that :func:`minica.children.die_with_parent`
  arms, which fires when the forking *thread* ends, fires only when the server ends), moves jobs'
  bytes and enforces deadlines. Callers on any event loop (uvicorn's, a test client's) await it.
- **A job** travels as a pickled ``(function, args, kwargs)`` over a socket pair, with its bytes
  (the document, the keystore password): nothing goes on a command line, in the environment or on
  disk, and nothing of it is logged. A worker keeps nothing between jobs but what a job function
  keeps on purpose: the opened keystores of :data:`minica.server.jobs.KEYSTORES`.
- **A deadline** per job: ``timeout`` seconds from submission, waiting for a free worker included.
  Past it the worker is killed (SIGKILL) and replaced, and the caller gets :class:`WorkTimedOut`
  (:class:`ServerBusy` if no worker became free in time). Both are :class:`WorkRefused` (HTTP 503).
- :meth:`WorkerPool.close` lets running jobs finish for ``grace`` seconds, then kills every worker;
  jobs still queued or running fail with :class:`ServerStopping`.

The hop costs two thread wake-ups, a socket round trip and pickling: about a tenth of a millisecond
for a small invoice (``benchmarks/bench_worker_hop.py``).
"""

from __future__ import annotations

import asyncio
import collections
import concurrent.futures
import os
import pickle
import signal
import socket
import subprocess
import sys
import threading
from collections.abc import Callable, Coroutine, Sequence
from dataclasses import dataclass, field
from typing import Any, ParamSpec, TypeVar

from minica.errors import MinicaError
from minica.server.worker_process import HEADER as _HEADER

P = ParamSpec("P")
R = TypeVar("R")

#: The modules a worker imports before its first job, so the first request is not slower.
DEFAULT_PRELOAD = ("minica.server.jobs", "minica.dian.service")
#: Socket buffer between the server and a worker (the kernel caps it at net.core.wmem_max).
_SOCKET_BUFFER = 4 * 1024 * 1024
#: The largest answer a worker may send (a signed 10 MB document in base64 is far below).
_MAX_FRAME = 1 << 30
#: Seconds a caller waits beyond the deadline before giving up on the dispatcher itself (a bug).
_SAFETY_MARGIN = 5.0


def default_size() -> int:
    """Workers by default: one per core, at most 4 (signing one invoice takes milliseconds)."""
    return max(1, min(4, os.cpu_count() or 1))


class WorkRefused(MinicaError):
    """The server could not do the work now (HTTP 503): too slow, too busy, or stopping."""


class WorkTimedOut(WorkRefused):
    """A job ran past its deadline; its worker was killed."""


class ServerBusy(WorkRefused):
    """No worker became free before the job's deadline."""


class ServerStopping(WorkRefused):
    """The pool is closing (the server is stopping)."""


class WorkerLost(RuntimeError):
    """A worker process ended in the middle of a job (a crash: a bug, never bad input)."""


class RemoteTraceback(Exception):
    """The traceback of an unexpected exception in a worker, attached as its ``__cause__``."""

    def __str__(self) -> str:
        return str(self.args[0]) if self.args else ""


@dataclass(eq=False)
class _Worker:
    process: subprocess.Popen[bytes]
    sock: socket.socket

    @property
    def pid(self) -> int:
        return self.process.pid


@dataclass(eq=False)
class _Job:
    payload: bytes
    caller: asyncio.AbstractEventLoop
    future: asyncio.Future[bytearray]
    timeout: float
    deadline: float = 0.0  # the dispatcher loop's time
    timer: asyncio.TimerHandle | None = None
    task: asyncio.Task[None] | None = None
    done: bool = False


@dataclass
class _DispatcherState:
    """What only the dispatcher thread touches (``workers`` is also read, under the lock)."""

    idle: list[_Worker] = field(default_factory=list)
    queue: collections.deque[_Job] = field(default_factory=collections.deque)
    running: set[_Job] = field(default_factory=set)
    closing: bool = False
    warm: bool = False
    warming: asyncio.Task[None] | None = None  # start()'s warm-up, cancelled by a stop meanwhile


class WorkerPool:
    """Worker processes that run jobs with a deadline. Thread-safe; usable from any event loop.

    ``size`` is the most workers alive at once; ``timeout`` the seconds a job may take from
    submission to answer (it may be changed; a job keeps the value it was submitted with);
    ``preload`` the modules each worker imports when it starts.
    """

    def __init__(self, size: int | None = None, timeout: float = 30.0,
                 preload: Sequence[str] = DEFAULT_PRELOAD) -> None:
        self.size = default_size() if size is None else size
        if not 1 <= self.size <= 256:
            raise ValueError(f"a worker pool needs 1 to 256 workers, not {self.size}")
        if not 0 < timeout <= 86400:
            raise ValueError(f"a job timeout must be more than 0 s and at most a day, not {timeout}")
        self.timeout = float(timeout)
        self.preload = tuple(preload)
        self._lock = threading.Lock()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._closed = False
        self._workers: set[_Worker] = set()
        self._state = _DispatcherState()

    # --- the callers' side (any thread, any event loop) -----------------------------------------

    def start(self, *, warm: bool = True, timeout: float = 60.0) -> None:
        """Start the dispatcher; with ``warm`` start every worker now, wait until each has imported
        its modules and keep ``size`` workers alive from then on. Raises :class:`WorkRefused` if a
        worker cannot start."""
        loop = self._dispatcher()
        if warm:
            try:
                asyncio.run_coroutine_threadsafe(self._warm_up(), loop).result(timeout)
            except concurrent.futures.TimeoutError:
                raise WorkRefused(f"the worker processes did not start within {timeout:g} s",
                                  "the machine may be overloaded; try again") from None
            except concurrent.futures.CancelledError:  # closed while starting
                raise self._stopping() from None

    async def run(self, function: Callable[P, R], /, *args: P.args, **kwargs: P.kwargs) -> R:
        """``function(*args, **kwargs)`` in a worker; its result, or the exception it raised.

        ``function`` must be a module-level function and its arguments and result picklable.
        Raises :class:`WorkTimedOut`, :class:`ServerBusy` or :class:`ServerStopping` when the job
        was not done, :class:`WorkerLost` if its worker crashed.
        """
        payload = pickle.dumps((function, args, kwargs), protocol=pickle.HIGHEST_PROTOCOL)
        caller = asyncio.get_running_loop()
        job = _Job(payload, caller, caller.create_future(), self.timeout)
        loop = self._dispatcher()
        try:
            loop.call_soon_threadsafe(self._submit, job)
        except RuntimeError:  # the dispatcher's loop closed meanwhile
            raise self._stopping() from None
        try:
            reply = await asyncio.wait_for(job.future, job.timeout + _SAFETY_MARGIN)
        except asyncio.TimeoutError:  # pragma: no cover - the dispatcher enforces the deadline first
            self._abandon_soon(loop, job)
            raise _timed_out(job) from None
        except asyncio.CancelledError:
            self._abandon_soon(loop, job)
            raise
        return _unpack(reply)  # type: ignore[no-any-return]

    def close(self, grace: float = 0.0) -> None:
        """Stop: running jobs get ``grace`` seconds, then every worker is killed. Idempotent."""
        with self._lock:
            loop, thread = self._loop, self._thread
            if self._closed:
                loop = None
            self._closed = True
        if loop is None or thread is None:
            return
        try:
            loop.call_soon_threadsafe(lambda: loop.create_task(self._shutdown(grace)))
        except RuntimeError:  # already stopped
            return
        if threading.current_thread() is not thread:
            thread.join(timeout=grace + 10)

    async def aclose(self, grace: float = 0.0) -> None:
        """:meth:`close` from a coroutine, without blocking its loop."""
        await asyncio.to_thread(self.close, grace)

    def worker_pids(self) -> list[int]:
        """The process ids of the live workers (for monitoring and tests)."""
        with self._lock:
            return sorted(w.pid for w in self._workers)

    def _dispatcher(self) -> asyncio.AbstractEventLoop:
        with self._lock:
            if self._closed:
                raise self._stopping()
            if self._loop is None:
                loop = asyncio.new_event_loop()
                thread = threading.Thread(target=_run_loop, args=(loop,), name="minica-workers", daemon=True)
                thread.start()
                self._loop, self._thread = loop, thread
            return self._loop

    def _abandon_soon(self, loop: asyncio.AbstractEventLoop, job: _Job) -> None:
        try:
            loop.call_soon_threadsafe(self._abandon, job)
        except RuntimeError:  # the dispatcher already stopped: nothing runs
            pass

    @staticmethod
    def _stopping() -> ServerStopping:
        return ServerStopping("the server is stopping", "try again when it is back")

    # --- the dispatcher's side (its thread only) ------------------------------------------------

    def _submit(self, job: _Job) -> None:
        loop = asyncio.get_running_loop()
        job.deadline = loop.time() + job.timeout
        state = self._state
        if state.closing:
            self._settle(job, exc=self._stopping())
            return
        worker = state.idle.pop() if state.idle else None
        if worker is None and len(self._workers) < self.size:
            try:
                worker = self._spawn()
            except OSError as exc:
                self._settle(job, exc=ServerBusy(f"cannot start a worker process: {exc.strerror}",
                                                 "try again in a moment"))
                return
        if worker is not None:
            self._start(job, worker)
            return
        state.queue.append(job)
        job.timer = loop.call_at(job.deadline, self._expire_queued, job)

    def _expire_queued(self, job: _Job) -> None:
        if job in self._state.queue:
            self._state.queue.remove(job)
            self._settle(job, exc=ServerBusy(f"every worker stayed busy for {job.timeout:g} s",
                                             "try again in a moment"))

    def _abandon(self, job: _Job) -> None:
        """The caller stopped waiting: drop a queued job; kill the worker of a running one."""
        if job in self._state.queue:
            self._state.queue.remove(job)
            if job.timer is not None:
                job.timer.cancel()
        elif job.task is not None:
            job.task.cancel()

    def _start(self, job: _Job, worker: _Worker) -> None:
        if job.timer is not None:
            job.timer.cancel()
        self._state.running.add(job)
        job.task = asyncio.get_running_loop().create_task(self._drive(job, worker))

    async def _drive(self, job: _Job, worker: _Worker) -> None:
        loop = asyncio.get_running_loop()
        try:
            reply = await within(job.deadline - loop.time(), _exchange(loop, worker.sock, job.payload))
        except asyncio.TimeoutError:
            self._discard(worker)
            self._settle(job, exc=_timed_out(job))
        except asyncio.CancelledError:  # abandoned by its caller, or the pool is closing
            self._discard(worker)
            self._settle(job, exc=self._stopping())
        except (OSError, EOFError):
            self._discard(worker)
            self._settle(job, exc=self._stopping() if self._state.closing else WorkerLost(
                f"worker process {worker.pid} ended in the middle of a job ({_exit_status(worker)})"))
        else:
            self._settle(job, reply=reply)
            self._release(worker)
        finally:
            self._state.running.discard(job)
        self._refill()

    def _release(self, worker: _Worker) -> None:
        state = self._state
        if state.closing:
            self._discard(worker)
        elif state.queue:
            self._start(state.queue.popleft(), worker)
        else:
            state.idle.append(worker)

    def _refill(self) -> None:
        """After a worker was killed: start one for a queued job, or to keep a warm pool full."""
        state = self._state
        try:
            while not state.closing and state.queue and len(self._workers) < self.size:
                self._start(state.queue.popleft(), self._spawn())
            while not state.closing and state.warm and len(self._workers) < self.size:
                state.idle.append(self._spawn())
        except OSError:  # no process now; the next job tries again
            pass

    def _settle(self, job: _Job, *, reply: bytearray | None = None, exc: BaseException | None = None) -> None:
        """Hand the job's outcome to its caller's loop (once)."""
        if job.done:
            return
        job.done = True

        def settle() -> None:
            if job.future.done():
                return
            if exc is not None:
                job.future.set_exception(exc)
            else:
                job.future.set_result(reply if reply is not None else bytearray())

        try:
            job.caller.call_soon_threadsafe(settle)
        except RuntimeError:  # the caller's loop is gone; nobody waits
            pass

    def _spawn(self) -> _Worker:
        ours, theirs = socket.socketpair()
        for end in (ours, theirs):  # a whole document per system call, both ways
            end.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, _SOCKET_BUFFER)
            end.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, _SOCKET_BUFFER)
        code = (f"import sys; sys.path[:] = {sys.path!r}; from minica.server.worker_process import worker_main; "
                f"worker_main({theirs.fileno()}, {os.getpid()}, {self.preload!r})")
        try:
            process = subprocess.Popen([sys.executable, "-c", code], pass_fds=(theirs.fileno(),),
                                       stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL)
        except OSError:
            ours.close()
            raise
        finally:
            theirs.close()
        ours.setblocking(False)
        worker = _Worker(process, ours)
        with self._lock:
            self._workers.add(worker)
        return worker

    def _discard(self, worker: _Worker) -> None:
        """Kill a worker (whatever it is doing) and reap it."""
        with self._lock:
            self._workers.discard(worker)
        if worker in self._state.idle:
            self._state.idle.remove(worker)
        worker.sock.close()
        if worker.process.poll() is None:
            worker.process.kill()
        try:
            worker.process.wait(timeout=0.5)  # SIGKILL is immediate; this only reaps
        except subprocess.TimeoutExpired:  # pragma: no cover - a process stuck in the kernel
            asyncio.get_running_loop().run_in_executor(None, worker.process.wait)

    async def _warm_up(self) -> None:
        state = self._state
        state.warm = True
        state.warming = asyncio.current_task()
        while len(self._workers) < self.size:
            state.idle.append(self._spawn())
        loop = asyncio.get_running_loop()
        ping = pickle.dumps((os.getpid, (), {}), protocol=pickle.HIGHEST_PROTOCOL)
        frame = _HEADER.pack(len(ping)) + ping
        for worker in list(state.idle):
            try:
                await loop.sock_sendall(worker.sock, frame)
                _unpack(await _read_frame(loop, worker.sock))
            except (OSError, EOFError):
                status = _exit_status(worker)
                self._discard(worker)
                raise WorkRefused(f"a worker process could not start ({status})",
                                  f"check that {sys.executable} can import minica") from None

    async def _shutdown(self, grace: float) -> None:
        state = self._state
        state.closing = True
        if state.warming is not None and not state.warming.done():
            # Stopped while starting (SIGTERM during start()): end the warm-up here, or the loop
            # would close under it ("Task was destroyed but it is pending!").
            state.warming.cancel()
            await asyncio.wait([state.warming], timeout=5)
        while state.queue:
            self._settle(state.queue.popleft(), exc=self._stopping())
        tasks = [job.task for job in state.running if job.task is not None]
        if tasks and grace > 0:
            await asyncio.wait(tasks, timeout=grace)
        for job in list(state.running):
            if job.task is not None:
                job.task.cancel()
        if tasks:
            await asyncio.wait(tasks, timeout=5)
        with self._lock:
            left = list(self._workers)
        for worker in left:
            self._discard(worker)
        asyncio.get_running_loop().stop()


async def within(seconds: float, work: Coroutine[Any, Any, R]) -> R:
    """``await work``, or :class:`asyncio.TimeoutError` after ``seconds`` (in the same task where
    Python allows it: no task per request on the hot paths)."""
    if sys.version_info >= (3, 11):
        async with asyncio.timeout(seconds):
            return await work
    return await asyncio.wait_for(work, seconds)  # pragma: no cover - Python 3.10


def _timed_out(job: _Job) -> WorkTimedOut:
    return WorkTimedOut(f"the work took longer than {job.timeout:g} s and was stopped",
                        "send a smaller or simpler document; the limit is 'minica serve --request-timeout'")


def _run_loop(loop: asyncio.AbstractEventLoop) -> None:
    asyncio.set_event_loop(loop)
    try:
        loop.run_forever()
    finally:
        loop.close()


def _exit_status(worker: _Worker) -> str:
    code = worker.process.poll()
    if code is None:
        return "still running"
    if code < 0:
        return f"killed by {signal.Signals(-code).name}"
    return f"exit status {code}"


async def _exchange(loop: asyncio.AbstractEventLoop, sock: socket.socket, payload: bytes) -> bytearray:
    await loop.sock_sendall(sock, _HEADER.pack(len(payload)))
    await loop.sock_sendall(sock, payload)
    return await _read_frame(loop, sock)


async def _read_frame(loop: asyncio.AbstractEventLoop, sock: socket.socket) -> bytearray:
    size = _HEADER.unpack(await _read_exactly(loop, sock, _HEADER.size))[0]
    if size > _MAX_FRAME:  # never from minica's own worker
        raise EOFError(f"a worker announced {size} bytes")
    return await _read_exactly(loop, sock, size)


async def _read_exactly(loop: asyncio.AbstractEventLoop, sock: socket.socket, size: int) -> bytearray:
    buffer = bytearray(size)
    view, got = memoryview(buffer), 0
    while got < size:
        count = await loop.sock_recv_into(sock, view[got:])
        if count == 0:
            raise EOFError("the worker closed its socket")
        got += count
    return buffer


def _unpack(reply: bytearray) -> Any:
    ok, value, remote = pickle.loads(reply)
    if ok:
        return value
    if remote:
        value.__cause__ = RemoteTraceback(remote)
    raise value
