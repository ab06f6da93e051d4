"""Helpers for the server tests (importable as ``server_support``)."""

from __future__ import annotations

import socket
from dataclasses import dataclass

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
