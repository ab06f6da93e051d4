"""Issuing end-entity signing certificates into the environments' keystores.

One call does the whole job atomically: a new RSA key, a certificate in the chosen CA profile, one
PKCS#12 per environment (0600) and the database rows (certificate, store paths, audit), in one
journaled transaction (:mod:`minica.storage.recovery`): if any step fails, or the process is killed,
the home is as it was before.
"""

from __future__ import annotations

import datetime as _dt
import re
import sqlite3
from dataclasses import dataclass, field
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from minica.ca import profiles
from minica.ca.hierarchy import (
    Authority,
    CaUrls,
    authority_information_access,
    crl_distribution_points,
    load_authority,
)
from minica.clock import Clock, require_aware
from minica.environment import Environment
from minica.errors import InvalidInput
from minica.identity import Nit, PersonType
from minica.storage import audit
from minica.storage.home import Home
from minica.storage.keystore import P12Profile, serialize_keystore, write_keystore
from minica.storage.recovery import HomeWrite, home_transaction

BACKDATE = _dt.timedelta(minutes=1)


def _usage(*, sign: bool) -> x509.KeyUsage:
    return x509.KeyUsage(
        digital_signature=sign, content_commitment=sign, key_encipherment=not sign,
        data_encipherment=False, key_agreement=False, key_cert_sign=False, crl_sign=False,
        encipher_only=False, decipher_only=False,
    )


KEY_USAGES = {"signing": _usage(sign=True), "encipherment": _usage(sign=False)}
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[A-Za-z]{2,}$")


@dataclass(frozen=True)
class IssueRequest:
    """Everything needed to issue a signing certificate. Validates on construction."""

    nit: Nit
    name: str
    person: PersonType = PersonType.JURIDICA
    profile: str = "gse"
    email: str | None = None
    legal_representative: str | None = None
    legal_representative_document: str | None = None
    department: str | None = None
    city: str | None = None
    environments: tuple[Environment, ...] = (Environment.HABILITACION, Environment.PRODUCCION)
    days: int | None = None
    not_before: _dt.datetime | None = None
    not_after: _dt.datetime | None = None
    p12_profile: P12Profile = P12Profile.COMPAT
    key_size: int = 2048
    #: ``signing`` (digitalSignature + nonRepudiation, as DIAN requires) or, to test refusals,
    #: ``encipherment`` (keyEncipherment only: a certificate that must not sign).
    key_usage: str = "signing"
    extra: dict[str, str] = field(default_factory=dict, compare=False)

    def __post_init__(self) -> None:
        if not isinstance(self.nit, Nit):
            raise TypeError("IssueRequest.nit must be a Nit (use Nit.parse)")
        if not self.name or not self.name.strip():
            raise InvalidInput("the razón social (--name) is empty", "give the company or person name")
        if not self.name.isprintable():
            raise InvalidInput("the name holds control characters", "give the razón social as plain text")
        if len(self.name) > 64:
            raise InvalidInput(
                f"the name has {len(self.name)} characters; X.509 allows 64", "shorten it"
            )
        profiles.profile(self.profile)  # validates
        if self.email is not None and not _EMAIL.match(self.email):
            raise InvalidInput(f"'{self.email}' is not an e-mail address", "e.g. facturacion@empresa.com.co")
        if not self.environments:
            raise InvalidInput("no environment chosen", "use habilitacion, produccion or both")
        if self.days is not None and (self.days < 1 or self.days > 3650):
            raise InvalidInput(f"--days {self.days} is out of range", "use 1 to 3650 days")
        for moment in (self.not_before, self.not_after):
            if moment is not None:
                require_aware(moment, "certificate validity")
        if self.not_before and self.not_after and self.not_after <= self.not_before:
            raise InvalidInput("--not-after is not after --not-before", "swap or correct the dates")
        if self.days is not None and self.not_after is not None:
            raise InvalidInput("both --days and --not-after given", "use one of them")
        if self.key_usage not in KEY_USAGES:
            raise InvalidInput(f"unknown key usage '{self.key_usage}'", "use signing or encipherment")
        if self.key_size not in (2048, 3072, 4096):
            raise InvalidInput(f"RSA key size {self.key_size} is not offered", "use 2048, 3072 or 4096")

    def validity(self, now: _dt.datetime) -> tuple[_dt.datetime, _dt.datetime]:
        """notBefore/notAfter: one year from issuance (backdated a minute) unless asked otherwise."""
        start = self.not_before or (now - BACKDATE)
        if self.not_after is not None:
            return start, self.not_after
        if self.days is not None:
            return start, start + _dt.timedelta(days=self.days)
        anchor = self.not_before or now
        try:
            end = anchor.replace(year=anchor.year + 1)
        except ValueError:  # 29 February
            end = anchor.replace(year=anchor.year + 1, day=28)
        return start, end


