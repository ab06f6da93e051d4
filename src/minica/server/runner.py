"""Running ``minica serve``: its listening socket, uvicorn with bounded clients, a clean stop.

- :func:`bind_listener` binds the port before anything else happens (no token printed, no token
  file written when the port is taken) and hands the socket to uvicorn, so nothing can take the
  port in between.
- :class:`~minica.server.limits.ClientLimits`: a client has ``header_timeout`` seconds to send a
  request's head (from connecting, or from its first byte on a kept-alive connection); an idle
  kept-alive connection closes after ``keep_alive`` seconds; at most ``max_connections`` are open
  at once (the next one gets a 503 and is closed). The body's deadline is the app's
  (``ServerSettings.body_timeout``).
- On SIGINT/SIGTERM the server stops accepting, gives running jobs ``shutdown_grace`` seconds,
  kills the worker processes (their requests get a 503), drops clients still sending a body, and
  exits with status 0 and no traceback.
"""

from __future__ import annotations

import asyncio
import contextlib
import errno
import logging
import math
import signal
import socket
import threading
from collections.abc import Iterator
from typing import ClassVar, cast

import h11
import uvicorn
from uvicorn.protocols.http.h11_impl import H11Protocol

from minica.errors import InvalidInput, RefusedOperation
from minica.server.app import ServerApp
from minica.server.limits import ClientLimits

_TOO_MANY_BODY = b'{"error":"the server has too many open connections","hint":"try again shortly"}'
#: What a connection beyond the limit gets before it is closed.
_TOO_MANY = (b"HTTP/1.1 503 Service Unavailable\r\ncontent-type: application/json\r\nconnection: close\r\n"
             b"retry-after: 1\r\ncontent-length: %d\r\n\r\n%s" % (len(_TOO_MANY_BODY), _TOO_MANY_BODY))


class PortUnavailable(RefusedOperation):
    """The address or port cannot be listened on (taken, not ours, or privileged)."""


def bind_listener(host: str, port: int) -> socket.socket:
    """A socket listening on ``host``:``port`` (0: any free port), or :class:`PortUnavailable`.
    A name that resolves to several addresses listens on the first IPv4 one."""
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE)
    except socket.gaierror as exc:
        raise InvalidInput(f"cannot resolve the host '{host}': {exc.strerror}",
                           "give an IP address such as 127.0.0.1") from None
    infos.sort(key=lambda info: info[0] != socket.AF_INET)  # a name such as localhost: IPv4 first
    family, kind, proto, _name, address = infos[0]
    sock = socket.socket(family, kind, proto)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # rebind past TIME_WAIT, never a live one
        sock.bind(address)
        sock.listen(2048)
    except OSError as exc:
        sock.close()
        if exc.errno == errno.EADDRINUSE:
            raise PortUnavailable(f"port {port} on {host} is already in use",
                                  "stop the other server or choose another --port") from None
        if exc.errno == errno.EACCES:
            raise PortUnavailable(f"no permission to listen on port {port}", "choose a port above 1023") from None
        if exc.errno == errno.EADDRNOTAVAIL:
            raise PortUnavailable(f"{host} is not an address of this machine",
                                  "use 127.0.0.1, or an address this machine has") from None
        raise PortUnavailable(f"cannot listen on {host}:{port}: {exc.strerror}",
                              "choose another --host or --port") from None
    return sock


