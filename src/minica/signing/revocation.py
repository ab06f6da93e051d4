"""What the verifier asks about revocation: a narrow Protocol the CA database implements.

The verifier never fetches CRLs or speaks OCSP (no network). A caller that knows revocation status
(minica's own CA database, a test fake) passes a :class:`RevocationSource`; without one the ZD04
check is reported as ``skip``.
"""

from __future__ import annotations

from typing import Protocol, runtime_checkable

from cryptography import x509

from minica.ca.revocation import Revocation

__all__ = ["Revocation", "RevocationSource", "covers"]


@runtime_checkable
class RevocationSource(Protocol):
    """Answers whether a certificate is revoked.

    ``revocation_of`` returns a :class:`Revocation` when the certificate is revoked, ``None`` when
    the source knows it is not (or does not know it). It must not raise for unknown certificates.
    """

    def revocation_of(self, certificate: x509.Certificate) -> Revocation | None: ...


def covers(source: RevocationSource, certificate: x509.Certificate) -> bool:
    """Whether ``source`` can tell if ``certificate`` is revoked.

    A source may define ``covers(certificate) -> bool`` (minica's home source covers what the
    home's CA issued); without it, every certificate is taken as covered. The verifier skips ZD04
    ("cannot know") rather than passing it for a certificate the source does not cover.
    """
    method = getattr(source, "covers", None)
    return bool(method(certificate)) if callable(method) else True
