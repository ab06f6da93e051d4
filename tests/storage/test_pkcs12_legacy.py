"""The legacy PKCS#12 writer against OpenSSL 3, JDK keytool and ``cryptography``."""

from __future__ import annotations

import datetime as dt
import subprocess
from dataclasses import dataclass
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.decrepit.ciphers.algorithms import RC2
from cryptography.hazmat.primitives import hashes, hmac, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.hazmat.primitives.ciphers import Cipher, modes
from cryptography.hazmat.primitives.serialization import pkcs12
from cryptography.x509.oid import NameOID
from support import NOW

from minica.errors import InvalidInput, MinicaError
from minica.storage._rc2 import rc2_cbc_encrypt
from minica.storage.pkcs12_legacy import (
    PURPOSE_IV,
    PURPOSE_KEY,
    PURPOSE_MAC,
    bmp_password,
    pkcs12_kdf,
    serialize_legacy_pkcs12,
)

OPENSSL = "/usr/bin/openssl"
KEYTOOL = "/usr/bin/keytool"
PASSWORD = b"Cl4ve-DIAN#2024"
NAME = b"firma-minica 900373115"


@dataclass(frozen=True)
class Pki:
    root: x509.Certificate
    issuing: x509.Certificate
    ee: x509.Certificate
    ee_key: rsa.RSAPrivateKey


def _cert(
    cn: str, key: rsa.RSAPrivateKey, issuer: x509.Name | None, signer: rsa.RSAPrivateKey, ca: bool
) -> x509.Certificate:
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, cn)])
    now = NOW  # the suite's fixed instant: nothing here depends on the day it runs
    return (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(issuer or subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(hours=1))
        .not_valid_after(now + dt.timedelta(days=30))
        .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True)
        .sign(signer, hashes.SHA256())
    )


@pytest.fixture(scope="module")
def pki() -> Pki:
    root_key, issuing_key, ee_key = (
        rsa.generate_private_key(public_exponent=65537, key_size=2048) for _ in range(3)
    )
    root = _cert("minica test root", root_key, None, root_key, ca=True)
    issuing = _cert("minica test issuing", issuing_key, root.subject, root_key, ca=True)
    ee = _cert("EMPRESA DE PRUEBA S.A.S.", ee_key, issuing.subject, issuing_key, ca=False)
    return Pki(root, issuing, ee, ee_key)


@pytest.fixture(scope="module")
def p12(pki: Pki, tmp_path_factory: pytest.TempPathFactory) -> Path:
    data = serialize_legacy_pkcs12(
        key=pki.ee_key,
        certificate=pki.ee,
        chain=[pki.issuing, pki.root],
        password=PASSWORD,
        friendly_name=NAME,
    )
    path = tmp_path_factory.mktemp("p12") / "legacy.p12"
    path.write_bytes(data)
    return path


def _run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(args, capture_output=True, text=True, timeout=60, check=False)


# --- OpenSSL ----------------------------------------------------------------------------------


def test_openssl_legacy_reports_rc2_certs_and_3des_key(p12: Path) -> None:
    done = _run(OPENSSL, "pkcs12", "-in", str(p12), "-info", "-nokeys", "-legacy",
                "-passin", f"pass:{PASSWORD.decode()}")
    out = done.stdout + done.stderr  # -info writes to stderr
    assert done.returncode == 0, out
    assert "MAC: sha1, Iteration 2048" in out
    assert "PKCS7 Encrypted data: pbeWithSHA1And40BitRC2-CBC, Iteration 2048" in out
    assert "Shrouded Keybag: pbeWithSHA1And3-KeyTripleDES-CBC, Iteration 2048" in out
    assert out.count("Certificate bag") == 3
    assert f"friendlyName: {NAME.decode()}" in out
    assert out.count("-----BEGIN CERTIFICATE-----") == 3


