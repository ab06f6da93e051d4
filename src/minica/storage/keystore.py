"""PKCS#12 keystores: writing them in the encryption profile a consumer can open, reading any.

Profiles (DESIGN §6, reference §5):

* ``compat`` (default): 3DES key and certificate bags, SHA-1 MAC. Opens in OpenSSL 3, Java 8+,
  PHP 8 on OpenSSL 3, Node, Windows Server 2016 and Android.
* ``modern``: PBES2 / PBKDF2-SHA256 / AES-256-CBC, SHA-256 MAC. Refused by Windows Server 2016,
  Java before 12 and Android ≤ 13.
* ``legacy``: RC2-40 certificate bag, as older Colombian CAs deliver; OpenSSL 3 consumers (PHP,
  Node) refuse it without the legacy provider. For reproducing real-world failures only.
"""

from __future__ import annotations

import enum
from pathlib import Path
from typing import NamedTuple

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.hazmat.primitives.serialization import pkcs12

from minica.errors import InvalidInput, UnreadableKeystore, WrongPassword
from minica.storage.files import atomic_write, read_input
from minica.storage.pkcs12_open import open_pkcs12

#: PBKDF iterations. OpenSSL's own default is 2048; modern gets more as it targets newer consumers.
_COMPAT_ROUNDS = 2048
_MODERN_ROUNDS = 20000


class P12Profile(str, enum.Enum):
    COMPAT = "compat"
    MODERN = "modern"
    LEGACY = "legacy"

    @classmethod
    def parse(cls, text: str) -> P12Profile:
        try:
            return cls(text.strip().lower())
        except ValueError:
            raise InvalidInput(
                f"unknown PKCS#12 profile '{text}'", "use compat, modern or legacy"
            ) from None


class Keystore(NamedTuple):
    """What a PKCS#12 holds: the private key, its certificate and the CA chain."""

    key: rsa.RSAPrivateKey
    certificate: x509.Certificate
    chain: tuple[x509.Certificate, ...]
    friendly_name: str | None = None


def serialize_keystore(
    *,
    key: rsa.RSAPrivateKey,
    certificate: x509.Certificate,
    chain: tuple[x509.Certificate, ...] | list[x509.Certificate],
    password: bytes,
    friendly_name: str,
    profile: P12Profile = P12Profile.COMPAT,
) -> bytes:
    """The PKCS#12 bytes of a keystore in ``profile``."""
    name = friendly_name.encode("utf-8")
    if profile is P12Profile.LEGACY:
        from minica.storage.pkcs12_legacy import serialize_legacy_pkcs12

        return serialize_legacy_pkcs12(
            key=key, certificate=certificate, chain=list(chain), password=password,
            friendly_name=name,
        )
    builder = serialization.PrivateFormat.PKCS12.encryption_builder()
    if profile is P12Profile.COMPAT:
        encryption = (
            builder.kdf_rounds(_COMPAT_ROUNDS)
            .key_cert_algorithm(pkcs12.PBES.PBESv1SHA1And3KeyTripleDESCBC)
            .hmac_hash(hashes.SHA1())
            .build(password)
        )
    else:
        encryption = (
            builder.kdf_rounds(_MODERN_ROUNDS)
            .key_cert_algorithm(pkcs12.PBES.PBESv2SHA256AndAES256CBC)
            .hmac_hash(hashes.SHA256())
            .build(password)
        )
    cas = [
        pkcs12.PKCS12Certificate(ca, _ca_name(ca)) for ca in chain
    ]
    return pkcs12.serialize_key_and_certificates(name, key, certificate, cas, encryption)


def _ca_name(certificate: x509.Certificate) -> bytes | None:
    names = certificate.subject.get_attributes_for_oid(x509.NameOID.COMMON_NAME)
    return str(names[0].value).encode("utf-8") if names else None


def write_keystore(path: Path, data: bytes) -> None:
    """Write keystore bytes atomically, 0600, never replacing an existing file."""
    atomic_write(path, data, mode=0o600, exclusive=True)


