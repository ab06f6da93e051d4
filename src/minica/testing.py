"""A whole mock CA in memory, for the tests of software that signs DIAN documents.

No home, no files, no database: ``MockCA()`` builds a root and an issuing CA like ``minica init``,
``issue`` makes certificates in the real CAs' profiles, and the results sign, verify, revoke and
export (PEM, PKCS#12) the same way minica's stored ones do::

    from minica.testing import MockCA

    ca = MockCA(now=signing_time)
    company = ca.issue("900373987-9", "ACME S.A.S.", profile="andes")
    signed = company.sign(invoice_bytes, at=signing_time)
    assert ca.verify(signed, at=signing_time).valid

With pytest, the ``minica_ca`` fixture gives a fresh ``MockCA`` per test (see
:mod:`minica.pytest_plugin`).
"""

from __future__ import annotations

import datetime as _dt
from dataclasses import dataclass, field

from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from minica.ca.crl import DEFAULT_CRL_VALIDITY, RevokedEntry, build_crl, reason_flag
from minica.ca.hierarchy import DEFAULT_BASE_URL, CaUrls, build_hierarchy
from minica.ca.issuance import IssueRequest, build_certificate, friendly_name
from minica.ca.registry import RevocationReason
from minica.ca.revocation import Revocation
from minica.clock import SystemClock, require_aware
from minica.environment import Environment
from minica.errors import InvalidInput, NotFound
from minica.identity import Nit, PersonType
from minica.signing.service import Signer
from minica.signing.verifier import VerificationResult, verify_document
from minica.storage.keystore import Keystore, P12Profile, serialize_keystore

__all__ = ["MockCA", "MockCertificate"]


@dataclass(frozen=True)
class MockCertificate:
    """An end-entity certificate with its key and chain, issued by a :class:`MockCA`."""

    certificate: x509.Certificate
    private_key: rsa.RSAPrivateKey
    chain: tuple[x509.Certificate, ...]
    ca: MockCA = field(repr=False, compare=False)
    friendly_name: str = ""

    @property
    def serial_hex(self) -> str:
        return format(self.certificate.serial_number, "X")

    @property
    def cert_pem(self) -> bytes:
        return self.certificate.public_bytes(serialization.Encoding.PEM)

    def chain_pem(self) -> bytes:
        """The certificate, then the issuing and root CA certificates (PEM)."""
        return self.cert_pem + b"".join(c.public_bytes(serialization.Encoding.PEM) for c in self.chain)

    def key_pem(self, password: bytes | None) -> bytes:
        """The private key as PKCS#8 PEM, encrypted with ``password``; ``None`` asks for it in
        clear, on purpose (the argument has no default so that it is always a decision)."""
        encryption: serialization.KeySerializationEncryption = (
            serialization.BestAvailableEncryption(password) if password else serialization.NoEncryption()
        )
        return self.private_key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                              encryption)  # fmt: skip

    def pkcs12(self, password: bytes, *, profile: P12Profile | str = P12Profile.COMPAT) -> bytes:
        """A PKCS#12 file like those ``minica issue`` writes (``compat``, ``modern`` or ``legacy``)."""
        chosen = P12Profile.parse(profile) if isinstance(profile, str) else profile
        return serialize_keystore(key=self.private_key, certificate=self.certificate, chain=self.chain,
                                  password=password, friendly_name=self.friendly_name, profile=chosen)  # fmt: skip

    def signer(self, *, environment: Environment | str | None = None) -> Signer:
        """A :class:`~minica.signing.service.Signer` that trusts this CA and knows its revocations."""
        env = Environment.parse(environment) if isinstance(environment, str) else environment
        keystore = Keystore(self.private_key, self.certificate, self.chain, self.friendly_name)
        return Signer(keystore, (self.ca.root,), f"mock certificate {self.serial_hex}", env, self.ca.revocation_of)

    def sign(self, data: bytes, *, at: _dt.datetime, role: str = "supplier", digest: str = "sha256",
             include_chain: bool = False) -> bytes:  # fmt: skip
        """Sign a UBL document as ``minica sign`` does; refused (``CertificateNotUsable``) when this
        certificate is not valid at ``at`` or was revoked by then."""
        return self.signer().sign(data, signing_time=at, role=role, digest=digest, include_chain=include_chain)


