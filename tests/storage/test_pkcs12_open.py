"""The fast PKCS#12 open (:mod:`minica.storage.pkcs12_open`) gives what ``cryptography`` gives,
verifies the MAC itself, and steps aside for anything it does not read."""

from __future__ import annotations

import datetime as dt
import subprocess
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.hazmat.primitives.serialization import pkcs12
from cryptography.x509.oid import NameOID

from minica.errors import UnreadableKeystore, WrongPassword
from minica.storage.keystore import P12Profile, load_keystore, serialize_keystore
from minica.storage.pkcs12_open import open_pkcs12

PASSWORD = b"Factura#2026"
UTC = dt.timezone.utc


def _certificate(
    cn: str, key: rsa.RSAPrivateKey, signer: rsa.RSAPrivateKey, issuer: str | None = None
) -> x509.Certificate:
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, cn)])
    issuer_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, issuer or cn)])
    return (
        x509.CertificateBuilder().subject_name(name).issuer_name(issuer_name).public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(dt.datetime(2026, 1, 1, tzinfo=UTC)).not_valid_after(dt.datetime(2028, 1, 1, tzinfo=UTC))
        .sign(signer, hashes.SHA256())
    )  # fmt: skip


@pytest.fixture(scope="module")
def parts() -> tuple[rsa.RSAPrivateKey, x509.Certificate, tuple[x509.Certificate, ...]]:
    ca_key, key = (rsa.generate_private_key(public_exponent=65537, key_size=2048) for _ in range(2))
    ca = _certificate("CA PRUEBAS", ca_key, ca_key)
    return key, _certificate("EMPRESA S.A.S.", key, ca_key, issuer="CA PRUEBAS"), (ca,)


@pytest.mark.parametrize("profile", list(P12Profile))
def test_same_as_cryptography_for_every_profile(
    profile: P12Profile, parts: tuple[rsa.RSAPrivateKey, x509.Certificate, tuple[x509.Certificate, ...]]
) -> None:
    key, certificate, chain = parts
    data = serialize_keystore(key=key, certificate=certificate, chain=chain, password=PASSWORD,
                              friendly_name="empresa", profile=profile)
    fast = open_pkcs12(data, PASSWORD)
    assert fast is not None  # minica's own keystores always take the fast path
    slow = pkcs12.load_pkcs12(data, PASSWORD)
    assert slow.key is not None and slow.cert is not None
    assert fast.key.private_numbers() == slow.key.private_numbers()  # type: ignore[union-attr]
    assert fast.certificate == slow.cert.certificate and fast.friendly_name == slow.cert.friendly_name == b"empresa"
    assert list(fast.chain) == [c.certificate for c in slow.additional_certs]


def test_wrong_password_and_damage_fall_back_to_the_usual_errors(
    parts: tuple[rsa.RSAPrivateKey, x509.Certificate, tuple[x509.Certificate, ...]]
) -> None:
    key, certificate, chain = parts
    data = serialize_keystore(key=key, certificate=certificate, chain=chain, password=PASSWORD, friendly_name="x")
    assert open_pkcs12(data, b"Wrong#2026") is None
    with pytest.raises(WrongPassword):
        load_keystore(data, b"Wrong#2026")
    damaged = bytearray(data)
    damaged[len(data) // 2] ^= 0x01  # inside the signed content: the MAC no longer holds
    assert open_pkcs12(bytes(damaged), PASSWORD) is None
    with pytest.raises(UnreadableKeystore):
        load_keystore(bytes(damaged), PASSWORD)
    assert open_pkcs12(data, None) is None and open_pkcs12(data, "contraseña".encode()) is None
    assert open_pkcs12(data[:-1], PASSWORD) is None


@pytest.mark.parametrize("flags", [(), ("-keypbe", "NONE", "-certpbe", "NONE"), ("-legacy",)])
def test_what_openssl_writes(
    flags: tuple[str, ...], parts: tuple[rsa.RSAPrivateKey, x509.Certificate, tuple[x509.Certificate, ...]],
    tmp_path: Path,
) -> None:
    key, certificate, chain = parts
    key_pem, cert_pem, chain_pem, p12 = (tmp_path / n for n in ("k.pem", "c.pem", "ca.pem", "out.p12"))
    key_pem.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                          serialization.NoEncryption()))
    cert_pem.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    chain_pem.write_bytes(chain[0].public_bytes(serialization.Encoding.PEM))
    subprocess.run(["openssl", "pkcs12", "-export", "-inkey", str(key_pem), "-in", str(cert_pem), "-certfile",
                    str(chain_pem), "-name", "real", "-out", str(p12), "-passout", f"pass:{PASSWORD.decode()}",
                    *flags], check=True, capture_output=True)  # fmt: skip
    data = p12.read_bytes()
    fast = open_pkcs12(data, PASSWORD)
    assert fast is not None
    assert fast.certificate == certificate and list(fast.chain) == list(chain) and fast.friendly_name == b"real"
    assert fast.key.private_numbers() == key.private_numbers()
