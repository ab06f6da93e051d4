"""The notification inbox of a company in DIAN's free solution: the e-mails of its requests.

Reading it brings the process up to now first (reminders and expiry due by the clock are sent),
as every command of the process does.
"""

from __future__ import annotations

from minica.ca.requests import outbox
from minica.ca.requests.outbox import OutboxEntry
from minica.ca.requests.steps import step
from minica.clock import Clock
from minica.errors import NotFound
from minica.identity import Nit
from minica.storage.home import Home


def inbox(home: Home, clock: Clock, nit: str) -> list[OutboxEntry]:
    """The e-mails of every request of the company ``nit``, newest first."""
    with step(home, clock) as s:
        return list(reversed(outbox.entries_for_nit(s.conn, home, Nit.parse(nit).with_dv)))


def message(home: Home, clock: Clock, nit: str, number: int) -> tuple[OutboxEntry, str]:
    """One e-mail of the company's inbox and its text; :class:`NotFound` for any other e-mail."""
    found = [entry for entry in inbox(home, clock, nit) if entry.id == number]
    if not found:
        raise NotFound(f"no e-mail number {number} in this inbox", "open one from the inbox's list")
    try:
        return found[0], outbox.message_text(found[0].path.read_bytes())
    except OSError:
        raise NotFound(f"the file of e-mail {number} is missing from the outbox folder",
                       "someone removed it; the other e-mails are still there") from None  # fmt: skip
