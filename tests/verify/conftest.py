"""Fixtures for the verifier tests: the DIAN vectors, a test PKI, fixed times, a fake revocation source."""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path

import pytest
from cryptography import x509

sys.path.insert(0, str(Path(__file__).resolve().parent))  # for ``verify_kit``

import verify_kit as kit

from minica.signing.revocation import Revocation
from minica.signing.verifier import VerificationResult, verify_document

HERE = Path(__file__).resolve().parent

VECTORS = HERE.parent / "vectors" / "dian"
#: Verdicts from shared/vectors/SOURCES.md (own checker and xmlsec1 agreed on each).
VERDICTS = {
    "Kreo-one__dian-fe19-consumidor-final-invoice.xml": "VALID",
    "Kreo-one__dian-fe19-creditnote.xml": "VALID",
    "Kreo-one__dian-fe19-debitnote.xml": "VALID",
    "Kreo-one__dian-fe19-generica-pago-anticipado-invoice.xml": "VALID",
    "Kreo-one__dian-fe19-generica-invoice.xml": "PARTIAL",
    "Kreo-one__dian-fe19-ibua-invoice.xml": "PARTIAL",
    "Kreo-one__dian-fe19-radian-031-reclamo-applicationresponse.xml": "INVALID",
    "Kreo-one__dian-fe19-creditnote-sin-referencia.xml": "INVALID",
    "bit4bit__facho-selfsigned-invoice.xml": "VALID",
}
#: Verification time for documents signed under the test PKI (signer valid 2025-01-01 → 2027-01-01).
AT = kit.t("2026-03-01T12:00:00")


class FakeRevocations:
    """A revocation source that knows the serials it was told about."""

    def __init__(self, revoked: dict[int, Revocation] | None = None) -> None:
        self.revoked = revoked or {}
        self.asked: list[int] = []

    def revocation_of(self, certificate: x509.Certificate) -> Revocation | None:
        self.asked.append(certificate.serial_number)
        return self.revoked.get(certificate.serial_number)


@pytest.fixture(scope="session")
def vectors() -> dict[str, bytes]:
    return {name: (VECTORS / name).read_bytes() for name in VERDICTS}


@pytest.fixture(scope="session")
def pki() -> kit.Pki:
    return kit.make_pki()


@pytest.fixture(scope="session")
def ours(pki: kit.Pki, vectors: dict[str, bytes]) -> bytes:
    """The DIAN CreditNote vector re-signed under the test PKI: every check passes at AT."""
    return kit.rekey(vectors["Kreo-one__dian-fe19-creditnote.xml"], pki.key, pki.signer)


@pytest.fixture(scope="session")
def verify(pki: kit.Pki) -> Callable[..., VerificationResult]:
    """verify_document with the test PKI's anchors, a clean revocation source and ``at`` = AT."""

    def run(data: bytes, **kw: object) -> VerificationResult:
        kw.setdefault("at", AT)
        kw.setdefault("trust", [pki.root])
        kw.setdefault("intermediates", [pki.intermediate])
        kw.setdefault("revocation", FakeRevocations())
        return verify_document(data, **kw)  # type: ignore[arg-type]

    return run


def failing(result: VerificationResult) -> list[str]:
    """The rule codes of the failed checks, in order."""
    return [c.rule for c in result.checks if c.status == "fail"]


def message(result: VerificationResult, rule: str) -> str:
    return " | ".join(c.message for c in result.checks if c.rule == rule and c.status == "fail")
