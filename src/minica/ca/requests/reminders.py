"""Reminders and expiry after a rejection, applied once each whenever a command sees them due.

Day numbering follows the calendar in Colombia: the day of the rejection is day 0, "day N" is the
N-th calendar day after it. The reminders go out at the **end** of day 3 and day 7 (midnight,
Colombian time, as day 4 and day 8 begin), the warning that the process is about to expire at the
end of day 13, and on **day 15** (from its first minute) the process is "caducada".

Nothing runs in the background: any command of the process (or ``minica request tick``) calls
:func:`bring_up_to_date` first, which applies, in order, everything whose time has passed. Each
reminder is recorded with a unique ``once_key`` (radicado, rejection round, kind) inside the same
transaction as its e-mail, so commands run many times, or at once, never send one twice. Events
and e-mails carry the time they were due, not the time they were noticed.
"""

from __future__ import annotations

import datetime as _dt
import sqlite3
from pathlib import Path

from minica.ca.requests import outbox, records
from minica.ca.requests.records import Status
from minica.clock import COLOMBIA
from minica.storage.home import Home

#: (end of day N, notice kind), in order.
REMINDERS: tuple[tuple[int, str], ...] = (
    (3, "recordatorio_dia_3"),
    (7, "recordatorio_dia_7"),
    (13, "aviso_caducidad"),
)
EXPIRY_DAY = 15


def _midnight_after(rejected_at: _dt.datetime, days: int) -> _dt.datetime:
    day0 = rejected_at.astimezone(COLOMBIA).date()
    local = _dt.datetime.combine(day0 + _dt.timedelta(days=days), _dt.time(), tzinfo=COLOMBIA)
    return local.astimezone(_dt.timezone.utc)


def end_of_day(rejected_at: _dt.datetime, day: int) -> _dt.datetime:
    """When day ``day`` after the rejection ends (the next day's midnight in Colombia)."""
    return _midnight_after(rejected_at, day + 1)


def expires_at(rejected_at: _dt.datetime) -> _dt.datetime:
    """When day 15 begins: from then on the request is caducada."""
    return _midnight_after(rejected_at, EXPIRY_DAY)


def schedule(rejected_at: _dt.datetime) -> list[tuple[_dt.datetime, str]]:
    """Every step after a rejection, with its time: the reminders, then ``caducada``."""
    steps = [(end_of_day(rejected_at, day), kind) for day, kind in REMINDERS]
    steps.append((expires_at(rejected_at), "caducada"))
    return steps


def bring_up_to_date(
    conn: sqlite3.Connection, home: Home, now: _dt.datetime, written: list[Path]
) -> list[str]:
    """Apply every reminder and expiry due by ``now``; return what was done (for ``tick``)."""
    done: list[str] = []
    for record in records.all_records(conn, Status.RECHAZADA):
        assert record.rejected_at is not None
        reason = record.rejection_reason or ""
        expiry = expires_at(record.rejected_at)
        for due, kind in schedule(record.rejected_at):
            if due > now:
                break
            key = f"{record.radicado}:{record.rejection_round}:{kind}"
            detail = {"due": records.iso(due), "noticed_at": records.iso(now), "round": record.rejection_round}
            if not records.add_event(conn, record.radicado, due, kind, detail, once_key=key):
                continue  # already applied by an earlier command
            if kind == "caducada":
                # The request can never be resumed: drop the sealed keystore password for good.
                records.update(conn, record.radicado, due, status=Status.CADUCADA, sealed_password=None)
            outbox.notify(conn, home, record, kind, due, written, reason=reason, expires_at=expiry)
            done.append(f"{record.radicado}: {kind} ({due.astimezone(COLOMBIA).isoformat()})")
    return done
