"""The one place that reads the time.

Everything else receives a :class:`Clock` (or a datetime taken from one). ``--at`` / ``$MINICA_NOW``
build a :class:`FixedClock`, which is how users and tests travel in time.
"""

from __future__ import annotations

import datetime as _dt
from dataclasses import dataclass
from typing import Protocol

from minica.errors import InvalidInput

UTC = _dt.timezone.utc
#: Colombia has no daylight saving time: legal time is UTC-05:00 all year.
COLOMBIA = _dt.timezone(_dt.timedelta(hours=-5), "COT")


#: The range of times a user may name (UTC, naive). X.509 validity cannot start before 1950 (and
#: certificates are backdated), and one issued at the far end, valid ten years, must end before 9999.
EARLIEST = _dt.datetime(1970, 1, 1)
LATEST = _dt.datetime(2999, 12, 31, 23, 59, 59)


class Clock(Protocol):
    """Something that says what time it is now (always timezone-aware, UTC)."""

    def now(self) -> _dt.datetime: ...


class SystemClock:
    """The wall clock."""

    def now(self) -> _dt.datetime:
        return _dt.datetime.now(UTC)


@dataclass(frozen=True)
class FixedClock:
    """A clock stopped at ``at``; the way to pin time in tests and with ``--at``."""

    at: _dt.datetime

    def __post_init__(self) -> None:
        if not isinstance(self.at, _dt.datetime):
            raise TypeError("FixedClock needs a datetime")
        require_aware(self.at, "FixedClock time")
        object.__setattr__(self, "at", self.at.astimezone(UTC))

    def now(self) -> _dt.datetime:
        return self.at


def require_aware(value: _dt.datetime, what: str) -> _dt.datetime:
    """Refuse naive datetimes: a time without a zone is ambiguous by five hours here."""
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError(f"{what} must be timezone-aware (got a naive datetime)")
    return value


def parse_time(text: str) -> _dt.datetime:
    """Parse an ISO-8601 time given by a user.

    A time without an offset, or a bare date, is read as Colombian legal time (UTC-05:00), because
    that is what a person in Colombia means by "2027-01-15".
    """
    raw = text.strip()
    try:
        if len(raw) == 10:
            value = _dt.datetime.combine(_dt.date.fromisoformat(raw), _dt.time())
        else:
            value = _dt.datetime.fromisoformat(raw.replace("Z", "+00:00"))
    except ValueError:
        raise InvalidInput(
            f"'{text}' is not an ISO-8601 time",
            "write it like 2027-01-15, 2027-01-15T08:30 or 2027-01-15T08:30:00-05:00",
        ) from None
    if value.tzinfo is None:
        value = value.replace(tzinfo=COLOMBIA)
    if not EARLIEST <= value.replace(tzinfo=None) - (value.utcoffset() or _dt.timedelta()) <= LATEST:
        raise InvalidInput(
            f"'{text}' is outside the times minica works with",
            f"give a time from {EARLIEST.year} to {LATEST.year}",
        )
    return value.astimezone(UTC)


def clock_for(at: str | None) -> Clock:
    """The clock for a command: fixed at ``at`` when given, else the wall clock."""
    return FixedClock(parse_time(at)) if at else SystemClock()


def colombian(value: _dt.datetime) -> _dt.datetime:
    """The same instant expressed in Colombian legal time."""
    return require_aware(value, "time").astimezone(COLOMBIA)
