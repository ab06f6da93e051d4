"""A real ``minica serve`` (uvicorn on 127.0.0.1, a free port, in a thread) over a test CA."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))  # for ``server_support``
from server_support import TOKEN, RunningServer, free_port, running
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
    with running(create_app(settings), port):
        yield RunningServer(f"http://127.0.0.1:{port}", port, TOKEN)


@pytest.fixture
def leaf(authority: Authority, home: Home, clock: FixedClock) -> IssuedCertificate:
    return issue_certificate(home, IssueRequest(Nit.parse("900373987-9"), "MINICA PRUEBAS S.A.S."),
                             store_password=PASSWORD.encode(), clock=clock)
