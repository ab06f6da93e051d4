"""The CA hierarchy of a home: a root CA and an issuing (subordinate) CA.

Names say plainly that this is a mock. The CA keys are PKCS#8 PEM files, encrypted with the CA
password when one is given at ``init`` (else 0600 and ``init`` says so).
"""

from __future__ import annotations

import datetime as _dt
import os
import sqlite3
from pathlib import Path
from typing import NamedTuple

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import AuthorityInformationAccessOID, NameOID

from minica.ca import oids
from minica.errors import CaExists, CaMissing, InvalidInput, RefusedOperation, WrongPassword
from minica.storage.database import Database
from minica.storage.files import atomic_write, private_dir
from minica.storage.home import Home

# Creating a CA (json, shutil, the audit log, journaled writes) is imported where it happens:
# signing, which loads the CA's certificates in every process, needs none of it.

DEFAULT_BASE_URL = "http://127.0.0.1:8765"
ROOT_YEARS = 20
ISSUING_YEARS = 10
_BACKDATE = _dt.timedelta(minutes=1)


def ca_name(common_name: str) -> x509.Name:
    return x509.Name(
        [
            x509.NameAttribute(NameOID.COUNTRY_NAME, "CO"),
            x509.NameAttribute(NameOID.LOCALITY_NAME, "Bogota D.C."),
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, "MINICA MOCK CA"),
            x509.NameAttribute(NameOID.ORGANIZATIONAL_UNIT_NAME, "NO VALIDO PARA PRODUCCION"),
            x509.NameAttribute(NameOID.COMMON_NAME, common_name),
        ]
    )


# Records here and in the signing path are named tuples: a frozen dataclass costs more to define
# at import (its generated methods are compiled) than minica sign's own work on a small invoice.


class CaUrls(NamedTuple):
    """Where ``minica serve`` publishes CA certificates, CRLs and OCSP, from one base URL."""

    base: str

    @classmethod
    def parse(cls, base_url: str) -> CaUrls:
        """The URLs under ``base_url`` (http or https), as written into the certificates."""
        if not base_url.startswith(("http://", "https://")):
            raise InvalidInput(f"base URL '{base_url}' is not http(s)", "e.g. http://127.0.0.1:8765")
        return cls(base_url.rstrip("/"))

    @property
    def ocsp(self) -> str:
        return f"{self.base}/ocsp"

    @property
    def issuing_crl(self) -> str:
        return f"{self.base}/crl/issuing.crl"

    @property
    def root_crl(self) -> str:
        return f"{self.base}/crl/root.crl"

    @property
    def issuing_cert(self) -> str:
        return f"{self.base}/ca/issuing.crt"

    @property
    def root_cert(self) -> str:
        return f"{self.base}/ca/root.crt"


class Authority(NamedTuple):
    """A loaded CA: certificates always; the issuing key only when asked for (it may be encrypted)."""

    home: Home
    root: x509.Certificate
    issuing: x509.Certificate
    urls: CaUrls
    key_encrypted: bool
    issuing_id: int

    @property
    def chain(self) -> tuple[x509.Certificate, x509.Certificate]:
        """The CA chain to put beside an end-entity certificate: issuing, then root."""
        return (self.issuing, self.root)

    def issuing_key(self, ca_password: bytes | None) -> rsa.RSAPrivateKey:
        return _load_key(self.home.issuing_key_path, ca_password, self.key_encrypted)

    def root_key(self, ca_password: bytes | None) -> rsa.RSAPrivateKey:
        return _load_key(self.home.root_key_path, ca_password, self.key_encrypted)


def _load_key(path: Path, password: bytes | None, encrypted: bool) -> rsa.RSAPrivateKey:
    data = path.read_bytes()
    if encrypted and not password:
        raise RefusedOperation(
            "the CA key is encrypted and no CA password was given",
            "set $MINICA_CA_PASSWORD or pass --ca-password-file",
        )
    try:
        key = serialization.load_pem_private_key(data, password if encrypted else None)
    except (ValueError, TypeError):
        raise WrongPassword(
            "the CA password does not open the CA key", "check $MINICA_CA_PASSWORD / --ca-password-file"
        ) from None
    if not isinstance(key, rsa.RSAPrivateKey):  # pragma: no cover - we only write RSA keys
        raise RefusedOperation("the CA key is not RSA", "re-create the CA with minica init")
    return key


def _key_pem(key: rsa.RSAPrivateKey, password: bytes | None) -> bytes:
    encryption: serialization.KeySerializationEncryption = (
        serialization.BestAvailableEncryption(password) if password else serialization.NoEncryption()
    )
    return key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, encryption)


def _add_years(moment: _dt.datetime, years: int) -> _dt.datetime:
    try:
        return moment.replace(year=moment.year + years)
    except ValueError:  # 29 February
        return moment.replace(year=moment.year + years, day=28)


