"""The XML-DSig mathematics: reference digests and SignatureValue (ZE02), in document context.

Every digest is computed on the tree parsed from the caller's bytes, with the canonicalization the
signature declares (:mod:`~minica.signing.canonical`; DIAN's inclusive C14N 1.0 carries the
namespace declarations in scope from the document root into the canonical form of ``ds:SignedInfo``,
``ds:KeyInfo`` and ``xades:SignedProperties``). ZE02 therefore answers "is it cryptographically
intact"; whether the declared algorithms are DIAN's is DC03/DC07/MINICA-TRANSFORMS. Nothing is
re-serialized before verifying. When a digest or the SignatureValue does not match,
:class:`~minica.signing.diagnosis.Diagnosis` names the signer mistake that reproduces it.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
from collections.abc import Callable
from dataclasses import dataclass

from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from lxml import etree

from minica.signing import cert_memo
from minica.signing.canonical import Canonicalization
from minica.signing.checks_structure import (
    DIGEST_NAMES,
    SIGNATURE_HASHES,
    Checks,
    Reference,
    SignatureParts,
)
from minica.signing.diagnosis import Diagnosis, Finding
from minica.signing.report import Status

_HASHES: dict[str, hashes.HashAlgorithm] = {
    "sha256": hashes.SHA256(),
    "sha384": hashes.SHA384(),
    "sha512": hashes.SHA512(),
}
_DS = "{http://www.w3.org/2000/09/xmldsig#}"


def _decode(value: str) -> bytes | None:
    try:
        return base64.b64decode("".join(value.split()), validate=True)
    except (binascii.Error, ValueError):
        return None


@dataclass
class _Outcome:
    """A reference's digest check before it is reported (hints need every part's diagnosis).

    ``findings`` is ``None`` unless the digest was computed and did not match."""

    ref: Reference
    status: Status
    message: str
    findings: list[Finding] | None = None
    data: bytes | None = None


def _digest(
    ref: Reference,
    compute: Callable[[Canonicalization], bytes],
    explain: Callable[[str, bytes, bytes], list[Finding]],
) -> _Outcome:
    """Compute ``ref``'s digest with its declared canonicalization and compare it."""
    name = DIGEST_NAMES.get(ref.digest_uri)
    if name is None:
        return _Outcome(ref, "skip", f"{ref.label}: digest not computed (algorithm refused)")
    if ref.canonicalization is None:
        return _Outcome(ref, "skip", f"{ref.label}: digest not computed (transforms refused)")
    expected = _decode(ref.digest_value)
    if expected is None:
        return _Outcome(ref, "fail", f"{ref.label}: ds:DigestValue is not base64")
    try:
        data = compute(ref.canonicalization)
    except ValueError as exc:
        return _Outcome(ref, "skip", f"{ref.label}: digest not computed ({exc})")
    actual = hashlib.new(name, data).digest()
    if hmac.compare_digest(actual, expected):
        return _Outcome(ref, "pass", f"{ref.label}: {name} digest matches", data=data)
    return _Outcome(
        ref, "fail",
        f"{ref.label}: digest does not match; ds:DigestValue is {ref.digest_value.strip()}, the "
        f"{name} of the referenced content ({ref.canonicalization.name}) is "
        f"{base64.b64encode(actual).decode()}",
        explain(name, expected, data),
    )


def _report(out: Checks, outcome: _Outcome, diagnosis: Diagnosis) -> bool:
    if outcome.findings is None:
        return out.add("ZE02", outcome.status, outcome.message)
    explanation = diagnosis.explain(outcome.findings)
    return out.add("ZE02", "fail", f"{outcome.message} — {explanation.text}", explanation.cause)


