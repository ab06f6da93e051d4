"""The habilitación test set: counting what was sent with a TestSetId, and DIAN's rule.

Kinds counted: invoices (``InvoiceTypeCode`` 01, 02, 03), credit notes (91), debit notes (92). The
set is **accepted** when, for every kind, the accepted documents reach the registered quota
(30/10/10 by default, ``minica dian register --test-set-quota``); **rejected** when the rejected
documents exceed the total required minus the total accepted required — with DIAN's usual set, where
every required document must be accepted, that is at the first rejection. Once decided, the state
stays (DIAN's set is then closed; a new registration gives a new set).
"""

from __future__ import annotations

import datetime as _dt
import sqlite3
from dataclasses import dataclass
from typing import Any

from minica.dian.registration import SoftwareRegistration, load_registration, registration_by_test_set
from minica.errors import InvalidInput, NotFound
from minica.storage.database import Database
from minica.storage.home import Home

IN_PROGRESS, ACCEPTED, REJECTED = "en_proceso", "aceptado", "rechazado"
#: Rejections a set may have and still be accepted: total required minus total accepted required,
#: 0 in DIAN's usual set (every required document must be accepted).
TOLERANCE = 0
_KINDS = {"01": "invoices", "02": "invoices", "03": "invoices", "91": "credit_notes", "92": "debit_notes"}


@dataclass(frozen=True)
class TestSetStatus:
    """A test set's counters and state."""

    __test__ = False  # not a pytest class

    test_set_id: str
    software_id: str
    nit: str
    status: str
    required: dict[str, int]
    accepted: dict[str, int]
    rejected: dict[str, int]
    decided_at: str | None

    def to_json(self) -> dict[str, Any]:
        return {"test_set_id": self.test_set_id, "software_id": self.software_id, "nit": self.nit,
                "status": self.status, "required": self.required, "accepted": self.accepted,
                "rejected": self.rejected, "decided_at": self.decided_at,
                "total_accepted": sum(self.accepted.values()), "total_rejected": sum(self.rejected.values())}


def test_set_status(conn: sqlite3.Connection, registration: SoftwareRegistration) -> TestSetStatus:
    """The counters of ``registration``'s test set, read from the documents received for it."""
    accepted = {"invoices": 0, "credit_notes": 0, "debit_notes": 0}
    rejected = dict(accepted)
    for row in conn.execute("SELECT type_code, is_valid, COUNT(*) AS n FROM dian_documents WHERE test_set_id = ?"
                            " GROUP BY type_code, is_valid", (registration.test_set_id,)):
        kind = _KINDS.get(row["type_code"] or "")
        if kind is not None:
            (accepted if row["is_valid"] else rejected)[kind] += int(row["n"])
    state = conn.execute("SELECT test_set_status, test_set_decided_at FROM dian_software WHERE software_id = ?",
                         (registration.software_id,)).fetchone()
    return TestSetStatus(registration.test_set_id, registration.software_id, registration.nit_with_dv,
                         state["test_set_status"], registration.quota.to_json(), accepted, rejected,
                         state["test_set_decided_at"])


def decide(conn: sqlite3.Connection, registration: SoftwareRegistration, now: _dt.datetime) -> TestSetStatus:
    """Apply DIAN's rule to the counters (in the caller's transaction); the resulting status."""
    status = test_set_status(conn, registration)
    if status.status != IN_PROGRESS:
        return status
    required = status.required
    verdict = None
    if all(status.accepted[kind] >= required[kind] for kind in required):
        verdict = ACCEPTED
    elif sum(status.rejected.values()) > TOLERANCE:
        verdict = REJECTED
    if verdict is None:
        return status
    conn.execute("UPDATE dian_software SET test_set_status = ?, test_set_decided_at = ? WHERE software_id = ?",
                 (verdict, now.isoformat(), registration.software_id))
    return test_set_status(conn, registration)


def test_set_report(home: Home, *, nit: str | None = None, test_set_id: str | None = None) -> TestSetStatus:
    """The test set of the software registered for ``nit`` (latest), or with ``test_set_id``; raises
    :class:`~minica.errors.NotFound` when there is none."""
    if test_set_id is not None:
        registration = registration_by_test_set(home, test_set_id)
        if registration is None:
            raise NotFound(f"no test set '{test_set_id[:60]}' in this home", "see 'minica dian register'")
    elif nit is not None:
        registration = load_registration(home, nit)
    else:
        raise InvalidInput("no NIT or TestSetId given", "give --nit or --test-set-id")
    with Database.open(home) as db:
        return test_set_status(db.connection, registration)
