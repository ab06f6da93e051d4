"""The mock DIAN's own signing certificate: NIT 800197268 (DIAN's), issued by the home's CA and saying
plainly that it is a mock, like everything minica issues. It signs the ApplicationResponse of every
document the local DIAN answers.

Created on first use (it needs the issuing CA's key, so the CA password when one is set) and renewed
when it is not valid at the server's time: the key in ``<home>/dian/signer.key`` (0600, unencrypted:
the service signs unattended), the certificate beside it and as a row of ``certificates`` (so it is
listed, checkable and revocable like any other), written in one home transaction.
"""

from __future__ import annotations

import datetime as _dt
import threading
from dataclasses import dataclass
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from minica.ca.hierarchy import Authority, load_authority
from minica.ca.issuance import IssueRequest, build_certificate
from minica.dian.pin_seal import dian_dir
from minica.identity import Nit
from minica.storage import audit
from minica.storage.files import atomic_write
from minica.storage.home import Home
from minica.storage.recovery import home_transaction

DIAN_NIT = Nit("800197268")
DIAN_NAME = "DIAN MOCK - U.A.E. DIRECCION DE IMPUESTOS Y ADUANAS NACIONALES"
_MARGIN = _dt.timedelta(days=1)
_lock = threading.Lock()
_cache: dict[Path, tuple[float, DianSigner]] = {}


@dataclass(frozen=True)
class DianSigner:
    """The key and certificate that sign the local DIAN's answers, with the CA chain above it."""

    key: rsa.RSAPrivateKey
    certificate: x509.Certificate
    chain: tuple[x509.Certificate, ...]


def _paths(home: Home) -> tuple[Path, Path]:
    return dian_dir(home) / "signer.key", dian_dir(home) / "signer.crt"


def _usable(signer: DianSigner, authority: Authority, now: _dt.datetime) -> bool:
    cert = signer.certificate
    return (cert.issuer == authority.issuing.subject and signer.key.public_key() == cert.public_key()
            and cert.not_valid_before_utc <= now and now + _MARGIN < cert.not_valid_after_utc)


def _read(home: Home, authority: Authority) -> DianSigner | None:
    key_path, cert_path = _paths(home)
    try:
        key = serialization.load_pem_private_key(key_path.read_bytes(), None)
        cert = x509.load_pem_x509_certificate(cert_path.read_bytes())
    except (OSError, ValueError):
        return None
    if not isinstance(key, rsa.RSAPrivateKey):
        return None
    return DianSigner(key, cert, authority.chain)


def dian_signer(home: Home, *, now: _dt.datetime, ca_password: bytes | None,
                authority: Authority | None = None) -> DianSigner:
    """The mock DIAN's signer of ``home``, creating or renewing it when it is not usable at ``now``.

    Raises :class:`~minica.errors.CaMissing` without a CA, and the CA key's errors when one must be
    made without the right CA password.
    """
    authority = authority or load_authority(home)
    key_path = _paths(home)[0]
    with _lock:
        try:
            stamp = key_path.stat().st_mtime
        except FileNotFoundError:
            stamp = -1.0
        cached = _cache.get(home.root)
        if cached is not None and cached[0] == stamp and _usable(cached[1], authority, now):
            return cached[1]
        signer = _read(home, authority)
        if signer is None or not _usable(signer, authority, now):
            signer = _create(home, authority, now, ca_password)
        _cache[home.root] = (key_path.stat().st_mtime, signer)
        return signer


def _create(home: Home, authority: Authority, now: _dt.datetime, ca_password: bytes | None) -> DianSigner:
    issuing_key = authority.issuing_key(ca_password)
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    cert = build_certificate(authority.issuing, issuing_key, key.public_key(),
                             IssueRequest(DIAN_NIT, DIAN_NAME[:64], profile="gse"),
                             urls=authority.urls, now=now, serial=x509.random_serial_number())
    key_path, cert_path = _paths(home)
    with home_transaction(home) as write:
        current = _read(home, authority)
        if current is not None and _usable(current, authority, now):
            return current  # another process made one meanwhile
        atomic_write(key_path, key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                                 serialization.NoEncryption()), mode=0o600)
        atomic_write(cert_path, cert.public_bytes(serialization.Encoding.PEM), mode=0o644)
        serial = format(cert.serial_number, "X")
        write.conn.execute(
            "INSERT INTO certificates (serial, issuer_id, nit, dv, name, person, profile, subject, email,"
            " not_before, not_after, fingerprint, p12_profile, key_usage_ok, cert_pem, issued_at)"
            " VALUES (?, ?, ?, ?, ?, 'juridica', 'gse', ?, NULL, ?, ?, ?, 'none', 1, ?, ?)",
            (serial, authority.issuing_id, DIAN_NIT.number, DIAN_NIT.dv, DIAN_NAME[:64],
             cert.subject.rfc4514_string(), cert.not_valid_before_utc.isoformat(),
             cert.not_valid_after_utc.isoformat(), cert.fingerprint(hashes.SHA256()).hex(),
             cert.public_bytes(serialization.Encoding.PEM).decode(), now.isoformat()),
        )
        audit.record(write.conn, now, "dian-signer", serial, {"nit": DIAN_NIT.with_dv})
    return DianSigner(key, cert, authority.chain)