class CaKeys(NamedTuple):
    """A freshly built hierarchy: the root and issuing certificates with their keys."""

    root: x509.Certificate
    root_key: rsa.RSAPrivateKey
    issuing: x509.Certificate
    issuing_key: rsa.RSAPrivateKey


def build_hierarchy(*, now: _dt.datetime, urls: CaUrls, key_size: int = 3072) -> CaKeys:
    """A root CA and an issuing CA under it (pure: nothing is written; see :func:`create_authority`)."""
    start = now - _BACKDATE
    root_key = rsa.generate_private_key(public_exponent=65537, key_size=key_size)
    root_name = ca_name("MINICA MOCK ROOT CA")
    root_ski = x509.SubjectKeyIdentifier.from_public_key(root_key.public_key())
    root = (
        x509.CertificateBuilder()
        .subject_name(root_name)
        .issuer_name(root_name)
        .public_key(root_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(start)
        .not_valid_after(_add_years(start, ROOT_YEARS))
        .add_extension(x509.BasicConstraints(ca=True, path_length=1), critical=True)
        .add_extension(_ca_key_usage(), critical=True)
        .add_extension(root_ski, critical=False)
        .add_extension(x509.AuthorityKeyIdentifier.from_issuer_subject_key_identifier(root_ski), critical=False)
        .sign(root_key, hashes.SHA256())
    )

    issuing_key = rsa.generate_private_key(public_exponent=65537, key_size=key_size)
    issuing = (
        x509.CertificateBuilder()
        .subject_name(ca_name("MINICA MOCK SUBORDINADA 01"))
        .issuer_name(root_name)
        .public_key(issuing_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(start)
        .not_valid_after(_add_years(start, ISSUING_YEARS))
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(_ca_key_usage(), critical=True)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(issuing_key.public_key()), critical=False)
        .add_extension(x509.AuthorityKeyIdentifier.from_issuer_subject_key_identifier(root_ski), critical=False)
        .add_extension(crl_distribution_points(urls.root_crl), critical=False)
        .add_extension(authority_information_access(urls.ocsp, urls.root_cert), critical=False)
        .add_extension(
            x509.CertificatePolicies([x509.PolicyInformation(oids.POLICY_CA, None)]),
            critical=False,
        )
        .sign(root_key, hashes.SHA256())
    )
    return CaKeys(root, root_key, issuing, issuing_key)


def create_authority(
    home: Home,
    *,
    now: _dt.datetime,
    ca_password: bytes | None = None,
    base_url: str = DEFAULT_BASE_URL,
    key_size: int = 3072,
) -> Authority:
    """Create the root and issuing CA in ``home``; refuses to overwrite an existing CA.

    The CA's files are staged in ``ca.partial/`` and moved to ``ca/`` once its rows committed, so
    a killed ``init`` leaves either no CA or a whole one (see :mod:`minica.storage.recovery`).
    """
    import json
    import shutil

    from minica.storage import audit
    from minica.storage.recovery import STAGED_CA, home_transaction

    if home.has_ca():
        raise _ca_exists(home)
    urls = CaUrls.parse(base_url)
    keys = build_hierarchy(now=now, urls=urls, key_size=key_size)
    root_key, root, issuing_key, issuing = keys.root_key, keys.root, keys.issuing_key, keys.issuing

    private_dir(home.root)
    config = {"base_url": urls.base, "key_encrypted": bool(ca_password)}
    with home_transaction(home) as write:
        if home.has_ca() or home.root_key_path.exists() or home.issuing_key_path.exists():
            raise _ca_exists(home)
        staged = home.root / STAGED_CA
        shutil.rmtree(staged, ignore_errors=True)  # only ever a dead init's, and we hold the lock
        write.written.append(private_dir(staged))
        for path, data, mode in (
            (home.root_key_path, _key_pem(root_key, ca_password), 0o600),
            (home.issuing_key_path, _key_pem(issuing_key, ca_password), 0o600),
            (home.root_cert_path, root.public_bytes(serialization.Encoding.PEM), 0o644),
            (home.issuing_cert_path, issuing.public_bytes(serialization.Encoding.PEM), 0o644),
            (home.config_path, json.dumps(config, indent=2).encode(), 0o600),
        ):
            atomic_write(staged / path.relative_to(home.ca_dir), data, mode=mode, exclusive=True)
        conn = write.conn
        _insert_authority(conn, "root", root, home.relative(home.root_cert_path), bool(ca_password), now)
        issuing_id = _insert_authority(
            conn, "issuing", issuing, home.relative(home.issuing_cert_path), bool(ca_password), now
        )
        audit.record(conn, now, "init", "ca", {
            "root": root.subject.rfc4514_string(),
            "issuing": issuing.subject.rfc4514_string(),
            "key_encrypted": bool(ca_password),
            "base_url": urls.base,
        })
        write.after_commit.append(lambda: _move_into_place(staged, home.ca_dir))
    return Authority(home, root, issuing, urls, bool(ca_password), issuing_id)


def _ca_exists(home: Home) -> CaExists:
    return CaExists(f"{home.root} already holds a CA", "use another --home, or remove that folder on purpose")


def _move_into_place(staged: Path, target: Path) -> None:
    """Rename the committed staged CA to ``ca/`` (an empty ``ca/`` is replaced). If another
    process already did it while reconciling, there is nothing left to do."""
    try:
        os.replace(staged, target)
    except FileNotFoundError:
        if not target.exists():
            raise


def _ca_key_usage() -> x509.KeyUsage:
    return x509.KeyUsage(
        digital_signature=True, content_commitment=False, key_encipherment=False,
        data_encipherment=False, key_agreement=False, key_cert_sign=True, crl_sign=True,
        encipher_only=False, decipher_only=False,
    )


def crl_distribution_points(url: str) -> x509.CRLDistributionPoints:
    return x509.CRLDistributionPoints(
        [x509.DistributionPoint([x509.UniformResourceIdentifier(url)], None, None, None)]
    )


def authority_information_access(ocsp_url: str, ca_issuers_url: str) -> x509.AuthorityInformationAccess:
    return x509.AuthorityInformationAccess(
        [
            x509.AccessDescription(AuthorityInformationAccessOID.OCSP, x509.UniformResourceIdentifier(ocsp_url)),
            x509.AccessDescription(
                AuthorityInformationAccessOID.CA_ISSUERS, x509.UniformResourceIdentifier(ca_issuers_url)
            ),
        ]
    )


def _insert_authority(
    conn: sqlite3.Connection, role: str, cert: x509.Certificate, path: str, encrypted: bool,
    now: _dt.datetime,
) -> int:
    cur = conn.execute(
        "INSERT INTO authorities (role, subject, serial, not_before, not_after, fingerprint, cert_path,"
        " key_encrypted, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (
            role, cert.subject.rfc4514_string(), format(cert.serial_number, "X"),
            cert.not_valid_before_utc.isoformat(), cert.not_valid_after_utc.isoformat(),
            cert.fingerprint(hashes.SHA256()).hex(), path, int(encrypted), now.isoformat(),
        ),
    )
    return int(cur.lastrowid or 0)


