"""The bounds of ``minica serve``, in one place (light: the CLI reads the defaults for ``--help``).

Per request: ``request_timeout`` seconds of work in a worker process, ``body_timeout`` seconds to
receive the body (else 408), ``header_timeout`` seconds to receive the head (else the connection
closes). Per server: ``max_connections`` open at once, idle kept-alive connections closed after
``keep_alive`` seconds, and on SIGTERM running work gets ``shutdown_grace`` seconds.
"""

from __future__ import annotations

from dataclasses import dataclass

#: Seconds one request's work (signing, verifying, issuing, checking) may take.
DEFAULT_REQUEST_TIMEOUT = 30.0
#: Seconds a client may take to send a request's whole body.
DEFAULT_BODY_TIMEOUT = 30.0
#: Seconds a client may take to send a request's head.
DEFAULT_HEADER_TIMEOUT = 10.0
#: Open connections at most.
DEFAULT_MAX_CONNECTIONS = 512


@dataclass(frozen=True)
class ClientLimits:
    """How long and how many clients may hold the server, and how long a stop may take."""

    header_timeout: float = DEFAULT_HEADER_TIMEOUT
    keep_alive: int = 5
    max_connections: int = DEFAULT_MAX_CONNECTIONS
    shutdown_grace: float = 2.0

    def __post_init__(self) -> None:
        if not 0 < self.header_timeout <= 3600:
            raise ValueError("header_timeout must be more than 0 s and at most an hour")
        if not 1 <= self.keep_alive <= 3600:
            raise ValueError("keep_alive must be 1 s to an hour")
        if not 1 <= self.max_connections <= 100_000:
            raise ValueError("max_connections must be 1 to 100000")
        if not 0 <= self.shutdown_grace <= 60:
            raise ValueError("shutdown_grace must be 0 to 60 s")
