"""Helpers for the server tests (importable as ``server_support``)."""

from __future__ import annotations

import json
import socket
import urllib.error
import urllib.request
from dataclasses import dataclass
from typing import Any

TOKEN = "test-token-0123456789abcdef"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


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