def configured_base_url(home: Home) -> str:
    """The base URL ``minica serve`` publishes this home's CA under (``init --base-url``), or the
    default when the home has no CA yet. Reads only the CA's settings, never a key."""
    import json

    try:
        config = json.loads(home.config_path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return DEFAULT_BASE_URL
    base = config.get("base_url") if isinstance(config, dict) else None
    return base.rstrip("/") if isinstance(base, str) and base.startswith(("http://", "https://")) else DEFAULT_BASE_URL


def require_ca(home: Home) -> None:
    """Raise :class:`CaMissing` unless ``home`` holds a CA. Creates nothing (no folder, no
    database), so read-only commands on a home without a CA leave it as it was."""
    if not home.has_ca():
        from minica.storage.recovery import recover

        recover(home)  # an init killed between its commit and moving the CA into place
    if not home.has_ca():
        raise CaMissing(f"no CA here ({home.root})", "run `minica init` (or `minica quickstart`) first")


def load_authority(home: Home, db: Database | None = None) -> Authority:
    """The CA of ``home`` (certificates and settings), or :class:`CaMissing`; ``db``, if given, is
    the open database to ask."""
    import json

    root, issuing, issuing_id = _ca_certificates(home, db)
    config = json.loads(home.config_path.read_text()) if home.config_path.exists() else {}
    return Authority(
        home, root, issuing, CaUrls(config.get("base_url", DEFAULT_BASE_URL)),
        bool(config.get("key_encrypted", False)), issuing_id,
    )


def ca_certificates(home: Home, db: Database | None = None) -> tuple[x509.Certificate, x509.Certificate]:
    """(root, issuing) of the CA of ``home``, checked as :func:`load_authority` checks them, without
    its settings (what a signer needs); ``db``, if given, is the open database to ask."""
    root, issuing, _id = _ca_certificates(home, db)
    return root, issuing


def _ca_certificates(home: Home, db: Database | None) -> tuple[x509.Certificate, x509.Certificate, int]:
    require_ca(home)
    root = x509.load_pem_x509_certificate(home.root_cert_path.read_bytes())
    issuing = x509.load_pem_x509_certificate(home.issuing_cert_path.read_bytes())
    query = "SELECT id FROM authorities WHERE fingerprint = ?", (issuing.fingerprint(hashes.SHA256()).hex(),)
    if db is None:
        with Database.open(home) as opened:
            row = opened.connection.execute(*query).fetchone()
    else:
        row = db.connection.execute(*query).fetchone()
    if row is None:
        raise CaMissing(
            f"the CA database in {home.root} does not know its issuing CA",
            "the home is damaged; create a new one with 'minica init'",
        )
    return root, issuing, int(row["id"])
