"""Signing with a stored certificate — and only with one that may sign.

:class:`Signer` is the Python API invoicing software uses: load a keystore once, then sign many
documents (bytes in, bytes out) at chosen times. Before every signature it refuses, with the reason
and nothing written, a certificate that is not yet valid or expired at the signing time, revoked,
without digitalSignature + nonRepudiation, not chaining to a trusted CA, on an expired loan, or
taken from the other environment's store than the document's ``ProfileExecutionID`` names.

Example::

    from minica.signing.service import Signer
    signer = Signer.from_keystore("stores/habilitacion/900373987-9_….p12", password=b"…",
                                  trust=[root_certificate])
    signed = signer.sign(xml_bytes, signing_time=SystemClock().now())
"""

from __future__ import annotations

import datetime as _dt
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import NamedTuple

from cryptography import x509

from minica.ca.revocation import RevocationLookup
from minica.ca.trust import ChainPath, chain_path
from minica.clock import require_aware
from minica.environment import Environment
from minica.errors import CertificateNotUsable, InvalidInput
from minica.signing import policy
from minica.signing.document import UblDocument
from minica.signing.policy import DigestAlgorithm, SignerRole
from minica.signing.xades import sign_document
from minica.storage.keystore import Keystore, read_keystore

#: Extra refusals a caller adds (e.g. the CA's loaned-certificate rule), given the certificate, the
#: signing time and the document's supplier NIT (if any): a message, or None.
ExtraRule = Callable[[x509.Certificate, _dt.datetime, "str | None"], "str | None"]


def _subject(cert: x509.Certificate) -> str:
    names = cert.subject.get_attributes_for_oid(x509.NameOID.COMMON_NAME)
    return str(names[0].value) if names else cert.subject.rfc4514_string()


def _who(certificate: x509.Certificate) -> str:
    return f"the certificate of {_subject(certificate)} (serial {certificate.serial_number:X})"


def certificate_refusal(
    certificate: x509.Certificate,
    *,
    at: _dt.datetime,
    anchors: Sequence[x509.Certificate],
    intermediates: Sequence[x509.Certificate] = (),
    revocation: RevocationLookup | None = None,
    extra_rules: Sequence[ExtraRule] = (),
    supplier_nit: str | None = None,
    path: ChainPath | None = None,
) -> CertificateNotUsable | None:
    """Why ``certificate`` may not sign at ``at``, or None when it may.

    ``path``, the certificate's :func:`~minica.ca.trust.chain_path` to ``anchors``, saves finding it
    again (a signer finds it once); it is judged at ``at`` like a path found now.
    """

    if at < certificate.not_valid_before_utc:
        return CertificateNotUsable(
            f"{_who(certificate)} is not valid until {certificate.not_valid_before_utc.isoformat()}",
            "sign at a later time or use a certificate valid now",
        )
    if at > certificate.not_valid_after_utc:
        return CertificateNotUsable(
            f"{_who(certificate)} expired on {certificate.not_valid_after_utc.isoformat()}",
            "renew it: issue a new certificate ('minica issue') or request one",
        )
    revoked = _revocation_refusal(certificate, at, revocation)
    if revoked is not None:
        return revoked
    if not _signing_usage(certificate):
        return CertificateNotUsable(
            f"{_who(certificate)} lacks key usage digitalSignature + nonRepudiation",
            "DIAN requires both (policy Regla-2); use a signing certificate",
        )
    if path is None:
        path = chain_path(certificate, anchors=anchors, intermediates=intermediates)
    chain = path.at(at)
    if not chain.trusted:
        return CertificateNotUsable(
            f"{_who(certificate)} does not chain to a trusted CA: {chain.problem}",
            "use a certificate from this CA, or give its CA with --trust",
        )
    return _rule_refusal(certificate, at, extra_rules, supplier_nit)


def _revocation_refusal(
    certificate: x509.Certificate, at: _dt.datetime, revocation: RevocationLookup | None
) -> CertificateNotUsable | None:
    revoked = revocation(certificate) if revocation else None
    if revoked is not None and revoked.revoked_at <= at:
        return CertificateNotUsable(
            f"{_who(certificate)} was revoked on {revoked.revoked_at.isoformat()} ({revoked.reason})",
            "a revoked certificate may never sign again; get a new one",
        )
    return None


def _rule_refusal(
    certificate: x509.Certificate, at: _dt.datetime, rules: Sequence[ExtraRule], supplier_nit: str | None
) -> CertificateNotUsable | None:
    for rule in rules:
        problem = rule(certificate, at, supplier_nit)
        if problem:
            return CertificateNotUsable(problem, "get a certificate of your own")
    return None


def _signing_usage(certificate: x509.Certificate) -> bool:
    """Key usage digitalSignature + nonRepudiation (DIAN's Regla-2)."""
    try:
        usage = certificate.extensions.get_extension_for_class(x509.KeyUsage).value
    except x509.ExtensionNotFound:
        return False
    return bool(usage.digital_signature and usage.content_commitment)


class _Standing(NamedTuple):
    """A keystore certificate's standing as its certificates tell it (none of it changes)."""

    path: ChainPath  # towards the anchors
    usable: bool  # key usage for signing, and a trusted path
    start: _dt.datetime  # the leaf and its CAs are all valid from here ...
    end: _dt.datetime  # ... to here

    def signs_at(self, at: _dt.datetime) -> bool:
        """Whether nothing the certificates tell forbids signing at ``at``."""
        return self.usable and self.start <= at <= self.end


