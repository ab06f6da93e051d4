"""Judging a certificate at a moment: valid, expiring, expired, not yet valid, revoked, untrusted.

The exit codes follow the monitoring-plugin convention used by ``minica check``: 0 all valid,
1 something expiring, 2 something expired / not yet valid / revoked / untrusted, 3 unreadable.
"""

from __future__ import annotations

import datetime as _dt
import enum
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives import hashes

from minica.ca.names import display_name
from minica.ca.profiles import nits_in_name
from minica.ca.revocation import RevocationLookup
from minica.ca.trust import build_chain
from minica.clock import colombian


class Status(str, enum.Enum):
    VALID = "valid"
    EXPIRING = "expiring"
    EXPIRED = "expired"
    NOT_YET_VALID = "not_yet_valid"
    REVOKED = "revoked"
    UNTRUSTED = "untrusted"
    UNREADABLE = "unreadable"

    @property
    def exit_code(self) -> int:
        return {Status.VALID: 0, Status.EXPIRING: 1, Status.UNREADABLE: 3}.get(self, 2)


@dataclass(frozen=True)
class CertificateReport:
    """What ``check`` says about one certificate (or one unreadable target)."""

    source: str
    status: Status
    detail: str
    subject: str | None = None
    nits: tuple[str, ...] = ()
    issuer: str | None = None
    serial: str | None = None
    not_before: _dt.datetime | None = None
    not_after: _dt.datetime | None = None
    days_left: int | None = None
    fingerprint: str | None = None
    environments: tuple[str, ...] = field(default=())
    #: The moment the certificate was judged at.
    at: _dt.datetime | None = None

    @property
    def days_text(self) -> str | None:
        """The day count as a person says it: "365 days left", "expired 700 days ago"."""
        if self.days_left is None or self.not_before is None:
            return None
        if self.status is Status.NOT_YET_VALID:
            return f"starts {_in_days(_days_between(self.at, self.not_before))}" if self.at else None
        if self.not_after is not None and self.at is not None and self.at > self.not_after:
            return f"expired {_ago(-self.days_left)}"
        return "expires today" if self.days_left == 0 else f"{_count(self.days_left)} left"

    def to_json(self) -> dict[str, Any]:
        return {
            "source": self.source,
            "status": self.status.value,
            "detail": self.detail,
            "subject": self.subject,
            "nit": self.nits[0] if self.nits else None,
            "nits": list(self.nits),
            "issuer": self.issuer,
            "serial": self.serial,
            "not_before": colombian(self.not_before).isoformat() if self.not_before else None,
            "not_after": colombian(self.not_after).isoformat() if self.not_after else None,
            "days_left": self.days_left,
            "fingerprint_sha256": self.fingerprint,
            "environments": list(self.environments),
        }


def _days_between(start: _dt.datetime, end: _dt.datetime) -> int:
    return (colombian(end).date() - colombian(start).date()).days


def days_left(certificate: x509.Certificate, now: _dt.datetime) -> int:
    """Calendar days (in Colombia) from ``now`` to notAfter: 365 right after a one-year certificate
    is issued, 0 on its last day, -700 seven hundred days after it ended. Counting dates, not
    periods of 24 hours, gives the same number all day long, whatever the hour of issuance."""
    return _days_between(now, certificate.not_valid_after_utc)


def _count(days: int) -> str:
    return "1 day" if days == 1 else f"{days} days"


def _ago(days: int) -> str:
    return "today" if days == 0 else f"{_count(days)} ago"


def _in_days(days: int) -> str:
    return "today" if days == 0 else f"in {_count(days)}"


def assess(
    certificate: x509.Certificate,
    *,
    source: str,
    now: _dt.datetime,
    warn_days: int,
    anchors: Sequence[x509.Certificate],
    intermediates: Sequence[x509.Certificate] = (),
    revocation: RevocationLookup | None = None,
    environments: tuple[str, ...] = (),
) -> CertificateReport:
    """Judge ``certificate`` at ``now``. Worst problem wins: revoked, expired, not yet valid,
    untrusted, then expiring within ``warn_days``."""
    left = days_left(certificate, now)
    revoked = revocation(certificate) if revocation else None
    chain = build_chain(certificate, anchors=anchors, intermediates=intermediates, at=now)
    if revoked is not None and revoked.revoked_at <= now:
        status, detail = Status.REVOKED, (
            f"revoked on {colombian(revoked.revoked_at).isoformat()} ({revoked.reason})"
        )
    elif now > certificate.not_valid_after_utc:
        status, detail = Status.EXPIRED, f"expired {_ago(-left)}"
    elif now < certificate.not_valid_before_utc:
        starts = certificate.not_valid_before_utc
        status, detail = Status.NOT_YET_VALID, (
            f"not valid until {colombian(starts).isoformat()} ({_in_days(_days_between(now, starts))})"
        )
    elif not chain.trusted:
        status, detail = Status.UNTRUSTED, f"untrusted: {chain.problem}"
    elif left < warn_days:
        status, detail = Status.EXPIRING, f"expires {_in_days(left)} (warning at {warn_days})"
    else:
        status, detail = Status.VALID, (
            "valid, expires today" if left == 0 else f"valid for {left} more day{'s' if left != 1 else ''}"
        )
    return CertificateReport(
        source=source,
        status=status,
        detail=detail,
        subject=display_name(certificate.subject),
        nits=tuple(nits_in_name(certificate.subject)),
        issuer=display_name(certificate.issuer),
        serial=format(certificate.serial_number, "X"),
        not_before=certificate.not_valid_before_utc,
        not_after=certificate.not_valid_after_utc,
        days_left=left,
        fingerprint=certificate.fingerprint(hashes.SHA256()).hex(),
        environments=environments,
        at=now,
    )


def worst_exit_code(reports: Sequence[CertificateReport]) -> int:
    """3 beats 2 beats 1 beats 0."""
    codes = [r.status.exit_code for r in reports] or [0]
    return 3 if 3 in codes else max(codes)
