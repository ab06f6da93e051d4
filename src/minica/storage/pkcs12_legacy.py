"""PKCS#12 (RFC 7292) writer for the *legacy* profile that older Colombian CAs deliver.

It is the layout of ``openssl pkcs12 -export -legacy``: certificate bags in an EncryptedData under
pbeWithSHAAnd40BitRC2-CBC, the key in a pkcs8ShroudedKeyBag under pbeWithSHAAnd3-KeyTripleDES-CBC,
an HMAC-SHA1 MAC, 2048 iterations and 8-byte random salts everywhere. OpenSSL 3 refuses such a file
without its legacy provider, which is exactly the real-world failure this profile reproduces.

``cryptography`` cannot write it (no RC2-40 option, and its RC2 takes 128-bit keys only), so the
structure is encoded here by hand: a handful of DER constructors, no ASN.1 library needed.
"""

from __future__ import annotations

import os
from collections.abc import Sequence

from cryptography import x509
from cryptography.hazmat.decrepit.ciphers.algorithms import TripleDES
from cryptography.hazmat.primitives import hashes, hmac, padding, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.hazmat.primitives.ciphers import Cipher, modes

from minica.errors import InvalidInput
from minica.storage._rc2 import rc2_cbc_encrypt
from minica.storage.pkcs12_open import PURPOSE_IV, PURPOSE_KEY, PURPOSE_MAC, bmp_password, derive_key
from minica.storage.pkcs12_open import der as _tlv

#: OpenSSL's default; what the CAs' files use too.
ITERATIONS = 2048
SALT_BYTES = 8


_OID_DATA = "1.2.840.113549.1.7.1"
_OID_ENCRYPTED_DATA = "1.2.840.113549.1.7.6"
_OID_PBE_SHA1_3DES = "1.2.840.113549.1.12.1.3"
_OID_PBE_SHA1_RC2_40 = "1.2.840.113549.1.12.1.6"
_OID_SHROUDED_KEY_BAG = "1.2.840.113549.1.12.10.1.2"
_OID_CERT_BAG = "1.2.840.113549.1.12.10.1.3"
_OID_X509_CERTIFICATE = "1.2.840.113549.1.9.22.1"
_OID_FRIENDLY_NAME = "1.2.840.113549.1.9.20"
_OID_LOCAL_KEY_ID = "1.2.840.113549.1.9.21"
_OID_SHA1 = "1.3.14.3.2.26"


# --- PKCS#12 key derivation (RFC 7292 Appendix B) -------------------------------------------


def pkcs12_kdf(
    bmp_pass: bytes, salt: bytes, purpose: int, iterations: int, length: int
) -> bytes:
    """RFC 7292 B.2 with SHA-1 (u = 20, v = 64); ``bmp_pass`` comes from :func:`bmp_password`."""
    return derive_key("sha1", bmp_pass, salt, purpose, iterations, length)


# --- Minimal DER ------------------------------------------------------------------------------


def _seq(*items: bytes) -> bytes:
    return _tlv(0x30, b"".join(items))


def _set(*items: bytes) -> bytes:
    return _tlv(0x31, b"".join(sorted(items)))  # DER sorts SET OF members by their encoding


