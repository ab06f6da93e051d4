"""Certificate checks: validity at ``at`` (ZD07), key usage, chain to anchors (ZD05), revocation (ZD04).

Rule codes follow DIAN's validator code (see ``ca-profiles-and-peers.md`` §6): ZD07 is the validity
period, ZD05 the chain, ZD04 revocation. No network: the chain is built only from the certificates
given (intermediates, extra KeyInfo certificates, anchors) and revocation only asks the
:class:`~minica.signing.revocation.RevocationSource` passed in.
"""

from __future__ import annotations

import datetime as _dt
from collections.abc import Sequence

from cryptography import x509
from cryptography.exceptions import InvalidSignature

from minica.clock import colombian
from minica.signing import cert_memo
from minica.signing.checks_structure import Checks, subject_text
from minica.signing.revocation import RevocationSource, covers

MAX_CHAIN = 8


def _subject(cert: x509.Certificate) -> str:
    return subject_text(cert)


def _when(moment: _dt.datetime) -> str:
    """A time as every command writes it: Colombian (-05:00)."""
    return colombian(moment).isoformat()


def check_validity(cert: x509.Certificate, at: _dt.datetime, out: Checks) -> bool:
    """ZD07: ``at`` is inside the certificate's notBefore → notAfter."""
    if at < cert.not_valid_before_utc:
        return out.failed(
            "ZD07",
            f"certificate '{_subject(cert)}' is not yet valid at {_when(at)} "
            f"(notBefore {_when(cert.not_valid_before_utc)}; Certificado aún no se encuentra vigente)",
        )
    if at > cert.not_valid_after_utc:
        return out.failed(
            "ZD07",
            f"certificate '{_subject(cert)}' expired at {_when(cert.not_valid_after_utc)}, "
            f"before {_when(at)} (Certificado se encuentra expirado)",
        )
    return out.passed(
        "ZD07",
        f"certificate valid at {_when(at)} ({colombian(cert.not_valid_before_utc).date()} → "
        f"{colombian(cert.not_valid_after_utc).date()})",
    )


def check_key_usage(cert: x509.Certificate, out: Checks) -> bool:
    """Policy Regla-2: KeyUsage allows digitalSignature and nonRepudiation."""
    usage = cert_memo.fact("key-usage", _key_usage, cert)
    if usage is None:
        return out.failed(
            "MINICA-KEY-USAGE",
            "the signer certificate has no KeyUsage; expected digitalSignature + nonRepudiation",
        )
    missing = [
        name
        for name, present in (("digitalSignature", usage[0]), ("nonRepudiation", usage[1]))
        if not present
    ]
    if missing:
        return out.failed(
            "MINICA-KEY-USAGE", f"the signer certificate's KeyUsage lacks {' and '.join(missing)}"
        )
    return out.passed("MINICA-KEY-USAGE", "KeyUsage has digitalSignature and nonRepudiation")


def _key_usage(cert: x509.Certificate) -> tuple[bool, bool] | None:
    """(digitalSignature, nonRepudiation) of the KeyUsage, ``None`` without one."""
    try:
        usage = cert.extensions.get_extension_for_class(x509.KeyUsage).value
    except x509.ExtensionNotFound:
        return None
    return usage.digital_signature, usage.content_commitment


def _link(cert: x509.Certificate, issuer: x509.Certificate) -> tuple[bool, bool]:
    """(``issuer``'s subject is ``cert``'s issuer, and ``issuer``'s key signed ``cert``),
    remembered (:mod:`~minica.signing.cert_memo`): an RSA verification each."""
    return cert_memo.pair_fact("link", _work_out_link, cert, issuer)


def _work_out_link(cert: x509.Certificate, issuer: x509.Certificate) -> tuple[bool, bool]:
    if issuer.subject != cert.issuer:
        return False, False
    try:
        cert.verify_directly_issued_by(issuer)
    except (ValueError, TypeError, InvalidSignature):
        return True, False
    return True, True


def _is_ca(cert: x509.Certificate) -> bool:
    return cert_memo.fact("ca", _basic_constraints_ca, cert)


def _basic_constraints_ca(cert: x509.Certificate) -> bool:
    try:
        return bool(cert.extensions.get_extension_for_class(x509.BasicConstraints).value.ca)
    except x509.ExtensionNotFound:
        return False


