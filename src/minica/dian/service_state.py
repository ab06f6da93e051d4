"""What a process running the local DIAN keeps per home between requests (:mod:`minica.dian.service`).

Kept: one database connection (a worker runs one request at a time), the CA (reloaded when its
certificate file changes) and the chain paths of the WS-Security certificates seen
(:class:`~minica.dian.wssecurity.TokenPaths`, which CA signed which certificate never changes).
Nothing of a request is kept: validity, revocation and every document check run for each one.

Writes are durable and short: a document's row is committed with ``synchronous = FULL`` (the WAL is
fsync'd before the answer leaves, so an accepted document survives a power cut), and the workers of
a server queue for the write on a lock file, woken as soon as it is free, instead of in SQLite's
busy handler, which sleeps 1, 2, 5, 10… ms between tries.
"""

from __future__ import annotations

import contextlib
import datetime as _dt
import fcntl
import os
import sqlite3
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes

from minica.ca.hierarchy import Authority, load_authority
from minica.ca.revocation import Revocation
from minica.dian.pin_seal import dian_dir
from minica.dian.wssecurity import TokenPaths
from minica.storage.database import Database
from minica.storage.files import private_dir
from minica.storage.home import Home

#: The lock file the writing workers of a home queue on (in ``<home>/dian``).
WRITE_LOCK = "write.lock"
#: WAL pages past which a request's commit copies the log into the database itself (SQLite's
#: default is 1,000, about 80 documents: a pause of 10 ms and more for that request). A server
#: does it sooner and in the background (:func:`checkpoint`); this bounds the log without one.
WORKER_CHECKPOINT_PAGES = 8192
_SHA256 = hashes.SHA256()
_homes: dict[Path, HomeState] = {}


class RequestRevocation:
    """Revocation answered from the CA database for one request: one indexed query per certificate,
    asked once even when the WS-Security token and the document's signer are the same certificate."""

    def __init__(self, conn: sqlite3.Connection) -> None:
        self.conn = conn
        self._answers: dict[x509.Certificate, Revocation | None] = {}

    def revocation_of(self, certificate: x509.Certificate) -> Revocation | None:
        if certificate in self._answers:
            return self._answers[certificate]
        row = self.conn.execute("SELECT revoked_at, revocation_reason FROM certificates WHERE fingerprint = ?"
                                " AND status = 'revoked'", (certificate.fingerprint(_SHA256).hex(),)).fetchone()
        answer = None if row is None else Revocation(_dt.datetime.fromisoformat(row[0]), row[1] or "unspecified")
        self._answers[certificate] = answer
        return answer


@dataclass
class HomeState:
    """A home's connection, CA and token paths, as one process keeps them (see the module)."""

    home: Home
    db: Database
    stamp: float = -1.0
    authority: Authority | None = None
    tokens: TokenPaths | None = None
    _lock_fd: int | None = field(default=None, repr=False)

    def current_authority(self) -> Authority:
        """The home's CA, read again when its issuing certificate file changed."""
        try:
            stamp = self.home.issuing_cert_path.stat().st_mtime
        except FileNotFoundError:
            stamp = -1.0
        if self.authority is None or stamp != self.stamp:
            self.authority, self.stamp = load_authority(self.home), stamp
            self.tokens = TokenPaths([self.authority.root], [self.authority.issuing])
        return self.authority

    def token_paths(self) -> TokenPaths:
        """The chain paths of WS-Security certificates to the CA :meth:`current_authority` last read."""
        if self.tokens is None:
            self.current_authority()
        assert self.tokens is not None
        return self.tokens

    @contextlib.contextmanager
    def write(self) -> Iterator[sqlite3.Connection]:
        """One durable write transaction, after the other workers' (see the module)."""
        if self._lock_fd is None:
            path = private_dir(dian_dir(self.home)) / WRITE_LOCK
            self._lock_fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
        fcntl.flock(self._lock_fd, fcntl.LOCK_EX)
        try:
            with self.db.transaction() as conn:
                yield conn
        finally:
            fcntl.flock(self._lock_fd, fcntl.LOCK_UN)


def home_state(home: Home) -> HomeState:
    """This process's state for ``home``, opened on first use."""
    state = _homes.get(home.root)
    if state is None:
        db = Database.open(home)
        db.connection.execute("PRAGMA synchronous = FULL")  # WAL fsync'd at each commit: see the module
        db.connection.execute(f"PRAGMA wal_autocheckpoint = {WORKER_CHECKPOINT_PAGES}")
        state = _homes[home.root] = HomeState(home, db)
    return state


def checkpoint(home: Home) -> None:
    """Copy the write-ahead log of ``home``'s database into it now, on a connection of its own
    (PASSIVE: the writers go on meanwhile). A server calls it between requests, so none waits."""
    if not home.db_path.exists():
        return
    with Database.open(home) as db:
        db.connection.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchone()
