"""A certificate's revocation, as the CA records it and as checks and the verifier consume it."""

from __future__ import annotations

import datetime as _dt
from collections.abc import Callable
from dataclasses import dataclass

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


#: Looks a certificate up in some revocation source; None when it is not (known to be) revoked.
RevocationLookup = Callable[[x509.Certificate], "Revocation | None"]
