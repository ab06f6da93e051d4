"""How every command of the process runs: catch up with the clock, then act, then deliver.

1. one transaction applies every reminder, expiry and loan end whose time has passed (so even a
   command that is then refused brings the process up to now);
2. a second transaction does the command's own work; the files it writes (``.eml``, uploads,
   keystores) are removed if it fails, and reconciled by the next command if it is killed
   (:mod:`minica.storage.recovery`), so nothing is left half-done;
3. after the commit, pending e-mails go to the SMTP server when one is configured.
"""

from __future__ import annotations

import contextlib
import datetime as _dt
import sqlite3
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from minica.ca.requests import outbox, reminders
from minica.clock import Clock, require_aware
from minica.storage.database import Database
from minica.storage.home import Home
from minica.storage.recovery import HomeWrite, home_transaction


@dataclass
class Step:
    """What a command's body works with."""

    home: Home
    conn: sqlite3.Connection
    now: _dt.datetime
    written: list[Path]
    caught_up: list[str]
    #: The open transaction, for library calls that record into it (e.g. issuing a certificate).
    write: HomeWrite


@dataclass
class StepReport:
    """What happened besides the command's own result (for ``tick`` and warnings)."""

    caught_up: list[str] = field(default_factory=list)
    delivery_problems: list[str] = field(default_factory=list)


def catch_up(conn: sqlite3.Connection, home: Home, now: _dt.datetime, written: list[Path]) -> list[str]:
    """Everything time-driven that is due by ``now``: rejection reminders/expiry, loan ends."""
    from minica.ca.requests import vendor  # vendor builds on steps; import late

    return reminders.bring_up_to_date(conn, home, now, written) + vendor.bring_loans_up_to_date(
        conn, home, now, written
    )


@contextlib.contextmanager
def step(home: Home, clock: Clock, report: StepReport | None = None) -> Iterator[Step]:
    """Run one command of the process (see the module docstring)."""
    now = require_aware(clock.now(), "clock time")
    report = report if report is not None else StepReport()
    with Database.open(home) as db:
        with home_transaction(home, db) as write:
            report.caught_up.extend(catch_up(write.conn, home, now, write.written))
        try:
            with home_transaction(home, db) as write:
                yield Step(home, write.conn, now, write.written, report.caught_up, write)
        finally:
            # Deliver whatever is pending, even when the command itself was refused.
            report.delivery_problems.extend(outbox.deliver_pending(db, home, now))
