"""Running a ``minica`` command and killing it with SIGKILL at a chosen point (test support).

The command runs in a forked child of the test process (the same code path as the console script,
without paying the interpreter's start-up for every run). An audit hook (:func:`sys.addaudithook`)
numbers the events the command raises: file opens, renames, links, removals, SQLite connections,
imports, … The child SIGKILLs itself when the chosen event comes, *before* the operation behind it
runs. Choosing among these numbers instead of timing a kill makes every run reproducible.

Events that change files ("mutations": opening for writing, rename, link, remove, mkdir) are the
boundaries where a crash can leave half-done work; every one of them is a candidate kill point.
"""

from __future__ import annotations

import json
import os
import signal
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

#: Set in the command's environment, so that its worker processes can be found in /proc.
TAG_ENV = "MINICA_KILLTEST_TAG"

_WRITE_FLAGS = os.O_WRONLY | os.O_RDWR | os.O_CREAT | os.O_APPEND | os.O_TRUNC
_MUTATIONS = {"os.rename", "os.link", "os.remove", "os.rmdir", "os.mkdir", "shutil.rmtree", "os.truncate"}
#: Raised so often, and so far from any file, that they would only dilute the random points.
_NOISE = {"sys._getframe", "object.__getattr__", "object.__setattr__", "builtins.id", "time.sleep"}


@dataclass(frozen=True)
class Outcome:
    """How a run ended: its exit code (``-9`` when killed), its events, what it printed."""

    exit_code: int
    events: int
    mutations: tuple[tuple[int, str], ...]
    output: str

    @property
    def killed(self) -> bool:
        return self.exit_code == -signal.SIGKILL


def _mutation(event: str, args: tuple[Any, ...]) -> str | None:
    """A short description of a file-changing event, or None."""
    if event == "open":
        path, mode, flags = (list(args) + [None, None, 0])[:3]
        writes = (isinstance(mode, str) and any(c in mode for c in "wax+")) or bool((flags or 0) & _WRITE_FLAGS)
        return f"open {Path(str(path)).name}" if writes and isinstance(path, (str, bytes, os.PathLike)) else None
    if event in _MUTATIONS:
        return f"{event} {Path(str(args[0])).name}" if args else event
    return None


def run(
    args: Sequence[str],
    log: Path,
    *,
    kill_at: int | None = None,
    kill_parent_at_worker_mutation: int | None = None,
    tag: str = "",
) -> Outcome:
    """Run ``minica ARGS`` in a forked child, killed at event number ``kill_at`` (1-based) if given.

    ``kill_parent_at_worker_mutation``: instead, the k-th file change made by any *worker* process of
    the command (batch signing) kills the command itself, so the test can see the workers' fate.
    """
    report_read, report_write = os.pipe()
    pid = os.fork()
    if pid == 0:  # the command
        os.close(report_read)
        code = 70
        try:
            code = _child(args, log, kill_at, kill_parent_at_worker_mutation, tag, report_write)
        finally:
            os._exit(code)
    os.close(report_write)
    with os.fdopen(report_read, "rb") as report:
        raw = report.read()
    _, status = os.waitpid(pid, 0)
    counted: dict[str, Any] = json.loads(raw) if raw else {"events": -1, "mutations": []}
    return Outcome(
        exit_code=os.waitstatus_to_exitcode(status),
        events=int(counted["events"]),
        mutations=tuple((int(n), str(d)) for n, d in counted["mutations"]),
        output=log.read_text(errors="replace") if log.exists() else "",
    )


def _child(
    args: Sequence[str], log: Path, kill_at: int | None, kill_parent_at: int | None, tag: str, report_fd: int
) -> int:
    fd = os.open(log, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    os.dup2(fd, 1)
    os.dup2(fd, 2)
    sys.stdout = open(1, "w", closefd=False)  # noqa: SIM115 - lives as long as this process
    sys.stderr = open(2, "w", closefd=False)  # noqa: SIM115
    sys.stdin = open(os.devnull)  # noqa: SIM115 - nobody at the keyboard
    if tag:
        os.environ[TAG_ENV] = tag
    me = os.getpid()
    state = {"events": 0, "worker_mutations": 0}
    mutations: list[tuple[int, str]] = []

    def hook(event: str, hook_args: tuple[Any, ...]) -> None:
        if os.getpid() != me:  # a worker (forked after this hook was added)
            if kill_parent_at is not None and _mutation(event, hook_args):
                state["worker_mutations"] += 1
                if state["worker_mutations"] == kill_parent_at:
                    os.kill(me, signal.SIGKILL)
            return
        if event in _NOISE:
            return
        state["events"] += 1
        described = _mutation(event, hook_args)
        if described:
            mutations.append((state["events"], described))
        if kill_at is not None and state["events"] == kill_at:
            os.kill(me, signal.SIGKILL)

    from minica.cli.main import cli

    os.umask(0o077)
    sys.addaudithook(hook)
    try:
        cli.main(args=list(args), prog_name="minica", standalone_mode=True)
        code = 0
    except SystemExit as exc:
        code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
    sys.stdout.flush()
    sys.stderr.flush()
    os.write(report_fd, json.dumps({"events": state["events"], "mutations": mutations}).encode())
    return code


def tagged_processes(tag: str) -> list[int]:
    """Live processes whose environment carries ``tag`` (a killed command's surviving workers)."""
    found = []
    needle = f"{TAG_ENV}={tag}".encode()
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit():
            continue
        try:
            environ = Path(entry.path, "environ").read_bytes()
        except OSError:
            continue
        if needle in environ.split(b"\0"):
            found.append(int(entry.name))
    return found


def wait_gone(pids: Sequence[int], timeout: float) -> list[int]:
    """Wait (without polling) until every pid has exited; return those still alive at ``timeout``."""
    import select

    alive = []
    for pid in pids:
        try:
            handle = os.pidfd_open(pid)
        except ProcessLookupError:
            continue
        try:
            ready, _, _ = select.select([handle], [], [], timeout)
            if not ready:
                alive.append(pid)
        finally:
            os.close(handle)
    return alive
