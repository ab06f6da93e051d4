"""``minica serve`` bounds what one client can take (issue 10 §3, §5): the work of a request (a job
that does not end gets a 503 and its worker is replaced), the time to send a request's head (the
connection closes) and body (408), the number of connections (503); a client that goes away is
neither an error nor a traceback; SIGTERM stops the server within seconds, whatever it is doing,
with status 0, no traceback and no worker left; a port in use is one error line, exit 1, no token.

Raw sockets on loopback; a job that never ends is signing with a keystore replaced by a named
pipe (FIFO), whose open() blocks until the test opens the other end. No test sleeps: each waits
on a socket, a pipe or an event, with a timeout as a hang detector."""

from __future__ import annotations

import base64
import json
import logging
import os
import re
import select
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from server_support import TOKEN, RunningServer, call
from support import NOW, PASSWORD, minica_process
from test_worker_pool import gone

from minica.ca.issuance import IssuedCertificate
from minica.environment import Environment
from minica.server.app import ServerApp, ServerSettings, create_app
from minica.server.limits import ClientLimits
from minica.server.runner import MinicaServer, bind_listener, server_config
from minica.storage.home import Home

ROOT = Path(__file__).resolve().parents[2]
HAB = ROOT / "testdata" / "invoice-habilitacion.xml"
HANG = 30.0  # seconds: a hang detector, never reached when the server works


class Served:
    """A real ``minica serve`` (MinicaServer on a bound loopback socket) in a thread."""

    def __init__(self, app: ServerApp, limits: ClientLimits) -> None:
        self.app = app
        listener = bind_listener("127.0.0.1", 0)  # listening already: clients may connect at once
        self.port = int(listener.getsockname()[1])
        self.api = RunningServer(f"http://127.0.0.1:{self.port}", self.port, TOKEN)
        self.server = MinicaServer(server_config(app, limits), app, limits)
        self.thread = threading.Thread(target=self.server.run, kwargs={"sockets": [listener]}, daemon=True)
        self.thread.start()

    def connect(self) -> socket.socket:
        sock = socket.create_connection(("127.0.0.1", self.port), timeout=HANG)
        return sock

    def stop(self) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=HANG)
        self.app.close()
        assert not self.thread.is_alive()


@pytest.fixture
def serve(settings: ServerSettings) -> Iterator[Any]:
    started: list[Served] = []

    def start(limits: ClientLimits | None = None, **changes: Any) -> Served:
        app = create_app(ServerSettings(**{**settings.__dict__, **changes}))
        app.pool.start(warm=True)
        started.append(Served(app, limits or ClientLimits()))
        return started[-1]

    yield start
    for served in started:
        served.stop()


def read_until_closed(sock: socket.socket) -> bytes:
    """Everything the server sends until it closes the connection (or the hang detector fires)."""
    data = b""
    while chunk := sock.recv(65536):
        data += chunk
    return data


def keystore_pipe(home: Home, leaf: IssuedCertificate) -> Path:
    """Replace the leaf's habilitación keystore with a FIFO: signing with it blocks in open()."""
    path = leaf.store_paths[Environment.HABILITACION]
    path = path if path.is_absolute() else home.root / path
    path.rename(path.with_name(path.name + ".real"))
    os.mkfifo(path, 0o600)
    return path


def restore_keystore(path: Path) -> None:
    path.unlink()
    path.with_name(path.name + ".real").rename(path)


SIGN = {"document": HAB.read_text(encoding="utf-8"), "password": PASSWORD}


def test_work_that_does_not_end_gets_a_503_and_its_worker_is_replaced(
    serve: Any, home: Home, leaf: IssuedCertificate
) -> None:
    served = serve(workers=1)
    [first] = served.app.pool.worker_pids()
    pipe = keystore_pipe(home, leaf)
    served.app.pool.timeout = 1.0  # for this request only: the signing job blocks on the pipe
    started = time.monotonic()
    status, body = call(served.api, "POST", "/api/v1/sign", SIGN)
    assert status == 503 and body == {
        "error": "the work took longer than 1 s and was stopped",
        "hint": "send a smaller or simpler document; the limit is 'minica serve --request-timeout'"}
    assert time.monotonic() - started < HANG / 2
    assert gone(first)
    served.app.pool.timeout = 30.0
    restore_keystore(pipe)
    status, body = call(served.api, "POST", "/api/v1/sign", SIGN)
    assert status == 200 and base64.b64decode(body["document_base64"]).startswith(b"<?xml")
    assert served.app.pool.worker_pids() != [first] and len(served.app.pool.worker_pids()) == 1


