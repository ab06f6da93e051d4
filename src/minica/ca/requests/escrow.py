"""Sealing the keystore password between filing and issuance.

DIAN's form takes the keystore password when the request is filed, but the keystore is only built
on approval, days later. The password must not sit in clear text anywhere in between, so at filing
it is *sealed* to the home's escrow key and only the sealed bytes are stored:

- the escrow key is an RSA-3072 key pair of the home (``<home>/requests/escrow.key``, 0600,
  created on first use; encrypted with the CA password when one is given, like the CA key);
- sealing draws a fresh AES-256-GCM key, encrypts the password with it, binding the radicado as
  associated data (a sealed password cannot be moved to another request), and wraps the AES key
  with RSA-OAEP-SHA256;
- approval unseals, issues, and erases the sealed bytes; rejection-expiry, identity failure and the
  loaned-certificate path erase them too.

Only a holder of the escrow private key — the CA operator, who approves — can unseal: the database
alone, its backups or an outbox never reveal the password.
"""

from __future__ import annotations

import os
import struct

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from minica.errors import MinicaError, RefusedOperation
from minica.storage.files import atomic_write
from minica.storage.home import Home
from minica.storage.recovery import HomeWrite

_VERSION = b"MCE1"
_OAEP = padding.OAEP(mgf=padding.MGF1(hashes.SHA256()), algorithm=hashes.SHA256(), label=None)


def _load_or_create(write: HomeWrite, ca_password: bytes | None) -> rsa.RSAPrivateKey:
    """The escrow key, created on first use inside ``write`` (under the home's write lock)."""
    home = write.home
    path = home.requests_dir / "escrow.key"
    if path.exists():
        return _load(home, ca_password)
    key = rsa.generate_private_key(public_exponent=65537, key_size=3072)
    encryption: serialization.KeySerializationEncryption = (
        serialization.BestAvailableEncryption(ca_password)
        if ca_password
        else serialization.NoEncryption()
    )
    pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, encryption)
    atomic_write(path, pem, mode=0o600, exclusive=True)
    write.written.append(path)
    return key


def _load(home: Home, ca_password: bytes | None) -> rsa.RSAPrivateKey:
    path = home.requests_dir / "escrow.key"
    data = path.read_bytes()
    try:
        key = serialization.load_pem_private_key(data, password=ca_password or None)
    except TypeError:
        raise RefusedOperation(
            "the request escrow key is encrypted with the CA password",
            "set $MINICA_CA_PASSWORD (or --ca-password-file) to the CA password",
        ) from None
    except ValueError:
        raise RefusedOperation(
            f"cannot open the request escrow key {path}",
            "give the right CA password, or check that the file is intact",
        ) from None
    if not isinstance(key, rsa.RSAPrivateKey):  # pragma: no cover - we only ever write RSA
        raise MinicaError(f"{path} is not an RSA key", "restore it from a backup")
    return key


def seal(write: HomeWrite, radicado: str, password: bytes, *, ca_password: bytes | None = None) -> bytes:
    """The password sealed for ``radicado``: ``MCE1 | len | RSA-OAEP(aes key) | nonce | GCM``."""
    public = _load_or_create(write, ca_password).public_key()
    aes_key = AESGCM.generate_key(bit_length=256)
    nonce = os.urandom(12)
    body = AESGCM(aes_key).encrypt(nonce, password, radicado.encode("ascii"))
    wrapped = public.encrypt(aes_key, _OAEP)
    return _VERSION + struct.pack(">H", len(wrapped)) + wrapped + nonce + body


def unseal(home: Home, radicado: str, sealed: bytes, *, ca_password: bytes | None = None) -> bytes:
    """The password sealed by :func:`seal` for the same ``radicado``."""
    if not sealed.startswith(_VERSION):
        raise MinicaError(f"the sealed password of request {radicado} is damaged", "file a new request")
    (length,) = struct.unpack(">H", sealed[4:6])
    wrapped, rest = sealed[6 : 6 + length], sealed[6 + length :]
    key = _load(home, ca_password)
    try:
        aes_key = key.decrypt(wrapped, _OAEP)
        return AESGCM(aes_key).decrypt(rest[:12], rest[12:], radicado.encode("ascii"))
    except (ValueError, InvalidTag):
        raise MinicaError(
            f"the sealed password of request {radicado} cannot be opened",
            "the escrow key changed or the record was altered; file a new request",
        ) from None
