"""``minica check``: validity and expiry of stored certificates and of files from anywhere.

Targets: nothing (every certificate in the home's stores, read from the database), a PKCS#12
(.p12/.pfx, any encryption, real CAs' included), a PEM/DER certificate or chain, or a signed XML
document (the certificate in its KeyInfo). Trust: the home's CA when there is one, plus ``--trust``.
"""

from __future__ import annotations

import base64
import datetime as _dt
from collections.abc import Callable, Sequence
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes

from minica.ca.hierarchy import load_authority
from minica.ca.revocation import Revocation, RevocationLookup
from minica.ca.status import CertificateReport, Status, assess
from minica.errors import InvalidInput, MinicaError
from minica.storage.database import Database
from minica.storage.files import read_input
from minica.storage.home import Home
from minica.storage.keystore import load_keystore

#: Asks for the password of a keystore file (from a file, the environment or a prompt).
PasswordSource = Callable[[Path], "bytes | None"]

_P12_SUFFIXES = {".p12", ".pfx"}


def home_trust(home: Home) -> tuple[list[x509.Certificate], list[x509.Certificate]]:
    """(anchors, intermediates) of the home's CA, or empty lists when the home has none."""
    if not home.has_ca():
        return [], []
    authority = load_authority(home)
    return [authority.root], [authority.issuing]


def home_revocations(home: Home) -> RevocationLookup:
    """A revocation lookup against the CA database (by certificate fingerprint)."""
    if not home.db_path.exists():
        return lambda _cert: None
    revoked: dict[str, Revocation] = {}
    with Database.open(home) as db:
        for row in db.connection.execute(
            "SELECT fingerprint, revoked_at, revocation_reason FROM certificates WHERE status = 'revoked'"
        ):
            revoked[row["fingerprint"]] = Revocation(
                _dt.datetime.fromisoformat(row["revoked_at"]), row["revocation_reason"]
            )
    return lambda cert: revoked.get(cert.fingerprint(hashes.SHA256()).hex())


def check_stores(home: Home, *, now: _dt.datetime, warn_days: int) -> list[CertificateReport]:
    """Every certificate the home's CA issued (from the database; no keystore is opened)."""
    from minica.ca.registry import list_certificates

    anchors, intermediates = home_trust(home)
    if not anchors:
        load_authority(home)  # raises CaMissing with its hint
    revocations = home_revocations(home)
    reports = []
    for record in list_certificates(home):
        reports.append(
            assess(
                record.certificate, source=f"serial {record.serial}", now=now, warn_days=warn_days,
                anchors=anchors, intermediates=intermediates, revocation=revocations,
                environments=tuple(sorted(e.value for e in record.stores)),
            )
        )
    return reports


def certificates_in(path: Path, password: PasswordSource) -> tuple[x509.Certificate, list[x509.Certificate]]:
    """The certificate a target is about, and any chain certificates that came with it."""
    data = read_input(path)
    if path.suffix.lower() in _P12_SUFFIXES:
        store = load_keystore(data, password(path), source=str(path))
        return store.certificate, list(store.chain)
    stripped = data.lstrip(b"\xef\xbb\xbf \t\r\n")
    if stripped.startswith(b"-----BEGIN"):
        try:
            certs = x509.load_pem_x509_certificates(data)
        except ValueError:
            raise InvalidInput(f"{path} holds no readable PEM certificate", "give a certificate file") from None
        return certs[0], certs[1:]
    if stripped.startswith(b"<"):
        return _certificate_in_xml(data, path), []
    try:
        return x509.load_der_x509_certificate(data), []
    except ValueError:
        pass
    try:  # a PKCS#12 with an unusual extension
        store = load_keystore(data, password(path), source=str(path))
        return store.certificate, list(store.chain)
    except MinicaError:
        raise InvalidInput(
            f"{path} is not a certificate, keystore or signed XML", "give a .p12/.pfx, PEM, DER or signed XML"
        ) from None


def _certificate_in_xml(data: bytes, path: Path) -> x509.Certificate:
    from minica.signing.namespaces import DS
    from minica.signing.xmlsafe import parse_xml

    root = parse_xml(data).getroot()
    node = root.find(f".//{{{DS}}}KeyInfo//{{{DS}}}X509Certificate")
    if node is None or not (node.text or "").strip():
        raise InvalidInput(f"{path} has no ds:X509Certificate in a ds:KeyInfo", "is it signed?")
    try:
        return x509.load_der_x509_certificate(base64.b64decode("".join(node.text.split())))
    except ValueError:
        raise InvalidInput(f"the ds:X509Certificate in {path} is not a certificate", "the file is damaged") from None


def check_targets(
    home: Home,
    targets: Sequence[Path],
    *,
    now: _dt.datetime,
    warn_days: int,
    password: PasswordSource,
    extra_anchors: Sequence[x509.Certificate] = (),
) -> list[CertificateReport]:
    """One report per target; an unreadable target gets status ``unreadable`` (exit 3)."""
    anchors, intermediates = home_trust(home)
    anchors = anchors + list(extra_anchors)
    revocations = home_revocations(home)
    reports = []
    for path in targets:
        try:
            certificate, chain = certificates_in(path, password)
        except MinicaError as exc:
            reports.append(CertificateReport(source=str(path), status=Status.UNREADABLE, detail=str(exc)))
            continue
        reports.append(
            assess(
                certificate, source=str(path), now=now, warn_days=warn_days, anchors=anchors,
                intermediates=intermediates + chain, revocation=revocations,
            )
        )
    return reports
