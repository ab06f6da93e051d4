"""Fixtures for the verifier tests: the DIAN vectors, a test PKI, fixed times, a fake revocation source."""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))  # for ``verify_kit``

import verify_kit as kit
from verify_kit import AT, VECTORS, VERDICTS, FakeRevocations

from minica.signing.verifier import VerificationResult, verify_document


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
