"""Fixtures for the request process: a CA home, a valid form, PDFs, a loopback SMTP server."""

from __future__ import annotations

import datetime as dt
import socket
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

sys.path.insert(0, str(Path(__file__).parent))  # for ``request_support``

from request_support import FORM, T0

from minica.ca.hierarchy import create_authority
from minica.ca.requests import form as request_form
from minica.ca.requests.pdf import simple_pdf
from minica.storage.home import Home


@pytest.fixture
def ca_home(tmp_path: Path) -> Home:
    home = Home(tmp_path / "home")
    create_authority(home, now=T0 - dt.timedelta(days=1), key_size=2048)
    return home


@pytest.fixture
def valid_form() -> request_form.RequestForm:
    return request_form.validate_form(FORM)


@pytest.fixture
def pdf_file(tmp_path: Path) -> Path:
    path = tmp_path / "documento.pdf"
    path.write_bytes(simple_pdf("Documento de prueba", ["Contenido del documento."]))
    return path


@pytest.fixture
def smtp_server() -> Iterator[tuple[str, int, list[Any]]]:
    """A real SMTP server (aiosmtpd) on 127.0.0.1 collecting what it receives."""
    from aiosmtpd.controller import Controller

    received: list[Any] = []

    class Handler:
        async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
            received.append(envelope)
            return "250 OK"

    with socket.socket() as probe:  # a free loopback port
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    controller = Controller(Handler(), hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield "127.0.0.1", port, received
    finally:
        controller.stop()
