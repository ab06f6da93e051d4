"""Rows of the request process: the request, its history, its documents.

Everything here runs inside the caller's transaction (``sqlite3.Connection``); nothing here
decides what is allowed — that is :mod:`minica.ca.requests.process`.
"""

from __future__ import annotations

import datetime as _dt
import enum
import json
import re
import sqlite3
from dataclasses import dataclass
from typing import Any

from minica.ca.requests.form import RequestForm
from minica.errors import InvalidInput, NotFound


class Status(str, enum.Enum):
    """Where a request stands. The values are the ``status`` of ``request show --json``."""

    #: Vendor variant: filed, waiting for a payment or for the loaned-certificate path.
    PENDIENTE_PAGO = "pendiente_pago"
    #: Filed with DIAN ("radicada"); the CA sent the welcome e-mail; nobody signed in yet.
    RADICADA = "radicada"
    #: The requester signed in and is filling the form's sections.
    EN_DILIGENCIAMIENTO = "en_diligenciamiento"
    #: "Finalizar" was pressed: the form is locked and under review ("Completo").
    COMPLETA = "completa"
    #: Documents rejected: the form is open again for corrections, reminders run.
    RECHAZADA = "rechazada"
    #: Approved: the certificate was issued into both environments.
    APROBADA = "aprobada"
    #: Not corrected in time (day 15 after the rejection): can never be resumed.
    CADUCADA = "caducada"
    #: Identity validation failed: the request ends.
    IDENTIDAD_FALLIDA = "identidad_fallida"
    #: Vendor variant: loaned certificate chosen, waiting for the signed exoneration letter.
    PRESTAMO_PENDIENTE = "prestamo_pendiente_carta"
    #: Vendor variant: the signed letter was uploaded; the company may sign with the loan.
    PRESTAMO_ACTIVO = "prestamo_activo"
    #: Vendor variant: the loan period is over; the company must get its own certificate.
    PRESTAMO_VENCIDO = "prestamo_vencido"

    @property
    def final(self) -> bool:
        return self in (
            Status.APROBADA,
            Status.CADUCADA,
            Status.IDENTIDAD_FALLIDA,
            Status.PRESTAMO_VENCIDO,
        )


@dataclass(frozen=True)
class RequestRecord:
    radicado: str
    channel: str
    status: Status
    form: RequestForm
    form_json: dict[str, Any]
    sections: dict[str, str]
    platform_user: str
    must_change_password: bool
    has_sealed_password: bool
    finalized_at: _dt.datetime | None
    rejection_round: int
    rejected_at: _dt.datetime | None
    rejection_reason: str | None
    serial: str | None
    created_at: _dt.datetime
    updated_at: _dt.datetime


@dataclass(frozen=True)
class Event:
    at: _dt.datetime
    kind: str
    detail: dict[str, Any]


@dataclass(frozen=True)
class Document:
    kind: str
    filename: str
    size: int
    sha256: str
    path: str
    uploaded_at: _dt.datetime


def _time(text: str | None) -> _dt.datetime | None:
    return _dt.datetime.fromisoformat(text) if text else None


def iso(when: _dt.datetime) -> str:
    return when.astimezone(_dt.timezone.utc).isoformat()


_RADICADO = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")


def parse_radicado(text: str) -> str:
    """A radicado as stored (a lower-case UUID), or :class:`NotFound`: nothing else can be one."""
    wanted = text.strip().lower()
    if not _RADICADO.fullmatch(wanted):
        raise _no_request(text)
    return wanted


def _no_request(radicado: str) -> NotFound:
    return NotFound(
        f"no request with radicado {radicado[:60]}",
        "list the requests with `minica request list` and copy the radicado exactly",
    )


def load(conn: sqlite3.Connection, radicado: str) -> RequestRecord:
    """The request with this radicado, or :class:`NotFound`."""
    row = conn.execute("SELECT * FROM requests WHERE radicado = ?", (parse_radicado(radicado),)).fetchone()
    if row is None:
        raise _no_request(radicado)
    return _record(row)


def _record(row: sqlite3.Row) -> RequestRecord:
    form_json = json.loads(row["form"])
    created = _time(row["created_at"])
    updated = _time(row["updated_at"])
    assert created and updated
    return RequestRecord(
        radicado=row["radicado"],
        channel=row["channel"],
        status=Status(row["status"]),
        form=RequestForm.from_json(form_json),
        form_json=form_json,
        sections=json.loads(row["sections"]),
        platform_user=row["platform_user"],
        must_change_password=bool(row["must_change_password"]),
        has_sealed_password=row["sealed_password"] is not None,
        finalized_at=_time(row["finalized_at"]),
        rejection_round=int(row["rejection_round"]),
        rejected_at=_time(row["rejected_at"]),
        rejection_reason=row["rejection_reason"],
        serial=row["serial"],
        created_at=created,
        updated_at=updated,
    )