def test_openssl_decrypts_the_key(pki: Pki, p12: Path) -> None:
    done = _run(OPENSSL, "pkcs12", "-in", str(p12), "-nocerts", "-nodes", "-legacy",
                "-passin", f"pass:{PASSWORD.decode()}")
    assert done.returncode == 0, done.stderr
    pem = done.stdout[done.stdout.index("-----BEGIN PRIVATE KEY-----"):].encode()
    key = serialization.load_pem_private_key(pem, None)
    assert isinstance(key, rsa.RSAPrivateKey)
    assert key.private_numbers() == pki.ee_key.private_numbers()


def test_openssl_without_legacy_provider_refuses_it(p12: Path) -> None:
    done = _run(OPENSSL, "pkcs12", "-in", str(p12), "-info", "-nokeys",
                "-passin", f"pass:{PASSWORD.decode()}")
    assert done.returncode != 0
    assert "RC2-40-CBC" in done.stderr and "unsupported" in done.stderr


def test_openssl_wrong_password(p12: Path) -> None:
    done = _run(OPENSSL, "pkcs12", "-in", str(p12), "-info", "-nokeys", "-legacy",
                "-passin", "pass:Wrong-Password1")
    assert done.returncode != 0
    assert "Mac verify error" in done.stderr


# --- keytool ----------------------------------------------------------------------------------


def test_keytool_lists_the_entry_under_the_friendly_name(p12: Path) -> None:
    done = _run(KEYTOOL, "-list", "-v", "-storetype", "PKCS12", "-keystore", str(p12),
                "-storepass", PASSWORD.decode())
    assert done.returncode == 0, done.stdout + done.stderr
    # Java's PKCS12 keystore lower-cases aliases.
    assert f"Alias name: {NAME.decode().lower()}" in done.stdout
    assert "Your keystore contains 1 entry" in done.stdout
    assert "Entry type: PrivateKeyEntry" in done.stdout
    assert "Certificate chain length: 3" in done.stdout


def test_keytool_wrong_password(p12: Path) -> None:
    done = _run(KEYTOOL, "-list", "-storetype", "PKCS12", "-keystore", str(p12),
                "-storepass", "Wrong-Password1")
    assert done.returncode != 0
    assert "password was incorrect" in done.stdout + done.stderr


# --- cryptography -----------------------------------------------------------------------------


def test_cryptography_round_trip(pki: Pki, p12: Path) -> None:
    loaded = pkcs12.load_pkcs12(p12.read_bytes(), PASSWORD)
    assert isinstance(loaded.key, rsa.RSAPrivateKey)
    assert loaded.key.public_key().public_numbers() == pki.ee_key.public_key().public_numbers()
    assert loaded.cert is not None
    assert loaded.cert.certificate == pki.ee
    assert loaded.cert.friendly_name == NAME
    assert [c.certificate for c in loaded.additional_certs] == [pki.issuing, pki.root]
    assert [c.friendly_name for c in loaded.additional_certs] == [None, None]


def test_cryptography_wrong_password(p12: Path) -> None:
    with pytest.raises(ValueError):
        pkcs12.load_pkcs12(p12.read_bytes(), b"Wrong-Password1")


def test_chain_names_and_non_ascii_friendly_name(pki: Pki) -> None:
    name = "Firma electrónica — Año 2024".encode()
    data = serialize_legacy_pkcs12(
        key=pki.ee_key, certificate=pki.ee, chain=[pki.issuing, pki.root], password=PASSWORD,
        friendly_name=name, chain_friendly_names=[b"Issuing CA", None],
    )
    loaded = pkcs12.load_pkcs12(data, PASSWORD)
    assert loaded.cert is not None and loaded.cert.friendly_name == name
    assert [c.friendly_name for c in loaded.additional_certs] == [b"Issuing CA", None]


def test_salts_are_random(pki: Pki) -> None:
    def make() -> bytes:
        return serialize_legacy_pkcs12(
            key=pki.ee_key, certificate=pki.ee, chain=[], password=PASSWORD, friendly_name=NAME
        )

    assert make() != make()


