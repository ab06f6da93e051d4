"""The life of a worker process of :class:`minica.server.workers.WorkerPool`.

A worker is started with ``python -c`` and the server's ``sys.path``; it first arranges to die with
the server (:func:`minica.children.die_with_parent`), ignores Ctrl-C (the server decides), writes
no core file (it holds passwords and keys while it works), imports the modules it was told to, and
then runs jobs from its socket until the socket closes. A job is a pickled ``(function, args,
kwargs)`` framed by an 8-byte length; the answer is ``(True, result, None)`` or ``(False,
exception, remote traceback text)``, framed the same way.
"""

from __future__ import annotations

import importlib
import os
import pickle
import signal
import socket
import struct
import traceback
from collections.abc import Sequence
from typing import Any

from minica.children import die_with_parent
from minica.errors import MinicaError

#: Length prefix of every frame between the server and a worker.
HEADER = struct.Struct("!Q")


def worker_main(fd: int, parent_pid: int, preload: Sequence[str] = ()) -> None:
    """A worker's whole life: run jobs from the socket ``fd`` until it closes (or the server dies)."""
    die_with_parent(parent_pid)
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C reaches the whole group; the server decides
    try:
        import resource

        resource.setrlimit(resource.RLIMIT_CORE, (0, 0))  # a crash never writes keys to a core file
    except (ImportError, ValueError, OSError):  # pragma: no cover - not on this system
        pass
    for name in preload:
        importlib.import_module(name)
    sock = socket.socket(fileno=fd)
    while True:
        try:
            header = _recv_exactly(sock, HEADER.size)
            request = _recv_exactly(sock, HEADER.unpack(header)[0])
        except (OSError, EOFError):
            os._exit(0)
        reply = _execute(request)
        try:
            sock.sendall(HEADER.pack(len(reply)))
            sock.sendall(reply)
        except OSError:
            os._exit(0)


def _recv_exactly(sock: socket.socket, size: int) -> bytearray:
    buffer = bytearray(size)
    view, got = memoryview(buffer), 0
    while got < size:
        count = sock.recv_into(view[got:])
        if count == 0:
            raise EOFError
        got += count
    return buffer


def _execute(request: bytearray) -> bytes:
    try:
        function, args, kwargs = pickle.loads(request)
        result = function(*args, **kwargs)
        return pickle.dumps((True, result, None), protocol=pickle.HIGHEST_PROTOCOL)
    except Exception as exc:  # every outcome goes back to the caller, who decides
        return _pickled_error(exc)


def _pickled_error(exc: Exception) -> bytes:
    """An exception as the caller will raise it: a minica error exactly (what, hint and extra
    fields such as a form's ``problems``); anything else with its traceback as text."""
    value: object
    if isinstance(exc, MinicaError):
        value, remote = _Rebuilt(type(exc), exc.args, dict(vars(exc))), None
    else:
        value, remote = exc, "".join(traceback.format_exception(exc))
    try:
        data = pickle.dumps((False, value, remote), protocol=pickle.HIGHEST_PROTOCOL)
        pickle.loads(data)
        return data
    except Exception:  # noqa: BLE001 - an exception that does not travel: its name and text do
        text = f"{type(exc).__name__}: {exc}"
        return pickle.dumps((False, RuntimeError(text), remote or text), protocol=pickle.HIGHEST_PROTOCOL)


class _Rebuilt:
    """Pickles a :class:`MinicaError` of any subclass so that it is rebuilt without calling its
    ``__init__`` (whose parameters differ between subclasses): what, hint and extra fields."""

    def __init__(self, cls: type[MinicaError], args: tuple[Any, ...], state: dict[str, Any]) -> None:
        self.cls, self.args, self.state = cls, args, state

    def __reduce__(self) -> tuple[Any, ...]:
        return (_rebuild, (self.cls, self.args, self.state))


def _rebuild(cls: type[MinicaError], args: tuple[Any, ...], state: dict[str, Any]) -> MinicaError:
    error = cls.__new__(cls)
    error.args = args
    error.__dict__.update(state)
    return error
