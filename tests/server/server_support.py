"""Helpers for the server tests (importable as ``server_support``)."""

from __future__ import annotations

import contextlib
import json
import socket
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import uvicorn
from starlette.types import ASGIApp

TOKEN = "test-token-0123456789abcdef"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextlib.contextmanager
def running(app: ASGIApp, port: int) -> Iterator[None]:
    """``app`` served by uvicorn on 127.0.0.1:``port`` in a thread, until the block ends."""
    config = uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", access_log=False, lifespan="off")
    runner = uvicorn.Server(config)
    thread = threading.Thread(target=runner.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not runner.started:
        assert time.monotonic() < deadline, "the server did not start within 10 s"
        assert thread.is_alive(), "the server thread ended"
        time.sleep(0.02)
    try:
        yield
    finally:
        runner.should_exit = True
        thread.join(timeout=10)


@dataclass
class RunningServer:
    url: str
    port: int
    token: str


def call(server: RunningServer, method: str, path: str, body: Any = None, *, token: str | None = "default",
         raw: bytes | None = None) -> tuple[int, Any]:
    """One HTTP request with urllib (a plain client): the status and the JSON (or raw) reply."""
    headers = {"Content-Type": "application/json"}
    if token is not None:
        headers["Authorization"] = f"Bearer {server.token if token == 'default' else token}"
    data = raw if raw is not None else (json.dumps(body).encode() if body is not None else None)
    request = urllib.request.Request(server.url + path, data=data, method=method, headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=60) as reply:
            payload = reply.read()
            status = reply.status
    except urllib.error.HTTPError as exc:
        payload, status = exc.read(), exc.code
    return status, json.loads(payload) if payload.startswith((b"{", b"[")) else payload
