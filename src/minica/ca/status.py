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

from minica.ca.profiles import nits_in_name
from minica.ca.revocation import RevocationLookup
from minica.ca.trust import build_chain


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
            "not_before": self.not_before.isoformat() if self.not_before else None,
            "not_after": self.not_after.isoformat() if self.not_after else None,
            "days_left": self.days_left,
            "fingerprint_sha256": self.fingerprint,
            "environments": list(self.environments),
        }


def days_left(certificate: x509.Certificate, now: _dt.datetime) -> int:
    """Whole days until notAfter (negative once expired)."""
    delta = certificate.not_valid_after_utc - now
    return int(delta.total_seconds() // 86400)


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
            f"revoked on {revoked.revoked_at.isoformat()} ({revoked.reason})"
        )
    elif now > certificate.not_valid_after_utc:
        status, detail = Status.EXPIRED, f"expired {-left} days ago"
    elif now < certificate.not_valid_before_utc:
        status, detail = Status.NOT_YET_VALID, (
            f"not valid until {certificate.not_valid_before_utc.isoformat()}"
        )
    elif not chain.trusted:
        status, detail = Status.UNTRUSTED, f"untrusted: {chain.problem}"
    elif left < warn_days:
        status, detail = Status.EXPIRING, f"expires in {left} days (warning at {warn_days})"
    else:
        status, detail = Status.VALID, f"valid for {left} more days"
    return CertificateReport(
        source=source,
        status=status,
        detail=detail,
        subject=certificate.subject.rfc4514_string(),
        nits=tuple(nits_in_name(certificate.subject)),
        issuer=certificate.issuer.rfc4514_string(),
        serial=format(certificate.serial_number, "X"),
        not_before=certificate.not_valid_before_utc,
        not_after=certificate.not_valid_after_utc,
        days_left=left,
        fingerprint=certificate.fingerprint(hashes.SHA256()).hex(),
        environments=environments,
    )


def worst_exit_code(reports: Sequence[CertificateReport]) -> int:
    """3 beats 2 beats 1 beats 0."""
    codes = [r.status.exit_code for r in reports] or [0]
    return 3 if 3 in codes else max(codes)
