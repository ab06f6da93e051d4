"""A real ``minica serve`` (uvicorn on 127.0.0.1, a free port, in a thread) over a test CA."""

from __future__ import annotations

import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import uvicorn

sys.path.insert(0, str(Path(__file__).parent))  # for ``server_support``
from server_support import TOKEN, RunningServer, free_port
from support import PASSWORD

from minica.ca.hierarchy import Authority
from minica.ca.issuance import IssuedCertificate, IssueRequest, issue_certificate
from minica.clock import FixedClock
from minica.identity import Nit
from minica.server.app import ServerSettings, create_app
from minica.storage.home import Home


@pytest.fixture
def settings(authority: Authority, home: Home, clock: FixedClock) -> ServerSettings:
    return ServerSettings(home=home, clock=clock, token=TOKEN)


@pytest.fixture
def server(settings: ServerSettings) -> Iterator[RunningServer]:
    port = free_port()
    config = uvicorn.Config(create_app(settings), host="127.0.0.1", port=port, log_level="warning",
                            access_log=False, lifespan="off")
    runner = uvicorn.Server(config)
    thread = threading.Thread(target=runner.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not runner.started:
        assert time.monotonic() < deadline, "the server did not start within 10 s"
        time.sleep(0.02)
    try:
        yield RunningServer(f"http://127.0.0.1:{port}", port, TOKEN)
    finally:
        runner.should_exit = True
        thread.join(timeout=10)


@pytest.fixture
def leaf(authority: Authority, home: Home, clock: FixedClock) -> IssuedCertificate:
    return issue_certificate(home, IssueRequest(Nit.parse("900373987-9"), "MINICA PRUEBAS S.A.S."),
                             store_password=PASSWORD.encode(), clock=clock)