@pytest.mark.parametrize(
    "change",
    [
        {"password": b""},
        {"password": "contraseña".encode()},
        {"password": b"tab\there"},
        {"friendly_name": b""},
        {"friendly_name": b"\xff\xfe"},
        {"friendly_name": "emoji \U0001F600".encode()},
        {"chain_friendly_names": [b"only one"]},
        {"key": "other"},
    ],
)
def test_bad_input_is_refused(pki: Pki, change: dict[str, object]) -> None:
    args: dict[str, object] = {
        "key": pki.ee_key,
        "certificate": pki.ee,
        "chain": [pki.issuing, pki.root],
        "password": PASSWORD,
        "friendly_name": NAME,
    }
    args.update(change)
    if args["key"] == "other":
        args["key"] = rsa.generate_private_key(public_exponent=65537, key_size=1024)
    with pytest.raises(InvalidInput) as raised:
        serialize_legacy_pkcs12(**args)  # type: ignore[arg-type]
    assert isinstance(raised.value, MinicaError)


# --- KDF and RC2 known answers ----------------------------------------------------------------

# Dr Stephen Henson's published PKCS#12 KDF vectors (SHA-1), as also used by Bouncy Castle.
HENSON = [
    (b"smeg", "0A58CF64530D823F", PURPOSE_KEY, 1,
     "8AAAE6297B6CB04642AB5B077851284EB7128F1A2A7FBCA3"),
    (b"smeg", "0A58CF64530D823F", PURPOSE_IV, 1, "79993DFE048D3B76"),
    (b"smeg", "642B99AB44FB4B1F", PURPOSE_KEY, 1,
     "F3A95FEC48D7711E985CFE67908C5AB79FA3D7C5CAA5D966"),
    (b"smeg", "642B99AB44FB4B1F", PURPOSE_IV, 1, "C0A38D64A79BEA1D"),
    (b"smeg", "3D83C0E4546AC140", PURPOSE_MAC, 1, "8D967D88F6CAA9D714800AB3D48051D63F73A312"),
    (b"queeg", "05DEC959ACFF72F7", PURPOSE_KEY, 1000,
     "ED2034E36328830FF09DF1E1A07DD357185DAC0D4F9EB3D4"),
    (b"queeg", "05DEC959ACFF72F7", PURPOSE_IV, 1000, "11DEDAD7758D4860"),
    (b"queeg", "1682C0FC5B3F7EC5", PURPOSE_KEY, 1000,
     "483DD6E919D7DE2E8E648BA8F862F3FBFBDC2BCB2C02957F"),
    (b"queeg", "1682C0FC5B3F7EC5", PURPOSE_IV, 1000, "9D461D1B00355C50"),
    (b"queeg", "263216FCC2FAB31C", PURPOSE_MAC, 1000, "5EC4C7A80DF652294C3925B6489A7AB857C83476"),
]


