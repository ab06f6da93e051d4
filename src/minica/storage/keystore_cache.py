"""Opened keystores kept for reuse by a long-running process (a ``minica serve`` worker).

Opening a PKCS#12 file decrypts it (a few milliseconds); a server that signs for the same company all
day need not do that per request. A :class:`KeystoreCache` still reads the file every time (a few
kilobytes) and hands back the keystore it opened before when the *same bytes* (by SHA-256) come
with the *same password* (compared by an HMAC under a key that exists only in this process's
memory, so the cache holds no reusable digest of it). So a rewritten or replaced file, or another
password, opens the file again — however quickly it was rewritten — and a wrong password is never
answered from the cache.

Only what the file holds is cached. Whether its certificate may sign now — validity, revocation,
environment, loans — is for the caller to decide at every signature, as
:class:`minica.signing.service.Signer` does.
"""

from __future__ import annotations

import collections
import hashlib
import hmac
import os
import threading
from pathlib import Path

from minica.errors import UnreadableKeystore
from minica.storage.files import read_input
from minica.storage.keystore import Keystore, load_keystore

_Key = tuple[str, bytes, bytes]


class KeystoreCache:
    """At most ``capacity`` opened keystores, the least recently used dropped first. Thread-safe."""

    def __init__(self, capacity: int = 16) -> None:
        if capacity < 1:
            raise ValueError("a keystore cache holds at least one keystore")
        self.capacity = capacity
        self._secret = os.urandom(32)
        self._entries: collections.OrderedDict[_Key, Keystore] = collections.OrderedDict()
        self._lock = threading.Lock()

    def open(self, path: Path, password: bytes) -> Keystore:
        """The keystore at ``path`` opened with ``password``: from the cache when neither changed,
        else decrypted (raising what :func:`~minica.storage.keystore.read_keystore` raises)."""
        data = read_input(path, "keystore", error=UnreadableKeystore)
        key = (
            str(path.resolve()),
            hashlib.sha256(data).digest(),
            hmac.new(self._secret, password, hashlib.sha256).digest(),
        )
        with self._lock:
            store = self._entries.get(key)
            if store is not None:
                self._entries.move_to_end(key)
                return store
        store = load_keystore(data, password, source=str(path))
        with self._lock:
            self._entries[key] = store
            while len(self._entries) > self.capacity:
                self._entries.popitem(last=False)
        return store

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()