def load_keystore(data: bytes, password: bytes | None, *, source: str = "keystore") -> Keystore:
    """Open PKCS#12 bytes (any profile, RC2-40 included) with ``password``.

    Raises :class:`WrongPassword` when the file is sound but the password does not open it, and
    :class:`UnreadableKeystore` when the bytes are not a PKCS#12 at all.
    """
    if not data or data[:1] != b"\x30":
        raise UnreadableKeystore(
            f"{source} is not a PKCS#12 file", "give a .p12/.pfx exported with its private key"
        )
    fast = open_pkcs12(data, password)  # the MAC verified, the key loaded without its 35 ms check
    if fast is not None:
        name = fast.friendly_name.decode("utf-8", "replace") if fast.friendly_name else None
        return Keystore(key=fast.key, certificate=fast.certificate, chain=fast.chain, friendly_name=name)
    try:
        loaded = pkcs12.load_pkcs12(data, password)
    except ValueError as exc:
        text = str(exc).lower()
        if "password" in text or "mac" in text:
            raise WrongPassword(
                f"the password does not open {source} (or the file is damaged)",
                "check the password (--password-file, $MINICA_STORE_PASSWORD or the prompt)",
            ) from None
        raise UnreadableKeystore(
            f"{source} is corrupt or not a PKCS#12 file ({exc})",
            "export it again from its source",
        ) from None
    if loaded.key is None or loaded.cert is None:
        raise UnreadableKeystore(
            f"{source} holds no private key and certificate pair",
            "export the keystore with its private key",
        )
    if not isinstance(loaded.key, rsa.RSAPrivateKey):
        raise UnreadableKeystore(
            f"{source} holds a non-RSA key", "DIAN signatures use RSA keys"
        )
    name = loaded.cert.friendly_name.decode("utf-8", "replace") if loaded.cert.friendly_name else None
    return Keystore(
        key=loaded.key,
        certificate=loaded.cert.certificate,
        chain=tuple(c.certificate for c in loaded.additional_certs),
        friendly_name=name,
    )


def read_keystore(path: Path, password: bytes | None) -> Keystore:
    """Open the PKCS#12 file at ``path``."""
    return load_keystore(read_input(path, "keystore", error=UnreadableKeystore), password, source=str(path))


def is_pem(data: bytes) -> bool:
    """Whether ``data`` holds a PEM block anywhere (OpenSSL skips text before it, such as the
    ``Bag Attributes`` lines ``openssl pkcs12 -nokeys`` writes)."""
    return b"-----BEGIN " in data


def read_pem_certificates(data: bytes, *, source: str = "the file") -> list[x509.Certificate]:
    """Every certificate of a PEM file, read as OpenSSL reads it: text outside the
    ``-----BEGIN CERTIFICATE-----`` blocks (bag attributes, ``subject=`` lines, comments) and blocks
    of other types (keys) are passed over. Raises :class:`UnreadableKeystore` when no certificate
    is there or one is damaged."""
    try:
        found = x509.load_pem_x509_certificates(data)
    except ValueError:
        found = []
    if not found:
        raise UnreadableKeystore(
            f"{source} holds no readable PEM certificate",
            "give a file with a -----BEGIN CERTIFICATE----- block (or a .p12/.pfx, DER or signed XML)",
        )
    return found


def subject_certificate(certificates: list[x509.Certificate]) -> tuple[x509.Certificate, list[x509.Certificate]]:
    """The certificate a bundle is about (the first that is not a CA's, else the first) and the
    others (its chain), as ``openssl pkcs12 -nodes`` or a chain file lists them in any order."""
    for index, candidate in enumerate(certificates):
        try:
            is_ca = candidate.extensions.get_extension_for_class(x509.BasicConstraints).value.ca
        except x509.ExtensionNotFound:
            is_ca = False
        if not is_ca:
            return candidate, certificates[:index] + certificates[index + 1:]
    return certificates[0], certificates[1:]
