"""Helpers for the request-process tests (importable as ``request_support``)."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path
from typing import Any

from support import REQUEST_FORM

from minica.ca.requests import form as request_form
from minica.ca.requests import outbox, process
from minica.clock import COLOMBIA, FixedClock
from minica.storage.database import Database
from minica.storage.home import Home

#: Filing time of every test request: Monday 2 Nov 2026, 10:00 in Bogotá.
T0 = dt.datetime(2026, 11, 2, 10, 0, tzinfo=COLOMBIA)
STORE_PASSWORD = "Factura#2026"
NEW_PLATFORM_PASSWORD = "Plataforma#1"

FORM = REQUEST_FORM


def at(days: float = 0, hours: float = 0) -> FixedClock:
    return FixedClock(T0 + dt.timedelta(days=days, hours=hours))


def outbox_messages(home: Home, radicado: str | None = None) -> list[Any]:
    with Database.open(home) as db:
        entries = outbox.entries(db.connection, home, radicado)
    return [outbox.read_message(e.path) for e in entries]


def temporary_password(home: Home, radicado: str) -> str:
    welcome = [m for m in outbox_messages(home, radicado) if m["X-Minica-Notice"] == "bienvenida"][-1]
    match = re.search(r"Contraseña temporal: (\S+)", welcome.get_content())
    assert match
    return match.group(1)


def filed_and_signed_in(home: Home, form: request_form.RequestForm) -> process.Filed:
    filed = process.file_request(home, at(), form, STORE_PASSWORD)
    process.login(home, at(hours=1), filed.radicado, filed.platform_user,
                  temporary_password(home, filed.radicado), NEW_PLATFORM_PASSWORD)  # fmt: skip
    return filed


def complete(home: Home, radicado: str, pdf: Path, *, clock: FixedClock | None = None) -> None:
    """Upload the documents, save every section and press Finalizar."""
    clock = clock or at(hours=2)
    for kind in ("rut", "camara_comercio", "documento_identidad"):
        process.attach(home, clock, radicado, kind, pdf)
    for name in ("solicitante", "empresa", "representante", "documentos"):
        process.save_section(home, clock, radicado, name)
    process.finalize(home, clock, radicado)