def verify_fragments(parts: SignatureParts, diagnosis: Diagnosis, out: Checks) -> tuple[int, bool]:
    """Check the KeyInfo/SignedProperties digests and the SignatureValue, in place.

    Returns ``(references_matching, signature_valid)``. Must run before
    :func:`verify_document_digest`, which detaches the signature. Establishes nothing about the
    signer's identity or trust.
    """
    outcomes = [
        _fragment(ref, diagnosis)
        for ref in parts.references
        if ref.role in ("keyinfo", "signedproperties") and ref.target is not None
    ]
    signature = _verify_signature_value(parts, diagnosis)
    for outcome in outcomes:
        _report(out, outcome, diagnosis)
    status, message, cause = signature
    out.add("ZE02", status, message, cause)
    return sum(o.status == "pass" for o in outcomes), status == "pass"


def _fragment(ref: Reference, diagnosis: Diagnosis) -> _Outcome:
    target = ref.target
    assert target is not None

    def explain(name: str, expected: bytes, data: bytes) -> list[Finding]:
        return diagnosis.fragment(ref, name, expected, data)

    return _digest(ref, lambda algorithm: algorithm.apply(target, comments=False), explain)


def _verify_signature_value(parts: SignatureParts, diagnosis: Diagnosis) -> tuple[Status, str, str | None]:
    if parts.signed_info is None:
        return "skip", "SignatureValue not checked: no ds:SignedInfo", None
    if parts.certificate is None:
        return "skip", "SignatureValue not checked: no usable certificate in ds:KeyInfo", None
    name = SIGNATURE_HASHES.get(parts.signature_method)
    if name is None:
        return "skip", "SignatureValue not checked: SignatureMethod refused (DC04)", None
    if parts.canonicalization is None:
        return "skip", "SignatureValue not checked: CanonicalizationMethod refused (DC03)", None
    value_element = parts.signature.find(_DS + "SignatureValue")
    value = _decode("".join(value_element.itertext())) if value_element is not None else None
    if not value:
        return "fail", "ds:SignatureValue is missing or not base64", None
    key = cert_memo.fact("public-key", x509.Certificate.public_key, parts.certificate)
    if not isinstance(key, rsa.RSAPublicKey):
        return "fail", f"the KeyInfo certificate holds a {type(key).__name__}; DIAN signatures are RSA", None
    try:
        signed = parts.canonicalization.apply(parts.signed_info)
    except ValueError as exc:
        return "skip", f"SignatureValue not checked: {exc}", None
    try:
        key.verify(value, signed, padding.PKCS1v15(), _HASHES[name])
    except InvalidSignature:
        explanation = diagnosis.explain(diagnosis.signature_value(key, value, name))
        return (
            "fail",
            "ds:SignatureValue does not verify over ds:SignedInfo canonicalized with "
            f"{parts.canonicalization.name}, with the KeyInfo certificate's key (Valor de la firma "
            f"inválido) — {explanation.text}",
            explanation.cause,
        )
    return "pass", f"ds:SignatureValue verifies (RSA PKCS#1 v1.5, {name}, {parts.canonicalization.name})", None


def verify_document_digest(
    parts: SignatureParts, tree: etree._ElementTree, diagnosis: Diagnosis, out: Checks
) -> tuple[bool, bytes | None]:
    """Apply the enveloped transform and check the ``URI=""`` digest.

    Detaches the ``ds:Signature`` from ``tree`` (its tail text stays in the document, as the
    transform requires), so it must run last on this tree. Returns ``(matches, signed_bytes)``,
    where ``signed_bytes`` are the canonical bytes that were hashed, or ``None`` when the digest
    does not match.
    """
    ref = parts.reference("document")
    if ref is None:
        return False, None
    signature = parts.signature
    parent = signature.getparent()
    if parent is not None:
        tail = signature.tail
        signature.tail = None
        previous = signature.getprevious()
        parent.remove(signature)
        if tail:
            if previous is not None:
                previous.tail = (previous.tail or "") + tail
            else:
                parent.text = (parent.text or "") + tail

    def explain(name: str, expected: bytes, data: bytes) -> list[Finding]:
        assert ref is not None and ref.canonicalization is not None
        return diagnosis.document(name, expected, data, tree, ref.canonicalization, parent)

    outcome = _digest(ref, lambda algorithm: algorithm.apply(tree, comments=False), explain)
    ok = _report(out, outcome, diagnosis) and outcome.status == "pass"
    return ok, (outcome.data if ok else None)