def all_records(conn: sqlite3.Connection, status: Status | None = None) -> list[RequestRecord]:
    if status is None:
        rows = conn.execute("SELECT * FROM requests ORDER BY created_at, radicado").fetchall()
    else:
        rows = conn.execute(
            "SELECT * FROM requests WHERE status = ? ORDER BY created_at, radicado", (status.value,)
        ).fetchall()
    return [_record(r) for r in rows]


def update(conn: sqlite3.Connection, radicado: str, when: _dt.datetime, **columns: Any) -> None:
    """Set columns of a request (values already in their stored form) and ``updated_at``."""
    allowed = {
        "status", "form", "sections", "platform_password_hash", "must_change_password",
        "sealed_password", "finalized_at", "rejection_round", "rejected_at", "rejection_reason",
        "serial",
    }  # fmt: skip
    unknown = set(columns) - allowed
    if unknown:  # pragma: no cover - programming error
        raise ValueError(f"not request columns: {sorted(unknown)}")
    values = {k: (v.value if isinstance(v, Status) else v) for k, v in columns.items()}
    assignments = ", ".join(f"{k} = ?" for k in values)
    conn.execute(
        f"UPDATE requests SET {assignments}, updated_at = ? WHERE radicado = ?",
        (*values.values(), iso(when), radicado),
    )


def add_event(
    conn: sqlite3.Connection,
    radicado: str,
    when: _dt.datetime,
    kind: str,
    detail: dict[str, Any] | None = None,
    *,
    once_key: str | None = None,
) -> bool:
    """Record an event; with ``once_key`` only the first call records (returns False after)."""
    cursor = conn.execute(
        "INSERT OR IGNORE INTO request_events (radicado, at, kind, detail, once_key)"
        " VALUES (?, ?, ?, ?, ?)",
        (radicado, iso(when), kind, json.dumps(detail or {}, ensure_ascii=False), once_key),
    )
    return cursor.rowcount == 1


def events(conn: sqlite3.Connection, radicado: str) -> list[Event]:
    rows = conn.execute(
        "SELECT at, kind, detail FROM request_events WHERE radicado = ? ORDER BY at, id", (radicado,)
    ).fetchall()
    return [Event(_dt.datetime.fromisoformat(r["at"]), r["kind"], json.loads(r["detail"])) for r in rows]


def add_document(conn: sqlite3.Connection, radicado: str, doc: Document) -> None:
    conn.execute(
        "INSERT INTO request_documents (radicado, kind, filename, size, sha256, path, uploaded_at)"
        " VALUES (?, ?, ?, ?, ?, ?, ?)",
        (radicado, doc.kind, doc.filename, doc.size, doc.sha256, doc.path, iso(doc.uploaded_at)),
    )


def documents(conn: sqlite3.Connection, radicado: str) -> list[Document]:
    rows = conn.execute(
        "SELECT kind, filename, size, sha256, path, uploaded_at FROM request_documents"
        " WHERE radicado = ? ORDER BY id",
        (radicado,),
    ).fetchall()
    return [
        Document(r["kind"], r["filename"], r["size"], r["sha256"], r["path"],
                 _dt.datetime.fromisoformat(r["uploaded_at"]))
        for r in rows
    ]  # fmt: skip


def get_setting(conn: sqlite3.Connection, name: str) -> str | None:
    row = conn.execute("SELECT value FROM request_settings WHERE name = ?", (name,)).fetchone()
    return None if row is None else str(row["value"])


def set_setting(conn: sqlite3.Connection, name: str, value: str | None) -> None:
    if value is None:
        conn.execute("DELETE FROM request_settings WHERE name = ?", (name,))
    else:
        conn.execute(
            "INSERT INTO request_settings (name, value) VALUES (?, ?)"
            " ON CONFLICT(name) DO UPDATE SET value = excluded.value",
            (name, value),
        )


def require_short(text: str, what: str, limit: int) -> None:
    """Free text that goes into the history and the e-mails: printable lines, at most ``limit``
    characters (a reason is a sentence, not a file)."""
    if len(text) > limit:
        raise InvalidInput(f"{what} has {len(text):,} characters; at most {limit} are kept", "shorten it")
    if not all(line.isprintable() for line in text.splitlines()):
        raise InvalidInput(f"{what} holds control characters", "write plain text")