@pytest.mark.parametrize(("password", "salt", "purpose", "iterations", "expected"), HENSON)
def test_kdf_published_vectors(
    password: bytes, salt: str, purpose: int, iterations: int, expected: str
) -> None:
    derived = pkcs12_kdf(bmp_password(password), bytes.fromhex(salt), purpose, iterations,
                         len(expected) // 2)
    assert derived.hex().upper() == expected


def test_bmp_password_encoding() -> None:
    assert bmp_password(b"smeg") == b"\x00s\x00m\x00e\x00g\x00\x00"


def _tlv(data: bytes, at: int = 0) -> tuple[int, bytes, int]:
    """(tag, contents, end) of the DER element at ``at``."""
    tag, size, at = data[at], data[at + 1], at + 2
    if size & 0x80:
        count = size & 0x7F
        size, at = int.from_bytes(data[at : at + count], "big"), at + count
    return tag, data[at : at + size], at + size


def _children(body: bytes) -> list[bytes]:
    out, at = [], 0
    while at < len(body):
        out.append(_tlv(body, at)[1])
        at = _tlv(body, at)[2]
    return out


def test_kdf_reproduces_the_mac_of_an_openssl_legacy_file(pki: Pki, tmp_path: Path) -> None:
    (tmp_path / "key.pem").write_bytes(pki.ee_key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption()))
    (tmp_path / "cert.pem").write_bytes(pki.ee.public_bytes(serialization.Encoding.PEM))
    done = _run(OPENSSL, "pkcs12", "-export", "-legacy", "-inkey", str(tmp_path / "key.pem"),
                "-in", str(tmp_path / "cert.pem"), "-passout", f"pass:{PASSWORD.decode()}",
                "-out", str(tmp_path / "openssl.p12"))
    assert done.returncode == 0, done.stderr
    _version, auth_safe, mac_data = _children(_tlv((tmp_path / "openssl.p12").read_bytes())[1])
    # authSafe ContentInfo: [0] EXPLICIT OCTET STRING whose contents are the signed bytes.
    signed = _tlv(_children(auth_safe)[1])[1]
    digest_info, salt, iterations = _children(mac_data)
    expected_mac = _children(digest_info)[1]
    mac_key = pkcs12_kdf(bmp_password(PASSWORD), salt, PURPOSE_MAC,
                         int.from_bytes(iterations, "big"), 20)
    mac = hmac.HMAC(mac_key, hashes.SHA1())
    mac.update(signed)
    assert mac.finalize() == expected_mac


@pytest.mark.parametrize(
    ("key", "bits", "plain", "cipher"),
    [  # RFC 2268 section 5 test vectors
        ("0000000000000000", 63, "0000000000000000", "ebb773f993278eff"),
        ("ffffffffffffffff", 64, "ffffffffffffffff", "278b27e42e2f0d49"),
        ("3000000000000000", 64, "1000000000000001", "30649edf9be7d2c2"),
        ("88", 64, "0000000000000000", "61a8a244adacccf0"),
        ("88bca90e90875a", 64, "0000000000000000", "6ccf4308974c267f"),
        ("88bca90e90875a7f0f79c384627bafb2", 64, "0000000000000000", "1a807d272bbe5db1"),
        ("88bca90e90875a7f0f79c384627bafb2", 128, "0000000000000000", "2269552ab0f85ca6"),
        ("88bca90e90875a7f0f79c384627bafb216f80a6f85920584c42fceb0be255daf1e", 129,
         "0000000000000000", "5b78d3a43dfff1f1"),
    ],
)
def test_rc2_rfc2268_vectors(key: str, bits: int, plain: str, cipher: str) -> None:
    # A single block under a zero IV is plain ECB.
    out = rc2_cbc_encrypt(bytes.fromhex(key), bits, bytes(8), bytes.fromhex(plain))
    assert out.hex() == cipher


def test_rc2_matches_cryptography_at_128_bits() -> None:
    key, iv, data = bytes(range(16)), bytes(range(8, 16)), bytes(range(64))
    encryptor = Cipher(RC2(key), modes.CBC(iv)).encryptor()
    assert rc2_cbc_encrypt(key, 128, iv, data) == encryptor.update(data) + encryptor.finalize()


def test_rc2_40_matches_openssl(tmp_path: Path) -> None:
    key, iv, data = bytes.fromhex("0102030405"), bytes(range(8)), bytes(range(48))
    (tmp_path / "ct").write_bytes(rc2_cbc_encrypt(key, 40, iv, data))
    done = subprocess.run(
        [OPENSSL, "enc", "-d", "-rc2-40-cbc", "-nopad", "-provider", "legacy", "-provider",
         "default", "-K", key.hex(), "-iv", iv.hex(), "-in", str(tmp_path / "ct")],
        capture_output=True, timeout=60, check=False,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout == data
