"""Stateless verification of a DIAN XAdES-EPES signed UBL document.

``verify_document`` parses the given bytes once (hardened, :func:`~minica.signing.xmlsafe.parse_xml`),
locates the one ``ds:Signature``, refuses signature-wrapping shapes and content the signature does
not cover that a reader could take for the document (an allow-list of DIAN's signature profile,
:mod:`~minica.signing.checks_signature_shape`), verifies every reference digest
and the SignatureValue in document context, checks the XAdES signed properties against DIAN's
policy, then the certificate (validity at ``at``, key usage, chain, revocation) and, when the
secrets are given, the CUFE/CUDE/CUNE. Every step becomes a :class:`~minica.signing.report.Check`
with DIAN's rule code where one exists.
"""

from __future__ import annotations

import datetime as _dt
from collections.abc import Sequence

from cryptography import x509

from minica.clock import UTC, require_aware
from minica.signing import checks_properties as props
from minica.signing import checks_trust as trust_checks
from minica.signing.checks_crypto import verify_document_digest, verify_fragments
from minica.signing.checks_signature_shape import check_signature_shape
from minica.signing.checks_structure import Checks, locate
from minica.signing.cufe import key_checks
from minica.signing.diagnosis import Diagnosis
from minica.signing.document_index import DocumentIndex
from minica.signing.report import (
    CERTIFICATE_RULES,
    CRYPTO_RULES,
    DOCUMENT_KEY_RULES,
    Check,
    VerificationResult,
)
from minica.signing.revocation import Revocation, RevocationSource
from minica.signing.xmlsafe import parse_xml_with_text

__all__ = ["Check", "Revocation", "RevocationSource", "VerificationResult", "verify_document"]

#: Checks that make up ``trusted``.
TRUST_RULES = ("ZD05", "ZD07", "ZD04")


def verify_document(
    data: bytes,
    *,
    at: _dt.datetime,
    trust: Sequence[x509.Certificate] = (),
    intermediates: Sequence[x509.Certificate] = (),
    revocation: RevocationSource | None = None,
    technical_key: str | None = None,
    software_pin: str | None = None,
) -> VerificationResult:
    """Verify the DIAN XAdES-EPES signature of ``data`` as of ``at``.

    Takes the document's bytes exactly as received (never re-serialized), the verification time
    ``at`` (timezone-aware; the wall clock is never read), trust anchors, extra intermediates, an
    optional revocation source, and the numbering range's technical key / the software PIN for the
    CUFE/CUDE/CUNE checks.

    Returns a frozen :class:`VerificationResult`; a failing check does not raise, it makes
    ``valid`` false. Its grades: ``intact`` (every reference digest matches, computed with the
    declared canonicalization), ``signature_valid`` (the SignatureValue verifies), ``profile``
    (DIAN's profile and minica's structure defences hold) and ``trusted`` (chain, validity, not
    known to be revoked). A failed digest or SignatureValue names the signer mistake that
    reproduces it when minica recognises one (the check's ``cause``). Raises
    :class:`~minica.errors.HostileXml` / :class:`~minica.errors.MalformedXml` when the bytes
    cannot be read as safe XML, ``TypeError``/``ValueError`` for a naive ``at``.

    Does **not** establish: that the signer is trusted when no anchors are given (ZD05 then fails
    with "untrusted: no trust anchors given"); non-revocation when no ``revocation`` source is
    given or it does not cover the certificate (ZD04 is skipped: it cannot know); that the
    certificate comes from an ONAC-accredited CA (only that it chains to *your* anchors); that the
    business content (amounts, NITs) is true; the schema or
    DIAN's business rules beyond the signature and CUFE/CUDE/CUNE.
    """
    if not isinstance(at, _dt.datetime):
        raise TypeError("at must be a datetime")
    at = require_aware(at, "verification time 'at'").astimezone(UTC)
    tree, text = parse_xml_with_text(data)
    root = tree.getroot()
    index = DocumentIndex(root, text)
    out = Checks()
    document_checks = key_checks(root, technical_key=technical_key, software_pin=software_pin)

    parts = locate(root, out, index)
    if parts is None:
        out.items.extend(document_checks)
        return _result(out, intact=False, signature_valid=False, trusted=False)
    check_signature_shape(parts, root, out, index)

    diagnosis = Diagnosis(parts, data)
    fragments_matching, signature_valid = verify_fragments(parts, diagnosis, out)
    fragments_intact = fragments_matching == sum(
        r.role in ("keyinfo", "signedproperties") for r in parts.references
    )

    signing_time = props.check_signing_time(parts, at, out)
    props.check_signing_certificate(parts, out)
    policy = props.check_policy(parts, out)
    props.check_signer_role(parts, out)

    trusted = False
    cert = parts.certificate
    if cert is None:
        for rule in TRUST_RULES:
            out.add(rule, "skip", "no certificate to check")
    else:
        in_validity = trust_checks.check_validity(cert, at, out)
        trust_checks.check_key_usage(cert, out)
        pool = [*intermediates, *parts.extra_certificates]
        path = trust_checks.check_chain(cert, list(trust), pool, at, out)
        props.check_certificate_digests(parts, [*pool, *trust], out)
        not_revoked = trust_checks.check_revocation(
            path or [cert], revocation, at, signing_time, out
        )
        trusted = path is not None and in_validity and not_revoked

    # Last: the enveloped transform detaches the signature from this tree.
    document_intact, signed_bytes = verify_document_digest(parts, tree, diagnosis, out)
    out.items.extend(document_checks)

    # Every reference computed and matching: one document, KeyInfo/SignedProperties, nothing else.
    references = parts.references
    intact = bool(references) and fragments_matching + document_intact == len(references)
    covered = signature_valid and fragments_intact and parts.structure_ok
    return _result(
        out,
        intact=intact,
        signature_valid=signature_valid,
        trusted=trusted,
        signer=cert if covered else None,
        signing_time=signing_time if covered else None,
        policy=policy if covered else None,
        signed_bytes=signed_bytes if (covered and document_intact) else None,
    )


def _result(
    out: Checks,
    *,
    intact: bool,
    signature_valid: bool,
    trusted: bool,
    signer: x509.Certificate | None = None,
    signing_time: _dt.datetime | None = None,
    policy: str | None = None,
    signed_bytes: bytes | None = None,
) -> VerificationResult:
    checks = tuple(out.items)
    outside = CRYPTO_RULES | CERTIFICATE_RULES | DOCUMENT_KEY_RULES
    return VerificationResult(
        valid=not any(c.status == "fail" for c in checks),
        intact=intact,
        signature_valid=signature_valid,
        trusted=trusted,
        profile=not any(c.status == "fail" and c.rule not in outside for c in checks),
        signer=signer,
        signing_time=signing_time,
        policy=policy,
        checks=checks,
        signed_bytes=signed_bytes,
    )
