"""The library calls ``minica serve`` runs in worker processes (:mod:`minica.server.workers`).

One function per CPU-heavy route: plain, picklable values in (the home, the time, the request's
bytes and passwords), plain values out. Nothing here knows about HTTP. The one thing a worker keeps
between jobs is its opened keystores (:data:`KEYSTORES`), reused only for the same file and the
same password; whether a certificate may sign is decided again for every request.
"""

from __future__ import annotations

import base64
import datetime as _dt
from typing import Any

from cryptography import x509

from minica.ca import registry
from minica.ca.check import check_stores, home_revocations, home_trust
from minica.ca.issuance import IssueRequest, issue_certificate
from minica.ca.requests import process, vendor
from minica.ca.status import assess
from minica.clock import Clock, colombian
from minica.signing.document import UblDocument
from minica.signing.home_revocation import HomeRevocationSource
from minica.signing.policy import DigestAlgorithm, SignerRole
from minica.signing.selection import HomeSigners, Selection
from minica.signing.verifier import verify_document
from minica.storage.home import Home
from minica.storage.keystore_cache import KeystoreCache

#: This worker's opened keystores (see :mod:`minica.storage.keystore_cache`): an API client signing
#: for the same company does not pay for decrypting its keystore on every request.
KEYSTORES = KeystoreCache()


def verify(home: Home, at: _dt.datetime, data: bytes, technical_key: str | None,
           software_pin: str | None) -> dict[str, Any]:
    """``POST /api/v1/verify``: the verification report as JSON."""
    anchors, intermediates = home_trust(home)
    revocation = HomeRevocationSource(home) if home.db_path.exists() else None
    result = verify_document(data, at=at, trust=anchors, intermediates=intermediates, revocation=revocation,
                             technical_key=technical_key, software_pin=software_pin)
    return result.to_json()  # times in Colombian time, as everywhere in the API


def sign(home: Home, now: _dt.datetime, data: bytes, password: bytes, selection: Selection, role: SignerRole,
         digest: DigestAlgorithm, with_chain: bool) -> dict[str, Any]:
    """``POST /api/v1/sign``: the signed document (base64) and the signer's serial."""
    document = UblDocument.from_bytes(data)  # the one parse: it picks the signer and is signed
    signer = HomeSigners(home, password, selection, now, opener=KEYSTORES.open).for_document(document)
    signed = signer.sign(document, signing_time=now, role=role, digest=digest, include_chain=with_chain)
    return {
        "serial": format(signer.keystore.certificate.serial_number, "X"),
        "signing_time": colombian(now).isoformat(),  # as xades:SigningTime writes it
        "document_base64": base64.b64encode(signed).decode("ascii"),
    }


def issue(home: Home, clock: Clock, request: IssueRequest, password: bytes,
          ca_password: bytes | None) -> registry.CertificateRecord:
    """``POST /api/v1/certificates``: the new certificate's record."""
    issued = issue_certificate(home, request, store_password=password, clock=clock, ca_password=ca_password)
    return registry.get_certificate(home, issued.serial_hex)


def check_certificate(home: Home, now: _dt.datetime, der: bytes, warn_days: int) -> dict[str, Any]:
    """``POST /api/v1/check``: one certificate's status against this CA."""
    certificate = x509.load_der_x509_certificate(der)
    anchors, intermediates = home_trust(home)
    return assess(certificate, source="request", now=now, warn_days=warn_days, anchors=anchors,
                  intermediates=intermediates, revocation=home_revocations(home)).to_json()


def check_stored(home: Home, now: _dt.datetime, warn_days: int) -> list[dict[str, Any]]:
    """``GET /api/v1/check``: every stored certificate's status."""
    return [report.to_json() for report in check_stores(home, now=now, warn_days=warn_days)]


def approve(home: Home, clock: Clock, radicado: str, ca_password: bytes | None) -> registry.CertificateRecord:
    """``POST /api/v1/requests/{radicado}/approve``: the issued certificate's record."""
    issued = process.approve(home, clock, radicado, ca_password=ca_password)
    return registry.get_certificate(home, issued.serial_hex)


def vendor_certificate(home: Home, clock: Clock, password: bytes, nit: str, name: str,
                       ca_password: bytes | None) -> registry.CertificateRecord:
    """``POST /api/v1/vendor/certificate``: the vendor's certificate's record."""
    issued = vendor.issue_vendor_certificate(home, clock, store_password=password, nit=nit, name=name,
                                             ca_password=ca_password)
    return registry.get_certificate(home, issued.serial_hex)