@dataclass(frozen=True)
class IssuedCertificate:
    serial: int
    certificate: x509.Certificate
    store_paths: dict[Environment, Path]

    @property
    def serial_hex(self) -> str:
        return format(self.serial, "X")


def build_certificate(
    issuer: x509.Certificate,
    issuing_key: rsa.RSAPrivateKey,
    public_key: rsa.RSAPublicKey,
    request: IssueRequest,
    *,
    urls: CaUrls,
    now: _dt.datetime,
    serial: int,
) -> x509.Certificate:
    """The end-entity certificate for ``request``, signed by the issuing CA ``issuer`` (pure)."""
    layout = profiles.profile(request.profile)
    subject = layout.build_subject(
        profiles.SubjectData(
            nit=request.nit, name=request.name.strip(), person=request.person, email=request.email,
            department=request.department, city=request.city,
        )
    )
    not_before, not_after = request.validity(now)
    builder = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(issuer.subject)
        .public_key(public_key)
        .serial_number(serial)
        .not_valid_before(not_before)
        .not_valid_after(not_after)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(KEY_USAGES[request.key_usage], critical=True)
        .add_extension(
            x509.ExtendedKeyUsage([ExtendedKeyUsageOID.CLIENT_AUTH, ExtendedKeyUsageOID.EMAIL_PROTECTION]),
            critical=False,
        )
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(public_key), critical=False)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(issuer.public_key()),  # type: ignore[arg-type]
            critical=False,
        )
        .add_extension(crl_distribution_points(urls.issuing_crl), critical=False)
        .add_extension(authority_information_access(urls.ocsp, urls.issuing_cert), critical=False)
        .add_extension(
            x509.CertificatePolicies(
                [x509.PolicyInformation(layout.policy, [x509.UserNotice(None, layout.notice)])]
            ),
            critical=False,
        )
    )
    alt_names = _alt_names(request)
    if alt_names:
        builder = builder.add_extension(x509.SubjectAlternativeName(alt_names), critical=False)
    return builder.sign(issuing_key, hashes.SHA256())


def _alt_names(request: IssueRequest) -> list[x509.GeneralName]:
    """E-mail, and the legal representative as a directoryName (no real profile shows where)."""
    names: list[x509.GeneralName] = []
    if request.email:
        names.append(x509.RFC822Name(request.email))
    if request.legal_representative:
        attributes = [
            x509.NameAttribute(NameOID.TITLE, "REPRESENTANTE LEGAL"),
            x509.NameAttribute(NameOID.COMMON_NAME, request.legal_representative.strip()[:64]),
        ]
        if request.legal_representative_document:
            attributes.append(
                x509.NameAttribute(NameOID.SERIAL_NUMBER, request.legal_representative_document.strip()[:64])
            )
        names.append(x509.DirectoryName(x509.Name(attributes)))
    return names


def friendly_name(request: IssueRequest) -> str:
    """The PKCS#12 friendly name: whose certificate, from which (mock) authority."""
    return f"{request.name.strip()} ({request.nit.with_dv}) {profiles.profile(request.profile).authority} MOCK"