class MockCA:
    """A root and an issuing CA in memory (see the module docstring).

    ``now`` is when the CA is created (default: the current time); ``key_size`` is the CAs' RSA
    size (2048 keeps tests fast); ``base_url`` is where the certificates say CRL and OCSP live.
    """

    def __init__(self, *, now: _dt.datetime | None = None, key_size: int = 2048,
                 base_url: str = DEFAULT_BASE_URL) -> None:  # fmt: skip
        self.created_at = require_aware(now, "MockCA(now=)") if now is not None else SystemClock().now()
        self.urls = CaUrls.parse(base_url)
        keys = build_hierarchy(now=self.created_at, urls=self.urls, key_size=key_size)
        self.root, self.issuing = keys.root, keys.issuing
        self._issuing_key = keys.issuing_key
        self._issued: dict[int, MockCertificate] = {}
        self._revoked: dict[int, Revocation] = {}
        self._crl_number = 0

    @property
    def chain(self) -> tuple[x509.Certificate, x509.Certificate]:
        """Issuing then root: what goes beside an end-entity certificate."""
        return (self.issuing, self.root)

    @property
    def root_pem(self) -> bytes:
        """The trust anchor, for other verifiers (``xmlsec1 --trusted-pem``, ``openssl -CAfile``)."""
        return self.root.public_bytes(serialization.Encoding.PEM)

    def issue(
        self,
        nit: str | Nit,
        name: str,
        *,
        profile: str = "gse",
        person: str = "juridica",
        now: _dt.datetime | None = None,
        days: int | None = None,
        not_before: _dt.datetime | None = None,
        not_after: _dt.datetime | None = None,
        email: str | None = None,
        legal_representative: str | None = None,
        key_usage: str = "signing",
        key_size: int = 2048,
    ) -> MockCertificate:
        """A certificate in ``profile`` (gse, andes, certicamara) for the NIT (its check digit is
        checked); one year from ``now`` (default: the CA's creation) unless ``days`` or
        ``not_before``/``not_after`` say otherwise."""
        request = IssueRequest(
            nit=nit if isinstance(nit, Nit) else Nit.parse(nit), name=name, person=PersonType.parse(person),
            profile=profile, email=email, legal_representative=legal_representative, days=days,
            not_before=not_before, not_after=not_after, key_usage=key_usage, key_size=key_size,
        )  # fmt: skip
        issued_at = require_aware(now, "issue(now=)") if now is not None else self.created_at
        key = rsa.generate_private_key(public_exponent=65537, key_size=request.key_size)
        serial = x509.random_serial_number()
        while serial in self._issued:  # pragma: no cover - 159 random bits
            serial = x509.random_serial_number()
        certificate = build_certificate(self.issuing, self._issuing_key, key.public_key(), request,
                                        urls=self.urls, now=issued_at, serial=serial)  # fmt: skip
        issued = MockCertificate(certificate, key, self.chain, self, friendly_name(request))
        self._issued[serial] = issued
        return issued

    def revoke(self, which: MockCertificate | x509.Certificate | int | str, *, at: _dt.datetime | None = None,
               reason: str = "unspecified") -> Revocation:  # fmt: skip
        """Revoke a certificate this CA issued (by object, serial number or hex serial) as of ``at``
        (default: the CA's creation)."""
        serial = self._serial_of(which)
        when = require_aware(at, "revoke(at=)") if at is not None else self.created_at
        revocation = Revocation(when, RevocationReason.parse(reason).value)
        self._revoked[serial] = revocation
        return revocation

    def covers(self, certificate: x509.Certificate) -> bool:
        """Whether this CA knows if ``certificate`` is revoked: one it issued, or its issuing CA
        (never revoked). For any other the verifier skips ZD04 (it cannot know)."""
        if certificate == self.issuing:
            return True
        issued = self._issued.get(certificate.serial_number)
        return issued is not None and issued.certificate == certificate

    def revocation_of(self, certificate: x509.Certificate) -> Revocation | None:
        """The revocation of ``certificate`` if this CA revoked it (a ``RevocationSource``)."""
        if not self.covers(certificate):
            return None
        return self._revoked.get(certificate.serial_number)

    def crl(self, *, at: _dt.datetime | None = None,
            validity: _dt.timedelta = DEFAULT_CRL_VALIDITY) -> x509.CertificateRevocationList:  # fmt: skip
        """The issuing CA's CRL as of ``at``: revocations up to then, a CRL number one higher each call."""
        when = require_aware(at, "crl(at=)") if at is not None else self.created_at
        entries = [RevokedEntry(serial, r.revoked_at, reason_flag(r.reason))
                   for serial, r in sorted(self._revoked.items()) if r.revoked_at <= when]  # fmt: skip
        self._crl_number += 1
        return build_crl(self.issuing, self._issuing_key, entries, number=self._crl_number, now=when,
                         validity=validity)  # fmt: skip

    def verify(self, data: bytes, *, at: _dt.datetime, technical_key: str | None = None,
               software_pin: str | None = None) -> VerificationResult:  # fmt: skip
        """Verify a signed document as ``minica verify`` does, trusting this CA and its revocations."""
        return verify_document(data, at=at, trust=[self.root], intermediates=[self.issuing], revocation=self,
                               technical_key=technical_key, software_pin=software_pin)  # fmt: skip

    def _serial_of(self, which: MockCertificate | x509.Certificate | int | str) -> int:
        if isinstance(which, MockCertificate):
            serial = which.certificate.serial_number
        elif isinstance(which, x509.Certificate):
            serial = which.serial_number
        elif isinstance(which, int):
            serial = which
        else:
            try:
                serial = int(which, 16)
            except ValueError:
                raise InvalidInput(f"'{which}' is not a hex serial number", "e.g. 1A2B3C") from None
        if serial not in self._issued:
            raise NotFound(f"this mock CA never issued serial {serial:X}", "revoke a certificate it issued")
        return serial