class BoundedH11Protocol(H11Protocol):
    """uvicorn's HTTP/1.1 protocol with a deadline for each request's head and a connection cap."""

    limits: ClassVar[ClientLimits] = ClientLimits()
    _head_timer: asyncio.TimerHandle | None = None

    @classmethod
    def with_limits(cls, limits: ClientLimits) -> type[BoundedH11Protocol]:
        return cast("type[BoundedH11Protocol]", type("BoundedH11Protocol", (cls,), {"limits": limits}))

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        if len(self.connections) > self.limits.max_connections:
            transport.write(_TOO_MANY)
            transport.close()
            return
        self._follow_head()

    def data_received(self, data: bytes) -> None:
        super().data_received(data)
        self._follow_head()

    def connection_lost(self, exc: Exception | None) -> None:
        self._stop_head_timer()
        super().connection_lost(exc)

    def shutdown(self) -> None:
        """At shutdown, a client still sending its body is dropped (its request sees a disconnect)."""
        if self.cycle is not None and not self.cycle.response_complete and self.conn.their_state is h11.SEND_BODY:
            self._stop_head_timer()
            self.transport.close()
            return
        super().shutdown()

    def _follow_head(self) -> None:
        """Arm the head's deadline while the head of a request is awaited; disarm once it is in."""
        if self.conn.their_state is h11.IDLE and not self.transport.is_closing():
            if self._head_timer is None:
                self._head_timer = self.loop.call_later(self.limits.header_timeout, self._head_too_late)
        else:
            self._stop_head_timer()

    def _stop_head_timer(self) -> None:
        if self._head_timer is not None:
            self._head_timer.cancel()
            self._head_timer = None

    def _head_too_late(self) -> None:
        self._head_timer = None
        if self.conn.their_state is h11.IDLE and not self.transport.is_closing():
            self.transport.close()  # no request, so nothing to answer


class _QuietCancellation(logging.Filter):
    """A request cut off when the shutdown's patience ends is one line, not a traceback."""

    def filter(self, record: logging.LogRecord) -> bool:
        if record.exc_info and isinstance(record.exc_info[1], asyncio.CancelledError):
            record.msg, record.args = "a request was cut off by the shutdown", ()
            record.exc_info, record.exc_text = None, None
        return True


class MinicaServer(uvicorn.Server):
    """uvicorn's server with minica's stop: SIGINT/SIGTERM is a normal stop (exit 0), and the
    worker processes are stopped first so that no request waits on work that will not end."""

    def __init__(self, config: uvicorn.Config, app: ServerApp, limits: ClientLimits) -> None:
        super().__init__(config)
        self.minica_app = app
        self.limits = limits

    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        # uvicorn re-raises the signal after its graceful shutdown, which would end the process
        # with status -15; here the stop is the normal end.
        if threading.current_thread() is not threading.main_thread():
            yield
            return
        previous = {sig: signal.signal(sig, self.handle_exit) for sig in (signal.SIGINT, signal.SIGTERM)}
        try:
            yield
        finally:
            for sig, handler in previous.items():
                signal.signal(sig, handler)

    async def shutdown(self, sockets: list[socket.socket] | None = None) -> None:
        stopping = asyncio.ensure_future(self.minica_app.pool.aclose(self.limits.shutdown_grace))
        try:
            await super().shutdown(sockets)
        finally:
            await stopping


def server_config(app: ServerApp, limits: ClientLimits, *, quiet_uvicorn: bool = True) -> uvicorn.Config:
    """uvicorn's configuration for ``app`` under ``limits``."""
    return uvicorn.Config(
        app, http=BoundedH11Protocol.with_limits(limits), lifespan="off", access_log=False,
        log_level="warning" if quiet_uvicorn else "info",
        limit_concurrency=limits.max_connections + 1,  # uvicorn counts the asking connection too
        timeout_keep_alive=limits.keep_alive,
        timeout_graceful_shutdown=math.ceil(limits.shutdown_grace) + 3,
    )


def run_server(app: ServerApp, listener: socket.socket, limits: ClientLimits | None = None) -> None:
    """Serve ``app`` on ``listener`` until SIGINT/SIGTERM (or ``should_exit``); then stop the workers."""
    limits = limits or ClientLimits()
    logging.getLogger("uvicorn.error").addFilter(_QuietCancellation())
    server = MinicaServer(server_config(app, limits), app, limits)
    try:
        server.run(sockets=[listener])
    finally:
        app.close()
        listener.close()
