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

from minica.ca.filters import CertificateFilter
from minica.ca.hierarchy import require_ca
from minica.ca.home_trust import home_revocations as home_revocations  # re-exported: callers import them here
from minica.ca.home_trust import home_trust as home_trust
from minica.ca.status import CertificateReport, Status, assess
from minica.errors import InvalidInput, MinicaError, UnreadableKeystore, WrongPassword
from minica.storage.files import read_input
from minica.storage.home import Home
from minica.storage.keystore import Keystore, is_pem, load_keystore, read_pem_certificates, subject_certificate

#: Asks for the password of a keystore file (from a file, the environment or a prompt).
PasswordSource = Callable[[Path], "bytes | None"]

_P12_SUFFIXES = {".p12", ".pfx"}


def check_stores(
    home: Home, *, now: _dt.datetime, warn_days: int, only: CertificateFilter | None = None
) -> list[CertificateReport]:
    """Every certificate the home's CA issued that ``only`` keeps (from the database; no keystore
    is opened). Raises :class:`~minica.errors.CaMissing`, creating nothing, without a CA."""
    from minica.ca.registry import list_certificates

    require_ca(home)
    chosen = only or CertificateFilter()
    anchors, intermediates = home_trust(home)
    revocations = home_revocations(home)
    reports = []
    for record in list_certificates(home):
        if not chosen.keeps_record(record):
            continue
        report = assess(
            record.certificate, source=f"serial {record.serial}", now=now, warn_days=warn_days,
            anchors=anchors, intermediates=intermediates, revocation=revocations,
            environments=tuple(sorted(e.value for e in record.stores)),
        )
        if chosen.keeps_report(report):
            reports.append(report)
    return reports


def certificates_in(path: Path, password: PasswordSource) -> tuple[x509.Certificate, list[x509.Certificate]]:
    """The certificate a target is about, and any chain certificates that came with it."""
    data = read_input(path)
    if path.suffix.lower() in _P12_SUFFIXES:
        store = _open_keystore(data, path, password)
        return store.certificate, list(store.chain)
    stripped = data.lstrip(b"\xef\xbb\xbf \t\r\n")
    if stripped.startswith(b"<"):
        return _certificate_in_xml(data, path), []
    if is_pem(data):  # wherever the block starts, as OpenSSL reads it
        return subject_certificate(read_pem_certificates(data, source=str(path)))
    try:
        return x509.load_der_x509_certificate(data), []
    except ValueError:
        pass
    try:  # a PKCS#12 with an unusual extension
        store = _open_keystore(data, path, password)
        return store.certificate, list(store.chain)
    except WrongPassword:
        raise
    except MinicaError:
        raise InvalidInput(
            f"{path} is not a certificate, keystore or signed XML", "give a .p12/.pfx, PEM, DER or signed XML"
        ) from None


def _open_keystore(data: bytes, path: Path, password: PasswordSource) -> Keystore:
    """A PKCS#12 target; without a password (none given, no terminal to ask at) it is opened
    only if it needs none, and otherwise refused saying that no password was given."""
    given = password(path)
    try:
        return load_keystore(data, given, source=str(path))
    except WrongPassword:
        if given is None:
            raise UnreadableKeystore(
                f"no password was given for {path}, which is encrypted",
                "use --password-file FILE, set $MINICA_STORE_PASSWORD, or run in a terminal to be asked",
            ) from None
        raise


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
    only: CertificateFilter | None = None,
) -> list[CertificateReport]:
    """One report per target that ``only`` keeps (by NIT and status); an unreadable target gets
    status ``unreadable`` (exit 3)."""
    chosen = only or CertificateFilter()
    if chosen.about_stores_only:
        raise InvalidInput("--env and --skip-scenarios choose among the home's certificates, not files",
                           "leave them out when checking files")
    anchors, intermediates = home_trust(home)
    anchors = anchors + list(extra_anchors)
    revocations = home_revocations(home)
    reports = []
    for path in targets:
        try:
            certificate, chain = certificates_in(path, password)
        except MinicaError as exc:
            unreadable = CertificateReport(source=str(path), status=Status.UNREADABLE, detail=str(exc), at=now)
            if chosen.keeps_report(unreadable):
                reports.append(unreadable)
            continue
        report = assess(
            certificate, source=str(path), now=now, warn_days=warn_days, anchors=anchors,
            intermediates=intermediates + chain, revocation=revocations,
        )
        if chosen.keeps_report(report):
            reports.append(report)
    return reports
