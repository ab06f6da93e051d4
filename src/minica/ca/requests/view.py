"""What ``request show`` and ``request list`` print: plain dicts with stable keys (``--json``)."""

from __future__ import annotations

import datetime as _dt
import sqlite3
from typing import Any

from minica.ca.requests import outbox, platform, records, reminders
from minica.ca.requests.records import Status
from minica.clock import colombian
from minica.storage.home import Home


def _when(value: _dt.datetime | None) -> str | None:
    return colombian(value).isoformat() if value else None


def _local_times(detail: dict[str, Any]) -> dict[str, Any]:
    """An event's detail with its times (stored in UTC) in Colombian time, like every other time."""
    shown = {}
    for key, value in detail.items():
        if isinstance(value, str) and len(value) >= 25 and value[10:11] == "T":
            try:
                value = _when(_dt.datetime.fromisoformat(value)) if value.endswith("+00:00") else value
            except ValueError:
                pass
        shown[key] = value
    return shown


def progress_bar(done: int, total: int, width: int = 20) -> str:
    filled = round(width * done / total) if total else width
    return f"[{'#' * filled}{'-' * (width - filled)}] {done}/{total}"


def summary(record: records.RequestRecord) -> dict[str, Any]:
    done = sum(1 for n in platform.SECTIONS if n in record.sections)
    return {
        "radicado": record.radicado,
        "status": record.status.value,
        "channel": record.channel,
        "nit": record.form.nit.with_dv,
        "razon_social": record.form.razon_social,
        "progress": f"{done}/{len(platform.SECTIONS)}",
        "created_at": _when(record.created_at),
        "updated_at": _when(record.updated_at),
    }


def request_view(
    conn: sqlite3.Connection, home: Home, record: records.RequestRecord, now: _dt.datetime
) -> dict[str, Any]:
    """Everything about one request: form, sections and progress, documents, history, e-mails."""
    from minica.ca.requests import vendor

    sections = [
        {
            "name": name,
            "done": name in record.sections,
            "saved_at": _when(_dt.datetime.fromisoformat(record.sections[name])) if name in record.sections else None,
            "fields": list(fields),
        }
        for name, fields in platform.SECTIONS.items()
    ]
    done = sum(1 for s in sections if s["done"])
    present = {d.kind for d in records.documents(conn, record.radicado)}
    view: dict[str, Any] = {
        "radicado": record.radicado,
        "status": record.status.value,
        "final": record.status.final,
        "channel": record.channel,
        "form": record.form_json,
        "platform_user": record.platform_user,
        "must_change_password": record.must_change_password,
        "locked": record.status not in (Status.EN_DILIGENCIAMIENTO, Status.RECHAZADA),
        "sections": sections,
        "progress": {
            "done": done,
            "total": len(sections),
            "percent": round(100 * done / len(sections)),
            "bar": progress_bar(done, len(sections)),
        },
        "required_documents": [
            {"kind": k, "label": platform.DOCUMENT_KINDS[k], "uploaded": k in present}
            for k in platform.required_documents(record.form)
        ],
        "documents": [
            {"kind": d.kind, "filename": d.filename, "size": d.size, "sha256": d.sha256,
             "path": d.path, "uploaded_at": _when(d.uploaded_at)}
            for d in records.documents(conn, record.radicado)
        ],  # fmt: skip
        "finalized_at": _when(record.finalized_at),
        "keystore_password_sealed": record.has_sealed_password,
        "serial": record.serial,
        "created_at": _when(record.created_at),
        "updated_at": _when(record.updated_at),
        "history": [
            {"at": _when(e.at), "event": e.kind, "detail": _local_times(e.detail)}
            for e in records.events(conn, record.radicado)
        ],
        "emails": [e.to_json() for e in outbox.entries(conn, home, record.radicado)],
    }
    if record.rejected_at is not None:
        sent = {e.kind for e in records.events(conn, record.radicado)
                if e.detail.get("round") == record.rejection_round}  # fmt: skip
        view["rejection"] = {
            "round": record.rejection_round,
            "reason": record.rejection_reason,
            "rejected_at": _when(record.rejected_at),
            "expires_at": _when(reminders.expires_at(record.rejected_at)),
            "schedule": [
                {"at": _when(due), "kind": kind, "done": kind in sent}
                for due, kind in reminders.schedule(record.rejected_at)
            ],
        }
    if record.channel == "vendor":
        view["vendor"] = vendor.vendor_view(conn, record, now)
    return view