def test_a_client_that_sends_no_head_in_time_is_disconnected(serve: Any) -> None:
    served = serve(limits=ClientLimits(header_timeout=0.5))
    with served.connect() as silent, served.connect() as half:
        half.sendall(b"POST /api/v1/verify HTTP/1.1\r\nHost: 127.0.0.1\r\n")
        started = time.monotonic()
        assert read_until_closed(silent) == b""
        assert read_until_closed(half) == b""
        assert 0.4 < time.monotonic() - started < HANG / 2
    with served.connect() as slow:  # one byte at a time does not extend the deadline (slowloris)
        head, sent = b"GET /ca/root.pem HTTP/1.1\r\nHost: 127.0.0.1\r\n" + b"X-Pad: a\r\n" * 1000, 0
        slow.settimeout(0.05)
        closed = False
        while not closed and sent < len(head):
            slow.sendall(head[sent:sent + 1])
            sent += 1
            try:
                closed = slow.recv(1024) == b""
            except TimeoutError:
                pass
        assert closed and sent < len(head)
    with served.connect() as prompt:  # a client that sends its request in time is served
        prompt.sendall(b"GET /ca/root.pem HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n")
        assert read_until_closed(prompt).startswith(b"HTTP/1.1 200 ")


@pytest.mark.parametrize("path", ["/api/v1/verify", "/ocsp"])
def test_a_body_that_does_not_arrive_in_time_gets_408_and_the_connection_closes(serve: Any, path: str) -> None:
    served = serve(body_timeout=0.5)
    with served.connect() as sock:
        sock.sendall(f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
                     "Content-Length: 1000\r\n\r\n{\"document\": \"".encode())
        reply = read_until_closed(sock)
    head, _, body = reply.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 408 ") and b"connection: close" in head.lower()
    assert json.loads(body) == {"error": "the request body did not arrive within 0.5 s",
                                "hint": "send the whole body at once"}


class Records(logging.Handler):
    """Log records from the server's thread, and an event when ``count`` request lines came."""

    def __init__(self, count: int) -> None:
        super().__init__(logging.DEBUG)
        self.records: list[logging.LogRecord] = []
        self.count, self.lines, self.enough = count, 0, threading.Event()

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)
        if record.name == "minica.server" and record.levelno == logging.INFO:
            self.lines += 1
            if self.lines >= self.count:
                self.enough.set()


@pytest.fixture
def records() -> Iterator[Records]:
    handler = Records(count=20)
    loggers = [logging.getLogger(name) for name in ("minica.server", "uvicorn.error", "uvicorn", "asyncio")]
    levels = [logger.level for logger in loggers]
    for logger in loggers:
        logger.addHandler(handler)
        logger.setLevel(logging.INFO)
    yield handler
    for logger, level in zip(loggers, levels, strict=True):
        logger.removeHandler(handler)
        logger.setLevel(level)


def test_clients_that_go_away_mid_body_are_no_error(serve: Any, records: Records) -> None:
    served = serve()
    for index in range(20):  # 20 clients leave in the middle of their bodies, on two routes
        path = "/api/v1/verify" if index % 2 else "/ocsp"
        with served.connect() as sock:
            sock.sendall(f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
                         "Content-Length: 100000\r\n\r\n".encode() + b"{" * 5000)
    assert records.enough.wait(HANG), [r.getMessage() for r in records.records]
    lines = [r.getMessage() for r in records.records]
    assert all(re.fullmatch(r"POST /(api/v1/verify|ocsp) 499 [\d.]+ms", line) for line in lines), lines
    assert not any(r.levelno >= logging.WARNING or r.exc_info for r in records.records), lines
    status, _body = call(served.api, "GET", "/ca/root.pem", token=None)  # still serving
    assert status == 200