def store_file_name(nit: Nit, serial: int) -> str:
    """``900373987-9_<SERIAL HEX>.p12``: whose it is and which certificate, at a glance."""
    return f"{nit.with_dv}_{serial:X}.p12"


def issue_certificate(
    home: Home,
    request: IssueRequest,
    *,
    store_password: bytes,
    clock: Clock,
    ca_password: bytes | None = None,
    action: str = "issue",
    into: HomeWrite | None = None,
) -> IssuedCertificate:
    """Issue a certificate for ``request`` into its environments' stores; all or nothing.

    With ``into``, the certificate is recorded in that open transaction (so a caller's own rows
    commit together with it, or not at all); otherwise in a transaction of its own.
    """
    authority = load_authority(home)
    issuing_key = authority.issuing_key(ca_password)
    now = clock.now()
    key = rsa.generate_private_key(public_exponent=65537, key_size=request.key_size)
    for _attempt in range(3):  # a 159-bit serial collides with probability ~0; retry anyway
        serial = x509.random_serial_number()
        certificate = build_certificate(authority.issuing, issuing_key, key.public_key(), request,
                                        urls=authority.urls, now=now, serial=serial)  # fmt: skip
        p12 = serialize_keystore(
            key=key, certificate=certificate, chain=authority.chain, password=store_password,
            friendly_name=friendly_name(request), profile=request.p12_profile,
        )
        try:
            if into is not None:
                paths = _record(into, authority, request, certificate, p12, now, action)
            else:
                with home_transaction(home) as write:
                    paths = _record(write, authority, request, certificate, p12, now, action)
        except sqlite3.IntegrityError:
            continue
        return IssuedCertificate(serial, certificate, paths)
    raise RuntimeError("could not allocate a unique serial number")  # pragma: no cover


def _record(
    write: HomeWrite,
    authority: Authority,
    request: IssueRequest,
    certificate: x509.Certificate,
    p12: bytes,
    now: _dt.datetime,
    action: str,
) -> dict[Environment, Path]:
    """The certificate's rows and keystores, in ``write``'s transaction. The rows come first: a
    serial that is taken fails before any file is written."""
    home, conn = write.home, write.conn
    serial_hex = format(certificate.serial_number, "X")
    paths: dict[Environment, Path] = {}
    conn.execute(
        "INSERT INTO certificates (serial, issuer_id, nit, dv, name, person, profile, subject, email,"
        " not_before, not_after, fingerprint, p12_profile, key_usage_ok, cert_pem, issued_at)"
        " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (
            serial_hex, authority.issuing_id, request.nit.number, request.nit.dv, request.name.strip(),
            request.person.value, request.profile, certificate.subject.rfc4514_string(), request.email,
            certificate.not_valid_before_utc.isoformat(), certificate.not_valid_after_utc.isoformat(),
            certificate.fingerprint(hashes.SHA256()).hex(), request.p12_profile.value,
            int(request.key_usage == "signing"), certificate.public_bytes(serialization.Encoding.PEM).decode(),
            now.isoformat(),
        ),
    )
    for env in request.environments:
        path = home.stores_dir(env) / store_file_name(request.nit, certificate.serial_number)
        write_keystore(path, p12)
        write.written.append(path)
        paths[env] = path
        conn.execute(  # relative to the home, so that a home can be moved or named relatively
            "INSERT INTO certificate_stores (serial, environment, path) VALUES (?, ?, ?)",
            (serial_hex, env.value, home.relative(path)),
        )
    audit.record(conn, now, action, serial_hex, {
        "nit": request.nit.with_dv, "name": request.name, "profile": request.profile,
        "environments": [e.value for e in request.environments],
        "not_before": certificate.not_valid_before_utc.isoformat(),
        "not_after": certificate.not_valid_after_utc.isoformat(),
        "p12_profile": request.p12_profile.value, "key_usage": request.key_usage,
    })
    return paths
