"""The server's worker pool (minica.server.workers): results and errors cross the process boundary
intact; a job past its deadline is abandoned with WorkTimedOut and its worker killed and replaced;
a job that finds no free worker in time gets ServerBusy; close() ends running jobs with
ServerStopping and leaves no process; workers die with a server killed by SIGKILL.

Slow jobs never sleep: they wait on an event nobody sets, so only the pool can end them. Every
test is bounded by a hang detector."""

from __future__ import annotations

import asyncio
import gc
import os
import select
import signal
import subprocess
import sys
import textwrap
import threading
from collections.abc import Coroutine, Iterator
from pathlib import Path
from typing import Any, TypeVar

import pool_jobs
import pytest

from minica.ca.requests.form import InvalidRequestForm
from minica.errors import WeakPassword
from minica.server.workers import (
    RemoteTraceback,
    ServerBusy,
    ServerStopping,
    WorkerLost,
    WorkerPool,
    WorkTimedOut,
)

T = TypeVar("T")
HANG = 60.0  # seconds: a hang detector, never reached when the pool works


def run(coro: Coroutine[Any, Any, T]) -> T:
    return asyncio.run(asyncio.wait_for(coro, HANG))


def gone(pid: int, within: float = 10.0) -> bool:
    """Whether process ``pid`` has ended (waits on a pidfd: no polling, no sleep)."""
    try:
        fd = os.pidfd_open(pid)
    except ProcessLookupError:
        return True
    try:
        readable, _, _ = select.select([fd], [], [], within)
        return bool(readable)
    finally:
        os.close(fd)


@pytest.fixture
def pool() -> Iterator[WorkerPool]:
    pool = WorkerPool(2, timeout=30, preload=("pool_jobs",))
    yield pool
    pool.close()


@pytest.fixture
def one_worker() -> Iterator[WorkerPool]:
    """A pool of one worker, started (its pid is known before the first job)."""
    pool = WorkerPool(1, timeout=30, preload=("pool_jobs",))
    pool.start(warm=True)
    yield pool
    pool.close()


def test_results_and_errors_cross_the_process_boundary(pool: WorkerPool) -> None:
    async def scenario() -> None:
        assert await pool.run(pool_jobs.echo, {"document": b"\x00" * 100_000}) == {"document": b"\x00" * 100_000}
        assert await pool.run(pool_jobs.pid) != os.getpid()
        with pytest.raises(WeakPassword) as weak:
            await pool.run(pool_jobs.refuse_password)
        assert (weak.value.what, weak.value.hint) == ("the password is too short", "use at least 8 characters")
        with pytest.raises(InvalidRequestForm) as form:  # a subclass whose __init__ takes other arguments
            await pool.run(pool_jobs.refuse_form)
        assert form.value.problems == {"nit": "the check digit is wrong", "email": "not an e-mail"}
        assert "2 problems" in form.value.what and form.value.hint
        with pytest.raises(KeyError) as bug:  # a bug keeps its type and its remote traceback
            await pool.run(pool_jobs.bug)
        assert isinstance(bug.value.__cause__, RemoteTraceback) and "pool_jobs.py" in str(bug.value.__cause__)
        with pytest.raises(WorkerLost, match="exit status 3"):
            await pool.run(pool_jobs.crash)
        assert await pool.run(pool_jobs.echo, "still working") == "still working"

    run(scenario())


def test_a_job_past_its_deadline_is_abandoned_and_its_worker_killed_and_replaced(one_worker: WorkerPool) -> None:
    pool = one_worker
    [first] = pool.worker_pids()

    async def scenario() -> None:
        pool.timeout = 0.3  # for the job that never ends only
        with pytest.raises(WorkTimedOut, match="longer than 0.3 s"):
            await pool.run(pool_jobs.never_ends)
        pool.timeout = 30
        assert gone(first)
        replacement = await pool.run(pool_jobs.pid)
        assert replacement != first and pool.worker_pids() == [replacement]

    run(scenario())


def test_a_job_that_finds_no_free_worker_in_time_is_refused_busy_and_close_stops_the_rest(
    one_worker: WorkerPool,
) -> None:
    pool = one_worker
    [worker] = pool.worker_pids()

    async def scenario() -> None:
        running = asyncio.ensure_future(pool.run(pool_jobs.never_ends))
        await asyncio.sleep(0)  # no time passes: the job is submitted, with the 30 s deadline
        pool.timeout = 0.3
        with pytest.raises(ServerBusy, match="busy"):
            await pool.run(pool_jobs.pid)  # queued behind the endless job, past its own deadline
        assert not running.done()
        await pool.aclose(grace=0.2)  # the endless job gets 0.2 s, then its worker is killed
        with pytest.raises(ServerStopping):
            await running
        with pytest.raises(ServerStopping):
            await pool.run(pool_jobs.pid)

    run(scenario())
    assert pool.worker_pids() == [] and gone(worker)


def test_workers_die_with_a_server_killed_by_sigkill(tmp_path: Path) -> None:
    """The workers are forked by the pool's long-lived thread: its death signal fires only when
    the server process ends, and then it does."""
    script = tmp_path / "server.py"
    script.write_text(textwrap.dedent("""
        import threading
        from minica.server.workers import WorkerPool
        pool = WorkerPool(2, timeout=30, preload=())

        def start():  # in a short-lived thread: the workers must not die when it ends
            pool.start(warm=True)
            print(*pool.worker_pids(), flush=True)

        starter = threading.Thread(target=start)
        starter.start()
        starter.join()
        threading.Event().wait()
    """))
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}
    server = subprocess.Popen([sys.executable, str(script)], stdout=subprocess.PIPE, text=True, env=env)
    try:
        ready, _, _ = select.select([server.stdout], [], [], HANG)
        assert ready, "the pool did not start"
        assert server.stdout is not None
        pids = [int(p) for p in server.stdout.readline().split()]
        assert len(pids) == 2 and not any(gone(p, within=0) for p in pids)
        server.send_signal(signal.SIGKILL)
        server.wait(timeout=HANG)
        assert all(gone(p) for p in pids)
    finally:
        server.kill()
        server.wait(timeout=HANG)


def test_a_stop_while_the_workers_start_ends_the_start_cleanly(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                              caplog: pytest.LogCaptureFixture) -> None:  # fmt: skip
    """SIGTERM during `minica serve`'s start closes the pool while start() waits for its workers:
    start() ends with ServerStopping, no worker is left, and asyncio reports no abandoned task."""
    fifo = tmp_path / "stuck.fifo"
    os.mkfifo(fifo)
    monkeypatch.setenv("MINICA_TEST_STUCK_FIFO", str(fifo))
    pool = WorkerPool(1, timeout=30, preload=("pool_stuck_import",))
    outcome: list[BaseException | None] = []

    def start() -> None:
        try:
            pool.start(warm=True, timeout=HANG)
            outcome.append(None)
        except BaseException as exc:  # noqa: BLE001 - the test looks at what start() raised
            outcome.append(exc)

    starter = threading.Thread(target=start)
    starter.start()
    with open(fifo) as reader:  # blocks until the worker is importing: the warm-up is waiting on it
        assert reader.readline() == "importing\n"
    workers = pool.worker_pids()
    pool.close()
    starter.join(HANG)
    gc.collect()  # a pending task destroyed with its loop is reported when it is collected
    assert len(outcome) == 1 and isinstance(outcome[0], ServerStopping)
    assert pool.worker_pids() == [] and all(gone(p) for p in workers)
    assert "Task was destroyed" not in caplog.text
