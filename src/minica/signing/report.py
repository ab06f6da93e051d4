"""The verifier's result: a frozen list of checks plus the facts they establish.

``valid`` is the verdict: no check failed. Four grades say which part of the verdict failed, each
meaning exactly what its name says (pyHanko style, "the maths holds" apart from "we trust the
signer"):

* ``intact``: every ``ds:Reference`` resolved and its digest matches, computed with the
  canonicalization the signature declares (within the algorithms minica computes);
* ``signature_valid``: the ``ds:SignatureValue`` verifies over ``ds:SignedInfo`` (canonicalized
  with its declared ``ds:CanonicalizationMethod``) with the KeyInfo certificate's key;
* ``profile``: the signature follows DIAN's profile and passes minica's structure defences: every
  check other than the digests and SignatureValue (ZE02), the certificate checks (ZD04, ZD05, ZD07,
  MINICA-KEY-USAGE) and the document-key checks (CUFE/CUDE/CUNE, SoftwareSecurityCode) passed;
* ``trusted``: the certificate chains to a given anchor, is valid at the verification time and
  is not known to be revoked.
"""

from __future__ import annotations

import datetime as _dt
import functools
from dataclasses import dataclass, field
from typing import Any, Literal

from cryptography import x509
from lxml import etree

from minica.ca.names import display_name
from minica.clock import colombian
from minica.signing.xmlsafe import parse_xml

Status = Literal["pass", "fail", "warn", "skip"]
STATUSES: tuple[Status, ...] = ("pass", "fail", "warn", "skip")


#: Rules that are not part of ``profile``: the maths (ZE02), the certificate, the document keys.
CRYPTO_RULES = frozenset({"ZE02"})
CERTIFICATE_RULES = frozenset({"ZD04", "ZD05", "ZD07", "MINICA-KEY-USAGE"})
DOCUMENT_KEY_RULES = frozenset(
    {"MINICA-CUFE", "MINICA-CUDE", "MINICA-CUNE", "MINICA-SOFTWARE-SECURITY-CODE"}
)


@dataclass(frozen=True)
class Check:
    """One verification step: DIAN's rule code (or a ``MINICA-…`` code), its outcome, and why.

    ``cause`` names, on a failed digest or SignatureValue (ZE02), the signer mistake minica
    recognised (see :mod:`minica.signing.diagnosis`), else ``None``.
    """

    rule: str
    status: Status
    message: str
    cause: str | None = None

    def __post_init__(self) -> None:
        if not isinstance(self.rule, str) or not self.rule:
            raise TypeError("Check.rule must be a non-empty str")
        if self.status not in STATUSES:
            raise ValueError(f"Check.status must be one of {STATUSES}, got {self.status!r}")
        if not isinstance(self.message, str):
            raise TypeError("Check.message must be a str")
        if self.cause is not None and not isinstance(self.cause, str):
            raise TypeError("Check.cause must be a str or None")

    @property
    def failed(self) -> bool:
        return self.status == "fail"

    def to_json(self) -> dict[str, str | None]:
        return {"rule": self.rule, "status": self.status, "message": self.message, "cause": self.cause}


@dataclass(frozen=True)
class VerificationResult:
    """What :func:`minica.signing.verifier.verify_document` established.

    ``valid`` is true when no check failed; ``intact``, ``signature_valid``, ``profile`` and
    ``trusted`` are the grades described in this module's docstring (a document can be intact and
    correctly signed yet off DIAN's profile, or follow the profile and be untrusted).
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
    profile: bool
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
        """A JSON-ready summary: the grades, the signer (names with attribute names, serial in
        hex, times in Colombian time, as everywhere in minica's output), and every check."""
        signer: dict[str, Any] | None = None
        if self.signer is not None:
            signer = {
                "subject": display_name(self.signer.subject),
                "issuer": display_name(self.signer.issuer),
                "serial": format(self.signer.serial_number, "X"),
                "not_before": colombian(self.signer.not_valid_before_utc).isoformat(),
                "not_after": colombian(self.signer.not_valid_after_utc).isoformat(),
            }
        return {
            "valid": self.valid,
            "intact": self.intact,
            "signature_valid": self.signature_valid,
            "profile": self.profile,
            "trusted": self.trusted,
            "signer": signer,
            "signing_time": colombian(self.signing_time).isoformat() if self.signing_time else None,
            "policy": self.policy,
            "checks": [c.to_json() for c in self.checks],
        }