def build_chain(
    cert: x509.Certificate,
    anchors: Sequence[x509.Certificate],
    pool: Sequence[x509.Certificate],
    at: _dt.datetime,
) -> tuple[list[x509.Certificate] | None, str]:
    """A path ``[cert, …, anchor]`` valid at ``at``, or ``None`` with the reason."""
    if cert in anchors:
        return [cert], ""
    reason = ""
    stack: list[list[x509.Certificate]] = [[cert]]
    while stack:
        path = stack.pop()
        tip = path[-1]
        if len(path) > MAX_CHAIN:
            continue
        for anchor in anchors:
            if _link(tip, anchor) == (True, True):
                if not (anchor.not_valid_before_utc <= at <= anchor.not_valid_after_utc):
                    reason = f"trust anchor '{_subject(anchor)}' is not valid at {_when(at)}"
                    continue
                return path + [anchor], ""
        for candidate in pool:
            if candidate in path:
                continue
            named, signed = _link(tip, candidate)
            if not named:
                continue
            if not signed:
                reason = f"'{_subject(candidate)}' has the issuer's name but did not sign '{_subject(tip)}'"
                continue
            if not _is_ca(candidate):
                reason = f"intermediate '{_subject(candidate)}' is not a CA (basicConstraints)"
                continue
            if not (candidate.not_valid_before_utc <= at <= candidate.not_valid_after_utc):
                reason = f"intermediate '{_subject(candidate)}' is not valid at {_when(at)}"
                continue
            stack.append(path + [candidate])
    return None, reason or f"no certificate among the anchors or intermediates issued '{_subject(cert)}'"


def check_chain(
    cert: x509.Certificate,
    anchors: Sequence[x509.Certificate],
    pool: Sequence[x509.Certificate],
    at: _dt.datetime,
    out: Checks,
) -> list[x509.Certificate] | None:
    """ZD05: the signer chains to one of ``anchors`` through ``pool``; fails when none given."""
    if not anchors:
        out.failed("ZD05", "untrusted: no trust anchors given")
        return None
    path, reason = build_chain(cert, anchors, pool, at)
    if path is None:
        out.failed("ZD05", f"untrusted: {reason} (Cadena de confianza del certificado)")
        return None
    out.passed("ZD05", "chain: " + " ← ".join(_subject(c) for c in reversed(path)))
    return path


def check_revocation(
    path: Sequence[x509.Certificate],
    source: RevocationSource | None,
    at: _dt.datetime,
    signing_time: _dt.datetime | None,
    out: Checks,
) -> bool:
    """ZD04: no certificate of the path (anchor excluded) is revoked at ``at``.

    Skipped (it cannot be known) without a source, or when the source does not cover some
    certificate of the path (:func:`~minica.signing.revocation.covers`: e.g. a home without a CA,
    or a certificate another CA issued); a revocation the source knows still fails.
    """
    if source is None:
        out.add("ZD04", "skip", "revocation not checked: no revocation source given")
        return True
    checked = list(path[:-1]) if len(path) > 1 else list(path)
    unknown = [cert for cert in checked if not covers(source, cert)]
    for cert in checked:
        revocation = source.revocation_of(cert) if cert not in unknown else None
        if revocation is None or revocation.revoked_at > at:
            continue
        when = ""
        if signing_time is not None:
            when = " (before signing)" if revocation.revoked_at <= signing_time else " (after signing)"
        return out.failed(
            "ZD04",
            f"certificate '{_subject(cert)}' serial {cert.serial_number} was revoked at "
            f"{_when(revocation.revoked_at)}{when}, reason {revocation.reason} "
            "(Certificado de la firma revocado)",
        )
    if unknown:
        named = ", ".join(f"'{_subject(c)}'" for c in unknown)
        out.add(
            "ZD04", "skip",
            f"revocation not known for {named}: the CA asked about revocations (this home's, or a "
            f"MockCA) did not issue it, so minica cannot tell whether it is revoked"
            + (f"; {len(checked) - len(unknown)} other certificate(s) of the chain are not revoked"
               if len(unknown) < len(checked) else ""),
        )
        return True
    return out.passed("ZD04", f"not revoked ({len(checked)} certificate(s) asked)")
