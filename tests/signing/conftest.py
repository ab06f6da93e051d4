"""Fixtures for the signer tests: a small PKI (root → issuing → end entity), a signer, xmlsec1.

The PKI is built with ``cryptography`` directly so these tests do not depend on minica's CA; it
can later be replaced by ``minica.ca``. Everything is deterministic except key generation.
"""

from __future__ import annotations

import datetime as dt
import shutil
import subprocess
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID

from minica.clock import COLOMBIA
from minica.signing.xades import sign_document

REPO = Path(__file__).resolve().parents[2]
TESTDATA = REPO / "testdata"
SAMPLES = sorted(TESTDATA.glob("*.xml"))
DIAN_UNSIGNED = sorted((TESTDATA / "dian-unsigned").glob("*.xml"))
SIGNED_VECTORS = sorted((REPO / "tests" / "vectors" / "dian").glob("*.xml"))
#: 2026-11-22T10:15:30.123-05:00, the signing time of every test signature.
SIGNING_TIME = dt.datetime(2026, 11, 22, 10, 15, 30, 123000, tzinfo=COLOMBIA)
VERIFICATION_TIME = "2026-11-22 15:15:30"
XMLSEC = shutil.which("xmlsec1") or "/usr/bin/xmlsec1"
XMLSEC_IDS = (
    "--id-attr:Id",
    "http://uri.etsi.org/01903/v1.3.2#:SignedProperties",
    "--id-attr:Id",
    "http://www.w3.org/2000/09/xmldsig#:KeyInfo",
)


@dataclass(frozen=True)
class Pki:
    root: x509.Certificate
    issuing: x509.Certificate
    signer: x509.Certificate
    signer_key: rsa.RSAPrivateKey
    root_pem: Path
    issuing_pem: Path


def _name(cn: str, **extra: str) -> x509.Name:
    attrs = [x509.NameAttribute(NameOID.COUNTRY_NAME, "CO")]
    if "o" in extra:
        attrs.append(x509.NameAttribute(NameOID.ORGANIZATION_NAME, extra["o"]))
    if "l" in extra:
        attrs.append(x509.NameAttribute(NameOID.LOCALITY_NAME, extra["l"]))
    if "serial" in extra:
        attrs.append(x509.NameAttribute(NameOID.SERIAL_NUMBER, extra["serial"]))
    attrs.append(x509.NameAttribute(NameOID.COMMON_NAME, cn))
    return x509.Name(attrs)


def _cert(
    subject: x509.Name,
    issuer: x509.Name,
    public: rsa.RSAPublicKey,
    signing_key: rsa.RSAPrivateKey,
    serial: int,
    years: tuple[int, int],
    ca: bool,
    issuer_public: rsa.RSAPublicKey,
) -> x509.Certificate:
    builder = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(issuer)
        .public_key(public)
        .serial_number(serial)
        .not_valid_before(dt.datetime(years[0], 1, 1, tzinfo=dt.timezone.utc))
        .not_valid_after(dt.datetime(years[1], 1, 1, tzinfo=dt.timezone.utc))
        .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(public), critical=False)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(issuer_public), critical=False
        )
        .add_extension(
            x509.KeyUsage(
                digital_signature=not ca,
                content_commitment=not ca,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=ca,
                crl_sign=ca,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
    )
    return builder.sign(signing_key, hashes.SHA256())


@pytest.fixture(scope="session")
def pki(tmp_path_factory: pytest.TempPathFactory) -> Pki:
    """RSA-2048/SHA-256 chain; the signer has KU digitalSignature + nonRepudiation."""
    keys = [rsa.generate_private_key(public_exponent=65537, key_size=2048) for _ in range(3)]
    root_name = _name("Minica Pruebas Raíz", o="Minica Pruebas")
    issuing_name = _name("Autoridad Subordinada Minica Pruebas", o="Minica Pruebas", l="Bogotá D.C.")
    root = _cert(root_name, root_name, keys[0].public_key(), keys[0], 1, (2025, 2040), True,
                 keys[0].public_key())
    issuing = _cert(issuing_name, root_name, keys[1].public_key(), keys[0], 2, (2025, 2035), True,
                    keys[0].public_key())
    signer = _cert(
        _name("MINICA PRUEBAS S.A.S.", o="MINICA PRUEBAS S.A.S.", serial="9003739879"),
        issuing_name, keys[2].public_key(), keys[1], 0x1F2E3D4C5B6A79880102, (2026, 2028), False,
        keys[1].public_key(),
    )
    folder = tmp_path_factory.mktemp("pki")
    root_pem, issuing_pem = folder / "root.pem", folder / "issuing.pem"
    root_pem.write_bytes(root.public_bytes(serialization.Encoding.PEM))
    issuing_pem.write_bytes(issuing.public_bytes(serialization.Encoding.PEM))
    return Pki(root, issuing, signer, keys[2], root_pem, issuing_pem)


@pytest.fixture
def sign(pki: Pki) -> Callable[..., bytes]:
    """``sign(data, **overrides)`` with the test signer and the fixed signing time."""

    def _sign(data: bytes, **overrides: Any) -> bytes:
        arguments: dict[str, Any] = {
            "key": pki.signer_key,
            "certificate": pki.signer,
            "signing_time": SIGNING_TIME,
        }
        arguments.update(overrides)
        return sign_document(data, **arguments)

    return _sign


@pytest.fixture
def xmlsec_verify(
    pki: Pki, tmp_path: Path
) -> Callable[[bytes], subprocess.CompletedProcess[str]]:
    """Run ``xmlsec1 --verify`` trusting only our root (no --insecure)."""
    if not Path(XMLSEC).exists():
        pytest.fail("xmlsec1 is not installed: run ./scripts/test.sh, which installs it")
    counter = iter(range(1_000_000))

    def _verify(data: bytes) -> subprocess.CompletedProcess[str]:
        path = tmp_path / f"signed-{next(counter)}.xml"
        path.write_bytes(data)
        return subprocess.run(
            [
                XMLSEC, "--verify",
                "--trusted-pem", str(pki.root_pem),
                "--untrusted-pem", str(pki.issuing_pem),
                "--verification-time", VERIFICATION_TIME,
                *XMLSEC_IDS,
                str(path),
            ],
            capture_output=True,
            text=True,
            timeout=60,
        )

    return _verify


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    """``unsigned_path``: every sample of ours and every DIAN unsigned input (test modules cannot
    import this conftest under ``--import-mode=importlib``, so parametrization lives here)."""
    if "unsigned_path" in metafunc.fixturenames:
        paths = SAMPLES + DIAN_UNSIGNED
        metafunc.parametrize("unsigned_path", paths, ids=[p.name for p in paths])
    if "sample_path" in metafunc.fixturenames:
        metafunc.parametrize("sample_path", SAMPLES, ids=[p.name for p in SAMPLES])


@pytest.fixture
def signing_time() -> dt.datetime:
    return SIGNING_TIME


@pytest.fixture
def testdata() -> Path:
    return TESTDATA
