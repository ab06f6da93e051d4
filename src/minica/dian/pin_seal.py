"""Keeping the software PIN without keeping it in clear.

DIAN must know each software's PIN: the CUDE of credit and debit notes, the CUNE of payroll and the
``SoftwareSecurityCode`` of every document are SHA-384 over the document's fields *and the PIN*, and
DIAN recomputes them for every document it receives. A hash of the PIN cannot do that, so the mock
keeps the PIN itself, **sealed**: AES-256-GCM under a key of the home (``dian/secrets.key``, 32
random bytes, 0600, created with the first registration), with the software ID as associated data
(a sealed PIN cannot be moved to another software). The database, its backups or a copy attached to
a bug report never reveal a PIN; the home as a whole does, as DIAN's own database does to DIAN.
"""

from __future__ import annotations

import os
from pathlib import Path

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from minica.errors import MinicaError
from minica.storage.files import atomic_write
from minica.storage.home import Home
from minica.storage.recovery import HomeWrite

_VERSION = b"MDP1"
KEY_FILE = "secrets.key"


def dian_dir(home: Home) -> Path:
    """``<home>/dian``: the mock DIAN's files (its secrets key, its signing key and certificate)."""
    return home.root / "dian"


def _key_path(home: Home) -> Path:
    return dian_dir(home) / KEY_FILE


def _load_or_create(write: HomeWrite) -> bytes:
    """The home's PIN key, created inside ``write`` (under the home's write lock) on first use."""
    path = _key_path(write.home)
    if path.exists():
        return _load(write.home)
    key = AESGCM.generate_key(bit_length=256)
    atomic_write(path, key, mode=0o600, exclusive=True)
    write.written.append(path)
    return key


def _load(home: Home) -> bytes:
    try:
        key = _key_path(home).read_bytes()
    except FileNotFoundError:
        raise MinicaError(f"the mock DIAN's key {_key_path(home)} is missing",
                          "restore it from a backup, or register the software again") from None
    if len(key) != 32:
        raise MinicaError(f"the mock DIAN's key {_key_path(home)} is damaged", "restore it from a backup")
    return key


def seal_pin(write: HomeWrite, software_id: str, pin: str) -> bytes:
    """``pin`` sealed for ``software_id``: ``MDP1 | nonce | AES-GCM(pin)``."""
    nonce = os.urandom(12)
    body = AESGCM(_load_or_create(write)).encrypt(nonce, pin.encode("utf-8"), software_id.encode("ascii"))
    return _VERSION + nonce + body


def unseal_pin(home: Home, software_id: str, sealed: bytes) -> str:
    """The PIN sealed by :func:`seal_pin` for the same ``software_id``."""
    if not sealed.startswith(_VERSION):
        raise MinicaError(f"the sealed PIN of software {software_id} is damaged", "register the software again")
    try:
        pin = AESGCM(_load(home)).decrypt(sealed[4:16], sealed[16:], software_id.encode("ascii"))
    except InvalidTag:
        raise MinicaError(f"the sealed PIN of software {software_id} cannot be opened",
                          "the home's dian/secrets.key changed or the record was altered; register again") from None
    return pin.decode("utf-8")