@dataclass(frozen=True)
class Signer:
    """A loaded signing keystore plus the rules that decide whether it may sign.

    ``environment`` is the store the keystore came from (None for a keystore from elsewhere, which
    then signs documents of either environment). ``store_hint`` says, for a document of the other
    environment, what to do instead (the caller knows how the keystore was chosen); by default it
    points at the other environment's store.
    """

    keystore: Keystore
    anchors: tuple[x509.Certificate, ...]
    source: str = "keystore"
    environment: Environment | None = None
    revocation: RevocationLookup | None = None
    extra_rules: tuple[ExtraRule, ...] = field(default=())
    store_hint: Callable[[Environment], str] | None = field(default=None, compare=False)
    _found: list[_Standing] = field(default_factory=list, init=False, repr=False, compare=False)

    @classmethod
    def from_keystore(
        cls,
        path: str | Path,
        password: bytes,
        *,
        trust: Sequence[x509.Certificate],
        environment: Environment | None = None,
        revocation: RevocationLookup | None = None,
    ) -> Signer:
        """Open a PKCS#12 file; ``trust`` are the CA certificates it must chain to."""
        store = read_keystore(Path(path), password)
        return cls(store, tuple(trust), str(path), environment, revocation)

    def check(self, at: _dt.datetime, document: UblDocument | None = None) -> None:
        """Raise :class:`CertificateNotUsable` if this keystore may not sign ``document`` at ``at``."""
        require_aware(at, "signing time")
        document_environment = document.environment if document is not None else None
        if (self.environment is not None and document is not None and document_environment is not None
                and self.environment is not document_environment):
            hint = (self.store_hint or _other_store)(document_environment)
            raise CertificateNotUsable(
                f"the document is for {document_environment.label} ({document.environment_field} "
                f"{document_environment.profile_execution_id}) but {self.source} is from the "
                f"{self.environment.label} store",
                hint,
            )
        certificate = self.keystore.certificate
        standing = self._standing()
        if standing.signs_at(at):  # what may change since the certificate was made is left
            problem = _revocation_refusal(certificate, at, self.revocation) or _rule_refusal(
                certificate, at, self.extra_rules, _supplier_nit(document, self.extra_rules)
            )
        else:  # the full judgement, for its message
            problem = certificate_refusal(
                certificate, at=at, anchors=self.anchors, intermediates=self.keystore.chain,
                revocation=self.revocation, extra_rules=self.extra_rules,
                supplier_nit=_supplier_nit(document, self.extra_rules), path=standing.path,
            )
        if problem is not None:
            raise problem

    def _standing(self) -> _Standing:
        """What the certificates alone say, found on first use: reading them again at every
        signature costs more than the checks that remain."""
        if not self._found:
            certificate = self.keystore.certificate
            path = chain_path(certificate, anchors=self.anchors, intermediates=self.keystore.chain)
            self._found.append(_Standing(
                path,
                path.trusted and _signing_usage(certificate),
                max(c.not_valid_before_utc for c in path.chain),
                min(c.not_valid_after_utc for c in path.chain),
            ))
        return self._found[0]

    def sign(
        self,
        document: bytes | UblDocument,
        *,
        signing_time: _dt.datetime,
        role: SignerRole | str = SignerRole.SUPPLIER,
        digest: DigestAlgorithm | str = policy.SHA256,
        include_chain: bool = False,
    ) -> bytes:
        """Sign one UBL document: bytes in, signed bytes out (nothing is written anywhere).

        ``document`` is the document's bytes, or a :class:`UblDocument` already read with
        :meth:`UblDocument.from_bytes` (e.g. to choose the signer by its environment and supplier):
        either way it is parsed, and checked for hostile XML, exactly once.

        Raises :class:`CertificateNotUsable` when the certificate may not sign, and the parsing
        errors of :func:`minica.signing.xades.sign_document` for bad documents.
        """
        if isinstance(document, UblDocument):
            parsed = document
        elif isinstance(document, (bytes, bytearray)):
            parsed = UblDocument.from_bytes(document)
        else:
            raise TypeError("sign() takes the document as bytes or a UblDocument")
        self.check(signing_time, parsed)
        return sign_document(
            parsed,
            key=self.keystore.key,
            certificate=self.keystore.certificate,
            chain=self.keystore.chain if include_chain else (),
            signing_time=signing_time,
            role=SignerRole.parse(role) if isinstance(role, str) else role,
            digest=policy.digest_algorithm(digest) if isinstance(digest, str) else digest,
        )


def _supplier_nit(document: UblDocument | None, rules: Sequence[ExtraRule]) -> str | None:
    """The document's supplier NIT, read only when a rule will look at it."""
    return document.supplier_nit if document is not None and rules else None


def _other_store(environment: Environment) -> str:
    return f"sign it with a keystore from the {environment.label} store"


def require_environment(document: UblDocument, fallback: Environment | None) -> Environment:
    """The environment to sign for: the document's, else the fallback, else an error."""
    value = document.environment
    if value is not None:
        return value
    if fallback is not None:
        return fallback
    raise InvalidInput(
        f"the document has no {document.environment_field} to say which environment it is for",
        "add it (1 producción, 2 habilitación) or choose with --env",
    )
