"""What the verifier asks about revocation: a narrow Protocol the CA database implements.

The verifier never fetches CRLs or speaks OCSP (no network). A caller that knows revocation status
(minica's own CA database, a test fake) passes a :class:`RevocationSource`; without one the ZD04
check is reported as ``skip``.
"""

from __future__ import annotations

import datetime as _dt
from dataclasses import dataclass
from typing import Protocol, runtime_checkable

from cryptography import x509

from minica.clock import UTC, require_aware


@dataclass(frozen=True)
class Revocation:
    """A certificate's revocation: when (timezone-aware) and why (RFC 5280 reason name)."""

    revoked_at: _dt.datetime
    reason: str = "unspecified"

    def __post_init__(self) -> None:
        if not isinstance(self.revoked_at, _dt.datetime):
            raise TypeError("Revocation.revoked_at must be a datetime")
        if not isinstance(self.reason, str):
            raise TypeError("Revocation.reason must be a str")
        require_aware(self.revoked_at, "Revocation.revoked_at")
        object.__setattr__(self, "revoked_at", self.revoked_at.astimezone(UTC))


@runtime_checkable
class RevocationSource(Protocol):
    """Answers whether a certificate is revoked.

    ``revocation_of`` returns a :class:`Revocation` when the certificate is revoked, ``None`` when
    the source knows it is not (or does not know it). It must not raise for unknown certificates.
    """

    def revocation_of(self, certificate: x509.Certificate) -> Revocation | None: ...
