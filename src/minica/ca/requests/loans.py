"""Whether the vendor's loaned certificate may sign now: the one question the signing service asks
about loans, kept apart from :mod:`minica.ca.requests.vendor` so that signing does not import the
whole request process (forms, PDFs, e-mail)."""

from __future__ import annotations

import datetime as _dt
import sqlite3

from minica.clock import colombian
from minica.identity import Nit
from minica.storage.database import Database


def loan_refusal(
    db_or_conn: Database | sqlite3.Connection, serial: int | str, now: _dt.datetime, *, nit: str | None = None
) -> str | None:
    """Why signing with certificate ``serial`` at ``now`` must be refused as a loan, or None.

    None when ``serial`` is not the vendor's loaned certificate, or when the loan holds. With
    ``nit`` (the document's supplier NIT, digits with or without DV) the loan of that company is
    checked; a company with no loan on it is refused. Without ``nit``, signing is refused once
    every loan of the certificate is over.
    """
    conn = db_or_conn.connection if isinstance(db_or_conn, Database) else db_or_conn
    serial_hex = format(serial, "X") if isinstance(serial, int) else serial.strip().upper().lstrip("0") or "0"
    loans = conn.execute("SELECT * FROM certificate_loans WHERE serial = ?", (serial_hex,)).fetchall()
    if not loans:
        return None
    if nit is not None:
        number = Nit.parse(nit).number
        loans = [row for row in loans if row["nit"] == number]
        if not loans:
            return (
                f"the vendor's certificate {serial_hex} is not loaned to NIT {number}: get your own"
                " certificate, or borrow it with the signed exoneration letter"
            )
    started = [row for row in loans if row["start_at"] is not None]
    if not started:
        return (
            f"the loan of the vendor's certificate {serial_hex} has not started: upload the signed"
            " exoneration letter first"
        )
    if any(_dt.datetime.fromisoformat(row["start_at"]) <= now < _dt.datetime.fromisoformat(row["end_at"])
           for row in started):  # fmt: skip
        return None
    last_end = max(_dt.datetime.fromisoformat(row["end_at"]) for row in started)
    if last_end <= now:
        return (
            f"the loan of the vendor's certificate {serial_hex} ended on"
            f" {colombian(last_end):%Y-%m-%d %H:%M} (Colombian time): get your own certificate to"
            " keep signing"
        )
    return f"the loan of the vendor's certificate {serial_hex} has not started yet at that time"
