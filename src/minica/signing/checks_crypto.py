"""The XML-DSig mathematics: reference digests and SignatureValue (ZE02), in document context.

Every digest is computed on the tree parsed from the caller's bytes with inclusive C14N 1.0, so the
canonical form of ``ds:SignedInfo``, ``ds:KeyInfo`` and ``xades:SignedProperties`` carries the
namespace declarations in scope from the document root, exactly as DIAN's validator sees them.
Nothing is re-serialized before verifying.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from lxml import etree

from minica.signing.checks_structure import (
    DIGEST_NAMES,
    SIGNATURE_HASHES,
    Checks,
    Reference,
    SignatureParts,
)

_HASHES: dict[str, hashes.HashAlgorithm] = {
    "sha256": hashes.SHA256(),
    "sha384": hashes.SHA384(),
    "sha512": hashes.SHA512(),
}


def c14n(node: etree._Element | etree._ElementTree) -> bytes:
    """Inclusive C14N 1.0 without comments of ``node`` in its document context."""
    return bytes(etree.tostring(node, method="c14n", exclusive=False, with_comments=False))


def _decode(value: str) -> bytes | None:
    try:
        return base64.b64decode("".join(value.split()), validate=True)
    except (binascii.Error, ValueError):
        return None


def _compare(out: Checks, ref: Reference, data: bytes) -> bool:
    name = DIGEST_NAMES.get(ref.digest_uri)
    if name is None:
        return out.add("ZE02", "skip", f"{ref.label}: digest not computed (algorithm refused)")
    expected = _decode(ref.digest_value)
    if expected is None:
        return out.failed("ZE02", f"{ref.label}: ds:DigestValue is not base64")
    actual = hashlib.new(name, data).digest()
    if hmac.compare_digest(actual, expected):
        return out.passed("ZE02", f"{ref.label}: {name} digest matches")
    return out.failed(
        "ZE02",
        f"{ref.label}: digest does not match; ds:DigestValue is {ref.digest_value.strip()}, "
        f"the {name} of the referenced content is {base64.b64encode(actual).decode()} "
        "(the signed content was changed after signing)",
    )


def verify_fragments(parts: SignatureParts, out: Checks) -> tuple[bool, bool]:
    """Check the KeyInfo/SignedProperties digests and the SignatureValue, in place.

    Returns ``(fragments_intact, signature_valid)``. Must run before :func:`verify_document_digest`,
    which detaches the signature. Establishes nothing about the signer's identity or trust.
    """
    intact = True
    for ref in parts.references:
        if ref.role in ("keyinfo", "signedproperties") and ref.target is not None:
            intact = _compare(out, ref, c14n(ref.target)) and intact
        elif ref.role == "other":
            intact = False
    return intact, _verify_signature_value(parts, out)


def _verify_signature_value(parts: SignatureParts, out: Checks) -> bool:
    if parts.signed_info is None:
        return out.add("ZE02", "skip", "SignatureValue not checked: no ds:SignedInfo")
    if parts.certificate is None:
        out.add("ZE02", "skip", "SignatureValue not checked: no usable certificate in ds:KeyInfo")
        return False
    name = SIGNATURE_HASHES.get(parts.signature_method)
    if name is None:
        out.add("ZE02", "skip", "SignatureValue not checked: SignatureMethod refused (DC04)")
        return False
    value_element = parts.signature.find("{http://www.w3.org/2000/09/xmldsig#}SignatureValue")
    value = _decode("".join(value_element.itertext())) if value_element is not None else None
    if not value:
        return out.failed("ZE02", "ds:SignatureValue is missing or not base64")
    key = parts.certificate.public_key()
    if not isinstance(key, rsa.RSAPublicKey):
        return out.failed(
            "ZE02",
            f"the KeyInfo certificate holds a {type(key).__name__}; DIAN signatures are RSA",
        )
    try:
        key.verify(value, c14n(parts.signed_info), padding.PKCS1v15(), _HASHES[name])
    except InvalidSignature:
        return out.failed(
            "ZE02",
            "ds:SignatureValue does not verify over the canonical ds:SignedInfo with the KeyInfo "
            "certificate's key (Valor de la firma inválido)",
        )
    return out.passed("ZE02", f"ds:SignatureValue verifies (RSA PKCS#1 v1.5, {name})")


def verify_document_digest(
    parts: SignatureParts, tree: etree._ElementTree, out: Checks
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
    data = c14n(tree)
    ok = _compare(out, ref, data)
    return ok, (data if ok else None)
