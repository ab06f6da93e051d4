"""Child processes that die with their parent.

A worker that outlives its parent (killed with ``kill -9``) would keep running as an orphan, holding
opened private keys and burning CPU. Every worker minica starts calls :func:`die_with_parent` first:

- on Linux the kernel delivers SIGKILL to the worker the moment its parent dies
  (``prctl(PR_SET_PDEATHSIG)``), with no polling;
- elsewhere a daemon thread checks every half second whether the parent changed, and exits.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import os
import signal
import sys
import threading

_PR_SET_PDEATHSIG = 1
_POLL_SECONDS = 0.5


def die_with_parent(parent_pid: int | None = None) -> None:
    """Make the calling process end when ``parent_pid`` (default: its parent now) ends.

    Call it first thing in a worker. If the parent already died before the call (the worker was
    re-parented), the worker exits at once.
    """
    expected = parent_pid if parent_pid is not None else os.getppid()
    if sys.platform.startswith("linux") and _prctl_death_signal(signal.SIGKILL):
        # The death signal fires when the thread that forked us ends; check for the race where the
        # parent was already gone before prctl took effect.
        if os.getppid() != expected:
            os._exit(1)
        return
    _watch_parent(expected)


def _prctl_death_signal(sig: int) -> bool:
    try:
        # The process's own symbols include libc's: find_library("c") would run ldconfig in a
        # subprocess, in every worker.
        prctl = ctypes.CDLL(None, use_errno=True).prctl
    except (OSError, AttributeError):  # pragma: no cover - a libc linked otherwise
        try:
            prctl = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6", use_errno=True).prctl
        except (OSError, AttributeError):  # no libc/prctl on this system
            return False
    return int(prctl(_PR_SET_PDEATHSIG, int(sig), 0, 0, 0)) == 0


def _watch_parent(expected: int) -> None:  # pragma: no cover - only where prctl is missing
    def watch() -> None:
        stop = threading.Event()
        while not stop.wait(_POLL_SECONDS):
            if os.getppid() != expected:
                os._exit(1)

    threading.Thread(target=watch, name="minica-parent-watch", daemon=True).start()