def test_connections_beyond_the_limit_get_503_and_are_closed(serve: Any) -> None:
    served = serve(limits=ClientLimits(max_connections=2))
    with served.connect() as first, served.connect() as second, served.connect() as third:
        reply = read_until_closed(third)
        head, _, body = reply.partition(b"\r\n\r\n")
        assert head.startswith(b"HTTP/1.1 503 ") and json.loads(body)["error"] == (
            "the server has too many open connections")
        for sock in (first, second):  # the two within the limit are served
            sock.sendall(b"GET /ca/root.pem HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n")
            assert read_until_closed(sock).startswith(b"HTTP/1.1 200 ")


def test_serve_on_a_port_in_use_is_one_error_line_without_a_token(authority: Any, home: Home,
                                                                  tmp_path: Path) -> None:
    token_file = tmp_path / "token"
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        done = minica_process("--home", str(home.root), "--at", NOW.isoformat(), "serve", "--port", str(port),
                              "--token-file", str(token_file), timeout=HANG)
    assert done.returncode == 1, done.stderr
    assert done.stderr == (f"error: port {port} on 127.0.0.1 is already in use — "
                           "stop the other server or choose another --port\n")
    assert done.stdout == "" and not token_file.exists()


def _children(pid: int) -> list[int]:
    """The processes whose parent is ``pid``."""
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            if int(stat.rpartition(")")[2].split()[1]) == pid:
                found.append(int(entry.name))
    return found


def _read_until(fd: int, marker: bytes) -> bytes:
    """What the pipe ``fd`` gives until ``marker`` has come (unbuffered: nothing is held back)."""
    data = b""
    while marker not in data:
        ready, _, _ = select.select([fd], [], [], HANG)
        assert ready, f"no {marker!r} within {HANG} s: {data!r}"
        chunk = os.read(fd, 4096)
        assert chunk, data
        data += chunk
    return data


def test_sigterm_stops_serve_within_seconds_while_a_job_never_ends(home: Home, leaf: IssuedCertificate,
                                                                    tmp_path: Path) -> None:
    pipe = keystore_pipe(home, leaf)
    token_file = tmp_path / "token"
    env = {**os.environ, "PYTHONPATH": str(ROOT / "src")}
    proc = subprocess.Popen(
        [sys.executable, "-m", "minica", "--home", str(home.root), "--at", NOW.isoformat(), "serve", "--port", "0",
         "--token-file", str(token_file), "--workers", "2"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, bufsize=0, env=env,
    )
    writer: list[Any] = []
    try:
        assert proc.stderr is not None
        banner = _read_until(proc.stderr.fileno(), b"a request's work stops after").decode()
        match = re.match(r"minica serve: http://127\.0\.0\.1:(\d+) ", banner)
        assert match, banner
        api = RunningServer(f"http://127.0.0.1:{match.group(1)}", int(match.group(1)),
                            token_file.read_text().strip())
        workers = _children(proc.pid)
        assert len(workers) == 2, workers
        answer: list[tuple[int, Any]] = []
        client = threading.Thread(target=lambda: answer.append(call(api, "POST", "/api/v1/sign", SIGN)))
        client.start()
        opened = threading.Thread(target=lambda: writer.append(open(pipe, "wb")))  # noqa: SIM115
        opened.start()
        opened.join(HANG)  # returns once a worker opened the keystore: the job is running, and stays
        assert writer, "the signing job did not start"
        silent = socket.create_connection(("127.0.0.1", api.port), timeout=HANG)  # slow clients too
        half_body = socket.create_connection(("127.0.0.1", api.port), timeout=HANG)
        half_body.sendall(b"POST /api/v1/verify HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 9999\r\n\r\n{")

        proc.send_signal(signal.SIGTERM)
        started = time.monotonic()
        _out, rest = proc.communicate(timeout=HANG)
        err = banner + rest.decode()
        stopped_in = time.monotonic() - started
        client.join(HANG)
        assert read_until_closed(silent) == b"" and read_until_closed(half_body) == b""
        silent.close()
        half_body.close()
    finally:
        proc.kill()
        proc.wait(HANG)
        for handle in writer:
            handle.close()
    assert proc.returncode == 0, err
    assert stopped_in < 8, stopped_in
    assert "Traceback" not in err and "CancelledError" not in err and "stopped" in err, err
    assert answer == [(503, {"error": "the server is stopping", "hint": "try again when it is back"})]
    assert all(gone(pid, within=5) for pid in workers)
