"""The verifier's revocation source backed by a home's CA database (ZD04, offline)."""

from __future__ import annotations

from cryptography import x509

from minica.ca.check import home_revocations
from minica.signing.revocation import Revocation
from minica.storage.home import Home


class HomeRevocationSource:
    """Answers ``revocation_of`` from the CA database of ``home`` (read once)."""

    def __init__(self, home: Home) -> None:
        self._lookup = home_revocations(home)

    def revocation_of(self, certificate: x509.Certificate) -> Revocation | None:
        return self._lookup(certificate)