def _int(value: int) -> bytes:
    return _tlv(0x02, value.to_bytes(value.bit_length() // 8 + 1, "big"))  # non-negative only


def _octets(data: bytes) -> bytes:
    return _tlv(0x04, data)


def _explicit0(inner: bytes) -> bytes:
    return _tlv(0xA0, inner)


def _oid(dotted: str) -> bytes:
    first, second, *rest = (int(part) for part in dotted.split("."))
    body = bytearray()
    for arc in (40 * first + second, *rest):
        chunk = [arc & 0x7F]
        while arc := arc >> 7:
            chunk.append(0x80 | (arc & 0x7F))
        body += bytes(reversed(chunk))
    return _tlv(0x06, bytes(body))


# --- PKCS#12 structures -----------------------------------------------------------------------


def _pbe_encrypt(oid: str, bmp_pass: bytes, plaintext: bytes) -> tuple[bytes, bytes]:
    """(AlgorithmIdentifier, ciphertext) under one of the two PKCS#12 PBE schemes."""
    salt = os.urandom(SALT_BYTES)
    padder = padding.PKCS7(64).padder()
    padded = padder.update(plaintext) + padder.finalize()
    iv = pkcs12_kdf(bmp_pass, salt, PURPOSE_IV, ITERATIONS, 8)
    if oid == _OID_PBE_SHA1_RC2_40:
        key = pkcs12_kdf(bmp_pass, salt, PURPOSE_KEY, ITERATIONS, 5)
        ciphertext = rc2_cbc_encrypt(key, 40, iv, padded)
    else:
        key = pkcs12_kdf(bmp_pass, salt, PURPOSE_KEY, ITERATIONS, 24)
        encryptor = Cipher(TripleDES(key), modes.CBC(iv)).encryptor()
        ciphertext = encryptor.update(padded) + encryptor.finalize()
    algorithm = _seq(_oid(oid), _seq(_octets(salt), _int(ITERATIONS)))  # pkcs-12PbeParams
    return algorithm, ciphertext


def _attributes(friendly_name: str | None, local_key_id: bytes | None) -> bytes:
    attrs = []
    if friendly_name is not None:
        bmp = _tlv(0x1E, friendly_name.encode("utf-16-be"))
        attrs.append(_seq(_oid(_OID_FRIENDLY_NAME), _set(bmp)))
    if local_key_id is not None:
        attrs.append(_seq(_oid(_OID_LOCAL_KEY_ID), _set(_octets(local_key_id))))
    return _set(*attrs) if attrs else b""


def _safe_bag(bag_oid: str, value: bytes, attributes: bytes) -> bytes:
    return _seq(_oid(bag_oid), _explicit0(value), attributes)


def _cert_bag(cert: x509.Certificate, attributes: bytes) -> bytes:
    der = cert.public_bytes(serialization.Encoding.DER)
    value = _seq(_oid(_OID_X509_CERTIFICATE), _explicit0(_octets(der)))
    return _safe_bag(_OID_CERT_BAG, value, attributes)


def _text_name(name: bytes, what: str) -> str:
    """A friendly name (UTF-8, as ``cryptography`` returns it) as text a BMPString can hold."""
    try:
        text = name.decode("utf-8")
    except UnicodeDecodeError:
        text = ""
    if not text or any(ord(c) > 0xFFFF for c in text):
        raise InvalidInput(
            f"the {what} friendly name is empty, not UTF-8, or not BMP text",
            "use a non-empty UTF-8 name without emoji or other characters beyond U+FFFF",
        )
    return text


def serialize_legacy_pkcs12(
    *,
    key: rsa.RSAPrivateKey,
    certificate: x509.Certificate,
    chain: Sequence[x509.Certificate],
    password: bytes,
    friendly_name: bytes,
    chain_friendly_names: Sequence[bytes | None] | None = None,
) -> bytes:
    """PKCS#12 bytes in the legacy profile (RC2-40 certificates, 3DES key, HMAC-SHA1 MAC).

    ``password`` is non-empty printable ASCII: other bytes map to different keys in Java, OpenSSL
    and Node, and an empty password has two conflicting encodings. ``friendly_name`` (UTF-8) and a
    ``localKeyId`` (SHA-1 of the certificate's DER) go on the key and its certificate; the
    ``chain`` follows as plain certificate bags, named by ``chain_friendly_names`` if given.

    Raises :class:`InvalidInput` for a bad password, name, or a key that does not fit the
    certificate.
    """
    if not password or not all(0x20 <= byte < 0x7F for byte in password):
        raise InvalidInput(
            "the keystore password must be non-empty printable ASCII",
            "choose a password of printable ASCII characters",
        )
    if not isinstance(key, rsa.RSAPrivateKey):
        raise InvalidInput("the legacy PKCS#12 profile holds RSA keys only", "give an RSA key")
    cert_public = certificate.public_key()
    if (
        not isinstance(cert_public, rsa.RSAPublicKey)
        or cert_public.public_numbers() != key.public_key().public_numbers()
    ):
        raise InvalidInput(
            "the private key does not belong to the certificate",
            "give the key the certificate was issued for",
        )
    names = list(chain_friendly_names) if chain_friendly_names is not None else [None] * len(chain)
    if len(names) != len(chain):
        raise InvalidInput(
            "chain_friendly_names must have one entry per chain certificate",
            "pass None for a certificate without a name",
        )
    bmp_pass = bmp_password(password)
    name = _text_name(friendly_name, "certificate")
    local_key_id = certificate.fingerprint(hashes.SHA1())

    cert_bags = [_cert_bag(certificate, _attributes(name, local_key_id))]
    for ca, ca_name in zip(chain, names, strict=True):
        text = _text_name(ca_name, "chain certificate") if ca_name is not None else None
        cert_bags.append(_cert_bag(ca, _attributes(text, None)))
    algorithm, ciphertext = _pbe_encrypt(_OID_PBE_SHA1_RC2_40, bmp_pass, _seq(*cert_bags))
    encrypted_data = _seq(
        _int(0),
        _seq(_oid(_OID_DATA), algorithm, _tlv(0x80, ciphertext)),  # [0] IMPLICIT OCTET STRING
    )
    certs_info = _seq(_oid(_OID_ENCRYPTED_DATA), _explicit0(encrypted_data))

    pkcs8 = key.private_bytes(
        serialization.Encoding.DER,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    algorithm, ciphertext = _pbe_encrypt(_OID_PBE_SHA1_3DES, bmp_pass, pkcs8)
    shrouded = _seq(algorithm, _octets(ciphertext))  # EncryptedPrivateKeyInfo
    key_bag = _safe_bag(_OID_SHROUDED_KEY_BAG, shrouded, _attributes(name, local_key_id))
    key_info = _seq(_oid(_OID_DATA), _explicit0(_octets(_seq(key_bag))))

    # The MAC covers the AuthenticatedSafe's DER, i.e. the content octets of authSafe.
    auth_safe = _seq(certs_info, key_info)
    mac_salt = os.urandom(SALT_BYTES)
    mac = hmac.HMAC(pkcs12_kdf(bmp_pass, mac_salt, PURPOSE_MAC, ITERATIONS, 20), hashes.SHA1())
    mac.update(auth_safe)
    mac_data = _seq(
        _seq(_seq(_oid(_OID_SHA1), b"\x05\x00"), _octets(mac.finalize())),  # DigestInfo
        _octets(mac_salt),
        _int(ITERATIONS),
    )
    return _seq(_int(3), _seq(_oid(_OID_DATA), _explicit0(_octets(auth_safe))), mac_data)
