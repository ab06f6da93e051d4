"""The outbox: every notice as an ``.eml`` file in ``<home>/outbox/`` and, when configured, SMTP.

Writing happens inside the transaction that causes the notice (a failed command leaves no file:
the caller collects written paths in its :class:`~minica.storage.recovery.HomeWrite`); delivery over
SMTP happens after the commit, and a message that could not be delivered stays pending and is
retried by the next command.

SMTP configuration, first match wins:
1. ``$MINICA_SMTP`` = ``host:port`` (``off`` disables delivery);
2. ``minica request smtp --host H --port P`` (stored in the home's database).
Plain SMTP without authentication, as mock servers (aiosmtpd, MailHog, Mailpit) speak it.
"""

from __future__ import annotations

import datetime as _dt
import email
import email.policy
import json
import os
import smtplib
import sqlite3
from dataclasses import dataclass
from email.message import EmailMessage
from email.parser import BytesParser
from pathlib import Path
from typing import Any

from minica.ca.requests import mail, records
from minica.clock import colombian
from minica.errors import InvalidInput, NotFound
from minica.storage.database import Database
from minica.storage.files import atomic_write, private_dir
from minica.storage.home import Home

SMTP_ENV = "MINICA_SMTP"
_SMTP_TIMEOUT = 10.0


@dataclass(frozen=True)
class SmtpSettings:
    host: str
    port: int

    def __post_init__(self) -> None:
        if not self.host or any(c.isspace() for c in self.host):
            raise InvalidInput(f"'{self.host}' is not an SMTP host", "give a host name or address")
        if not 0 < self.port < 65536:
            raise InvalidInput(f"{self.port} is not a TCP port", "give a port from 1 to 65535")


@dataclass(frozen=True)
class OutboxEntry:
    id: int
    radicado: str | None
    kind: str
    at: _dt.datetime
    recipient: str
    subject: str
    path: Path
    delivered_at: _dt.datetime | None
    delivery_error: str | None

    def to_json(self) -> dict[str, Any]:
        """Stable keys for ``request outbox --json``, ``request show`` and the API (which drops ``file``)."""
        return {"id": self.id, "at": colombian(self.at).isoformat(), "kind": self.kind, "radicado": self.radicado,
                "to": self.recipient, "subject": self.subject, "file": str(self.path),
                "delivered": self.delivered_at is not None}  # fmt: skip


def parse_smtp(text: str) -> SmtpSettings:
    host, sep, port = text.strip().rpartition(":")
    if not sep or not port.isdigit():
        raise InvalidInput(f"'{text}' is not host:port", "write it like 127.0.0.1:1025")
    return SmtpSettings(host.strip("[]"), int(port))


def smtp_settings(conn: sqlite3.Connection) -> SmtpSettings | None:
    """The SMTP server to deliver to, or None (outbox folder only)."""
    env = os.environ.get(SMTP_ENV, "").strip()
    if env:
        return None if env.lower() == "off" else parse_smtp(env)
    stored = records.get_setting(conn, "smtp")
    if stored is None:
        return None
    data = json.loads(stored)
    return SmtpSettings(data["host"], int(data["port"]))


def configure_smtp(db: Database, settings: SmtpSettings | None) -> None:
    """Store the SMTP server (None turns delivery off)."""
    with db.transaction() as conn:
        value = None if settings is None else json.dumps({"host": settings.host, "port": settings.port})
        records.set_setting(conn, "smtp", value)


def enqueue(
    conn: sqlite3.Connection,
    home: Home,
    message: EmailMessage,
    *,
    radicado: str | None,
    kind: str,
    when: _dt.datetime,
    written: list[Path],
) -> Path:
    """Record ``message`` in the outbox table and write its ``.eml`` file (0600)."""
    private_dir(home.outbox_dir)
    cursor = conn.execute(
        "INSERT INTO outbox (radicado, kind, message_id, at, sender, recipient, subject, path)"
        " VALUES (?, ?, ?, ?, ?, ?, ?, '')",
        (radicado, kind, message["Message-ID"], records.iso(when), message["From"],
         message["To"], message["Subject"]),
    )  # fmt: skip
    number = int(cursor.lastrowid or 0)
    stamp = records.iso(when)[:19].replace("-", "").replace(":", "")
    path = home.outbox_dir / f"{number:06d}-{stamp}-{kind}.eml"
    conn.execute("UPDATE outbox SET path = ? WHERE id = ?", (path.name, number))
    atomic_write(path, message.as_bytes(policy=email.policy.SMTP), mode=0o600)
    written.append(path)
    return path


def _entry(home: Home, r: sqlite3.Row) -> OutboxEntry:
    return OutboxEntry(
        id=r["id"], radicado=r["radicado"], kind=r["kind"],
        at=_dt.datetime.fromisoformat(r["at"]), recipient=r["recipient"],
        subject=r["subject"], path=home.outbox_dir / r["path"],
        delivered_at=_dt.datetime.fromisoformat(r["delivered_at"]) if r["delivered_at"] else None,
        delivery_error=r["delivery_error"],
    )  # fmt: skip


