"""The verifier's revocation source backed by a home's CA database (ZD04, offline)."""

from __future__ import annotations

from cryptography import x509

from minica.ca.home_trust import home_revocations, home_trust
from minica.signing.revocation import Revocation
from minica.storage.home import Home


class HomeRevocationSource:
    """Answers ``revocation_of`` from the CA database of ``home`` (read once).

    It ``covers`` only certificates the home's CA issued (its root or issuing CA is their issuer):
    for anything else, or in a home without a CA, it cannot know, and ZD04 is skipped.
    """

    def __init__(self, home: Home) -> None:
        self._lookup = home_revocations(home)
        anchors, intermediates = home_trust(home)
        self._issuers = [c.subject for c in (*anchors, *intermediates)]

    def covers(self, certificate: x509.Certificate) -> bool:
        return certificate.issuer in self._issuers

    def revocation_of(self, certificate: x509.Certificate) -> Revocation | None:
        return self._lookup(certificate) if self.covers(certificate) else None
