"""A company's digital certificates in DIAN's free solution: the table, and "Adicionar certificado".

The table lists the certificates this home's CA issued to the company's NIT (the CA loads them in
both environments on approval) and the ones the company uploaded as a PKCS#12. An upload is
accepted only when it would sign: it opens with its password, chains to this home's CA, is valid
now, allows digitalSignature + nonRepudiation and names the company's NIT (in any CA's placement).
Only the certificate and its facts are kept, never the key or the password.
"""

from __future__ import annotations

import datetime as _dt
import json
from dataclasses import dataclass
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization

from minica.ca import registry
from minica.ca.check import home_revocations, home_trust
from minica.ca.profiles import nits_in_name
from minica.errors import CertificateNotUsable, InvalidInput, RefusedOperation
from minica.identity import Nit
from minica.signing.service import certificate_refusal
from minica.storage.files import atomic_write
from minica.storage.home import Home
from minica.storage.keystore import load_keystore

#: Longest description kept for an uploaded certificate.
MAX_DESCRIPTION = 120
#: Largest keystore accepted (real ones are a few kilobytes).
MAX_KEYSTORE_BYTES = 64 * 1024


@dataclass(frozen=True)
class CompanyCertificate:
    """One row of the table: owner NIT, description, when it was loaded, when it expires."""

    nit: str
    description: str
    uploaded_at: _dt.datetime
    not_after: _dt.datetime
    serial: str
    fingerprint: str
    origin: str  # "cargado" (uploaded by the company) or "emitido" (issued by this home's CA)


@dataclass(frozen=True)
class Page:
    """One page of a listing: its rows, its number (from 1), how many pages and rows in all."""

    rows: tuple[CompanyCertificate, ...]
    number: int
    pages: int
    total: int


def _dir(home: Home, nit: Nit) -> Path:
    return home.root / "dian" / "solucion-gratuita" / "certificados" / nit.number


def add_keystore(home: Home, now: _dt.datetime, owner: str, data: bytes, password: bytes,
                 description: str) -> CompanyCertificate:
    """Check an uploaded PKCS#12 and list its certificate for ``owner`` (a NIT).

    Raises :class:`~minica.errors.WrongPassword`/:class:`~minica.errors.UnreadableKeystore` for a
    keystore that does not open, :class:`CertificateNotUsable` for one that may not sign (chain,
    validity, revocation, key usage, another NIT) and :class:`RefusedOperation` for one already listed.
    """
    nit = Nit.parse(owner)
    text = description.strip()
    if len(text) > MAX_DESCRIPTION or not text.isprintable():
        raise InvalidInput(f"the description must be printable text of at most {MAX_DESCRIPTION} characters",
                           "shorten it")  # fmt: skip
    if len(data) > MAX_KEYSTORE_BYTES:
        raise InvalidInput(f"the keystore has {len(data):,} bytes, more than {MAX_KEYSTORE_BYTES:,}",
                           "upload the .p12 of one certificate")  # fmt: skip
    store = load_keystore(data, password, source="the uploaded keystore")
    certificate = store.certificate
    anchors, intermediates = home_trust(home)
    refusal = certificate_refusal(certificate, at=now, anchors=anchors,
                                  intermediates=intermediates + list(store.chain),
                                  revocation=home_revocations(home))  # fmt: skip
    if refusal is not None:
        raise refusal
    owners = {Nit.parse(found).number for found in nits_in_name(certificate.subject) if _is_nit(found)}
    if nit.number not in owners:
        named = ", ".join(sorted(owners)) or "no NIT"
        raise CertificateNotUsable(f"the certificate names {named}, not the company's NIT {nit.with_dv}",
                                   "upload a certificate issued to this company")  # fmt: skip
    fingerprint = certificate.fingerprint(hashes.SHA256()).hex()
    row = CompanyCertificate(nit.with_dv, text or _common_name(certificate), now, certificate.not_valid_after_utc,
                             format(certificate.serial_number, "X"), fingerprint, "cargado")  # fmt: skip
    record = {"nit": row.nit, "description": row.description, "uploaded_at": now.isoformat(),
              "not_after": row.not_after.isoformat(), "serial": row.serial, "fingerprint": fingerprint,
              "certificate_pem": certificate.public_bytes(serialization.Encoding.PEM).decode("ascii")}  # fmt: skip
    try:
        atomic_write(_dir(home, nit) / f"{fingerprint}.json", json.dumps(record).encode(), exclusive=True)
    except FileExistsError:
        raise RefusedOperation(f"the certificate with serial {row.serial} is already listed",
                               "nothing to do") from None  # fmt: skip
    return row


def _is_nit(text: str) -> bool:
    try:
        Nit.parse(text)
    except InvalidInput:
        return False
    return True


def _common_name(certificate: x509.Certificate) -> str:
    names = certificate.subject.get_attributes_for_oid(x509.NameOID.COMMON_NAME)
    return str(names[0].value) if names else certificate.subject.rfc4514_string()


def company_certificates(home: Home, owner: str) -> list[CompanyCertificate]:
    """Every certificate of ``owner``: issued by this home's CA, then uploaded, newest first."""
    nit = Nit.parse(owner)
    rows = [
        CompanyCertificate(record.nit_with_dv, f"{record.name} — emitido por MINICA ({record.profile})",
                           record.issued_at, record.not_after, record.serial, record.fingerprint, "emitido")
        for record in (registry.certificates_for_nit(home, nit) if home.db_path.exists() else [])
    ]  # fmt: skip
    folder = _dir(home, nit)
    for path in sorted(folder.glob("*.json")) if folder.exists() else []:
        data = json.loads(path.read_text(encoding="utf-8"))
        rows.append(CompanyCertificate(data["nit"], data["description"],
                                       _dt.datetime.fromisoformat(data["uploaded_at"]),
                                       _dt.datetime.fromisoformat(data["not_after"]), data["serial"],
                                       data["fingerprint"], "cargado"))  # fmt: skip
    return sorted(rows, key=lambda r: (r.uploaded_at, r.serial), reverse=True)


def search_page(rows: list[CompanyCertificate], text: str, number: int, size: int = 10) -> Page:
    """The rows whose description, serial or NIT contain ``text`` (any case), page ``number``."""
    wanted = text.strip().lower()
    found = [r for r in rows if not wanted or wanted in f"{r.description} {r.serial} {r.nit}".lower()]
    pages = max(1, -(-len(found) // size))
    number = min(max(1, number), pages)
    return Page(tuple(found[(number - 1) * size: number * size]), number, pages, len(found))