def entries(conn: sqlite3.Connection, home: Home, radicado: str | None = None) -> list[OutboxEntry]:
    query = "SELECT * FROM outbox" + (" WHERE radicado = ?" if radicado else "") + " ORDER BY id"
    rows = conn.execute(query, (radicado,) if radicado else ()).fetchall()
    return [_entry(home, r) for r in rows]


def entries_for_nit(conn: sqlite3.Connection, home: Home, nit_with_dv: str) -> list[OutboxEntry]:
    """The e-mails of every request filed for the company ``nit_with_dv`` (e.g. ``900373987-9``)."""
    rows = conn.execute(
        "SELECT o.* FROM outbox o JOIN requests r ON r.radicado = o.radicado"
        " WHERE json_extract(r.form, '$.nit') = ? ORDER BY o.id",
        (nit_with_dv,),
    ).fetchall()
    return [_entry(home, r) for r in rows]


def stored_message(home: Home, number: str, hint: str) -> tuple[OutboxEntry, bytes]:
    """The outbox e-mail numbered ``number`` (text, as a URL or a user gives it) and its ``.eml``
    bytes; :class:`~minica.errors.NotFound` (with ``hint``) for any other text or a missing file."""
    missing = NotFound(f"no e-mail number {number[:20]} in the outbox", hint)
    if not (number.isascii() and number.isdigit() and len(number) <= 18):
        raise missing
    with Database.open(home) as db:
        row = db.connection.execute("SELECT * FROM outbox WHERE id = ?", (int(number),)).fetchone()
    if row is None:
        raise missing
    entry = _entry(home, row)
    try:
        return entry, entry.path.read_bytes()
    except OSError:
        raise NotFound(f"the file of e-mail {number} is missing from the outbox folder ({entry.path.name})",
                       "someone removed it; the other e-mails are still there") from None


def message_text(data: bytes) -> str:
    """The plain-text body of an outbox message (its ``.eml`` bytes), decoded."""
    parsed = email.message_from_bytes(data, policy=email.policy.default)
    assert isinstance(parsed, EmailMessage)
    part = parsed.get_body(preferencelist=("plain",))
    return str(part.get_content()) if part is not None else ""


def message_json(entry: OutboxEntry, data: bytes) -> dict[str, Any]:
    """One e-mail as ``request outbox --show ID --json`` and ``GET /api/v1/outbox/{id}`` show it:
    the entry's keys, ``from``, ``message_id`` and the decoded plain ``text``."""
    parsed = email.message_from_bytes(data, policy=email.policy.default)
    return {**entry.to_json(), "from": str(parsed["From"]), "message_id": str(parsed["Message-ID"]),
            "text": message_text(data)}


def read_message(path: Path) -> EmailMessage:
    """Parse an outbox file back into a message."""
    with path.open("rb") as handle:
        message = BytesParser(policy=email.policy.default).parse(handle)
    assert isinstance(message, EmailMessage)
    return message


def deliver_pending(db: Database, home: Home, when: _dt.datetime) -> list[str]:
    """Send every undelivered outbox message to the SMTP server; return the problems met.

    Nothing happens when no server is configured. A server that cannot be reached leaves the
    messages pending (the outbox files are the record), so the command that caused them still
    succeeds.
    """
    conn = db.connection
    settings = smtp_settings(conn)
    if settings is None:
        return []
    pending = [e for e in entries(conn, home) if e.delivered_at is None]
    if not pending:
        return []
    problems: list[str] = []
    try:
        with smtplib.SMTP(settings.host, settings.port, timeout=_SMTP_TIMEOUT) as smtp:
            for entry in pending:
                try:
                    smtp.send_message(read_message(entry.path))
                except (smtplib.SMTPException, OSError) as exc:
                    problems.append(f"{entry.path.name}: {exc}")
                    with db.transaction() as tx:
                        tx.execute("UPDATE outbox SET delivery_error = ? WHERE id = ?", (str(exc), entry.id))
                    continue
                with db.transaction() as tx:
                    tx.execute(
                        "UPDATE outbox SET delivered_at = ?, delivery_error = NULL WHERE id = ?",
                        (records.iso(when), entry.id),
                    )
    except (smtplib.SMTPException, OSError) as exc:
        problems.append(f"SMTP server {settings.host}:{settings.port} unreachable: {exc}")
    return problems


def notify(
    conn: sqlite3.Connection,
    home: Home,
    record: records.RequestRecord,
    kind: str,
    when: _dt.datetime,
    written: list[Path],
    **data: object,
) -> Path:
    """Compose the notice ``kind`` for ``record``'s requester and put it in the outbox."""
    note = mail.notice(kind, record.radicado, record.form.razon_social, **data)
    message = mail.compose(note, radicado=record.radicado, to=record.form.email, when=when)
    return enqueue(conn, home, message, radicado=record.radicado, kind=kind, when=when, written=written)
