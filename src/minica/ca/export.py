"""``minica certs export``: a stored certificate, its chain, or (only when asked) its private key.

The certificate and chain come from the database; the key only from the certificate's keystore,
opened with its password, and it leaves encrypted (PKCS#8, AES-256-CBC with PBKDF2 under the same
password): minica never writes a private key in clear outside a keystore.
"""

from __future__ import annotations

import enum

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.serialization import pkcs7

from minica.ca.hierarchy import load_authority
from minica.ca.registry import CertificateRecord, get_certificate
from minica.environment import Environment
from minica.errors import InvalidInput, NotFound, RefusedOperation
from minica.storage.home import Home
from minica.storage.keystore import read_keystore


class ExportFormat(str, enum.Enum):
    """PEM (text, blocks one after another) or DER (binary; a chain as PKCS#7 certs-only, .p7b)."""

    PEM = "pem"
    DER = "der"

    @classmethod
    def parse(cls, text: str) -> ExportFormat:
        try:
            return cls(text.strip().lower())
        except ValueError:
            raise InvalidInput(f"unknown format '{text}'", "use pem or der") from None


def certificate_bytes(home: Home, serial: str, *, chain: bool = False,
                      fmt: ExportFormat = ExportFormat.PEM) -> tuple[CertificateRecord, bytes]:
    """The certificate ``serial`` (with ``chain``: then the issuing CA's and the root's) in ``fmt``."""
    record = get_certificate(home, serial)
    certificates = [record.certificate]
    if chain:
        authority = load_authority(home)
        certificates += [authority.issuing, authority.root]
    if fmt is ExportFormat.PEM:
        return record, b"".join(c.public_bytes(serialization.Encoding.PEM) for c in certificates)
    if len(certificates) == 1:
        return record, certificates[0].public_bytes(serialization.Encoding.DER)
    return record, pkcs7.serialize_certificates(certificates, serialization.Encoding.DER)


def encrypted_key_bytes(home: Home, serial: str, store_password: bytes, *, environment: Environment | None = None,
                        fmt: ExportFormat = ExportFormat.PEM) -> tuple[CertificateRecord, bytes]:
    """The private key of certificate ``serial``, read from its keystore (``environment``'s, else
    the first one) with ``store_password`` and encrypted again under it (PKCS#8).

    Raises :class:`~minica.errors.WrongPassword` when the password does not open the keystore and
    :class:`~minica.errors.NotFound` when the certificate has no keystore (there).
    """
    if not store_password:
        raise RefusedOperation("a private key is only exported encrypted, and no password was given",
                               "give the keystore's password: the key is encrypted with it")
    record = get_certificate(home, serial)
    if not record.stores:
        raise NotFound(f"certificate {record.serial} has no keystore in this home", "only the certificate exports")
    if environment is not None and environment not in record.stores:
        stored = ", ".join(sorted(e.value for e in record.stores))
        raise NotFound(f"certificate {record.serial} has no {environment.value} keystore", f"it is in {stored}")
    path = record.stores[environment] if environment is not None else sorted(record.stores.items())[0][1]
    store = read_keystore(path, store_password)
    if store.certificate != record.certificate:
        raise RefusedOperation(f"the keystore {path.name} does not hold certificate {record.serial}",
                               "the home is damaged; export from the keystore itself")
    encoding = serialization.Encoding.PEM if fmt is ExportFormat.PEM else serialization.Encoding.DER
    data = store.key.private_bytes(encoding, serialization.PrivateFormat.PKCS8,
                                   serialization.BestAvailableEncryption(store_password))
    return record, data

