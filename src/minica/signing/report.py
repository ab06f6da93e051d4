"""The verifier's result: a frozen list of checks plus the facts they establish.

Three grades are kept apart (pyHanko style): ``intact`` (every reference digest matches),
``signature_valid`` (the SignatureValue verifies with the KeyInfo certificate's key) and ``trusted``
(chain to a given anchor, validity at ``at``, not revoked). ``valid`` means no check failed.
"""

from __future__ import annotations

import datetime as _dt
import functools
from dataclasses import dataclass, field
from typing import Any, Literal

from cryptography import x509
from lxml import etree

from minica.signing.xmlsafe import parse_xml

Status = Literal["pass", "fail", "warn", "skip"]
STATUSES: tuple[Status, ...] = ("pass", "fail", "warn", "skip")


@dataclass(frozen=True)
class Check:
    """One verification step: DIAN's rule code (or a ``MINICA-…`` code), its outcome, and why."""

    rule: str
    status: Status
    message: str

    def __post_init__(self) -> None:
        if not isinstance(self.rule, str) or not self.rule:
            raise TypeError("Check.rule must be a non-empty str")
        if self.status not in STATUSES:
            raise ValueError(f"Check.status must be one of {STATUSES}, got {self.status!r}")
        if not isinstance(self.message, str):
            raise TypeError("Check.message must be a str")

    @property
    def failed(self) -> bool:
        return self.status == "fail"

    def to_json(self) -> dict[str, str]:
        return {"rule": self.rule, "status": self.status, "message": self.message}


@dataclass(frozen=True)
class VerificationResult:
    """What :func:`minica.signing.verifier.verify_document` established.

    ``signer``, ``signing_time`` and ``policy`` are only filled when they are covered by a verified
    signature (SignatureValue valid and the KeyInfo/SignedProperties digests intact); otherwise they
    are ``None`` and the checks say why. ``signed_document`` is the document as it was signed (the
    canonical bytes hashed for the ``URI=""`` reference, with the signature removed, re-parsed), or
    ``None`` when that reference did not verify: it is never the caller's tree.
    """

    valid: bool
    intact: bool
    signature_valid: bool
    trusted: bool
    signer: x509.Certificate | None
    signing_time: _dt.datetime | None
    policy: str | None
    checks: tuple[Check, ...]
    signed_bytes: bytes | None = field(default=None, repr=False)

    @functools.cached_property
    def signed_document(self) -> etree._Element | None:
        """The signed content re-parsed from the exact bytes that were hashed (lazily)."""
        if self.signed_bytes is None:
            return None
        return parse_xml(self.signed_bytes).getroot()

    @property
    def failures(self) -> tuple[Check, ...]:
        return tuple(c for c in self.checks if c.status == "fail")

    def check(self, rule: str) -> tuple[Check, ...]:
        """All checks reported under ``rule``."""
        return tuple(c for c in self.checks if c.rule == rule)

    def to_json(self) -> dict[str, Any]:
        """A JSON-ready summary: the grades, the signer, and every check."""
        signer: dict[str, Any] | None = None
        if self.signer is not None:
            signer = {
                "subject": self.signer.subject.rfc4514_string(),
                "issuer": self.signer.issuer.rfc4514_string(),
                "serial": str(self.signer.serial_number),
                "not_before": self.signer.not_valid_before_utc.isoformat(),
                "not_after": self.signer.not_valid_after_utc.isoformat(),
            }
        return {
            "valid": self.valid,
            "intact": self.intact,
            "signature_valid": self.signature_valid,
            "trusted": self.trusted,
            "signer": signer,
            "signing_time": self.signing_time.isoformat() if self.signing_time else None,
            "policy": self.policy,
            "checks": [c.to_json() for c in self.checks],
        }
