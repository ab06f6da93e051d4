"""Crash safety: every change to a home is all there or not there, even after ``kill -9``.

A command that changes the home writes its files (keystores, e-mails, uploads, the CA) inside the
database transaction that records them, and commits last. A process killed before the commit loses
its rows with the transaction (SQLite rolls it back), but its files stay behind: keystores nobody
knows, half-written ``.tmp`` files. Exception handlers cannot clean up, because SIGKILL runs none.

So each such transaction is *journaled*: :func:`home_transaction` takes the database's write lock
(``BEGIN IMMEDIATE``: one writer per home at a time), drops a marker file in ``<home>/.journal/``,
does the work, commits, and only then removes the marker. A marker that the next writer finds, under
the same lock, belongs to a writer that died (live writers hold the lock or have committed), and
that writer first reconciles the home with the database (:func:`reconcile`):

- temporary files of :func:`~minica.storage.files.atomic_write` are removed;
- keystores, outbox e-mails and request uploads that no committed row names are removed, and so is
  the request escrow key while no request was ever filed (the first filing creates it);
- the mock DIAN's PIN key (``dian/secrets.key``) while no software was ever registered;
- a staged CA (``ca.partial/``, see :mod:`minica.ca.hierarchy`) is finished if its rows committed,
  else removed.

Files are matched by name inside their folder (never by absolute path), so a copied or moved home
reconciles the same way.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import sqlite3
import uuid
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from minica.storage.database import Database
from minica.storage.files import private_dir, temporary_target
from minica.storage.home import Home

#: Folder name of a CA being created (renamed to ``ca`` once its rows committed).
STAGED_CA = "ca.partial"


@dataclass
class HomeWrite:
    """An open, journaled write transaction on a home: its connection, and the files written so far
    (removed again if the transaction fails)."""

    home: Home
    conn: sqlite3.Connection
    written: list[Path] = field(default_factory=list)
    #: Work to do once the transaction committed (e.g. renaming a staged folder into place).
    after_commit: list[Callable[[], None]] = field(default_factory=list)


@contextlib.contextmanager
def home_transaction(home: Home, db: Database | None = None) -> Iterator[HomeWrite]:
    """One all-or-nothing change of ``home``: database rows and files together.

    Raising inside the block removes the files written (``HomeWrite.written``) and rolls the rows
    back; being killed inside it leaves a marker, and the next writer reconciles.
    """
    with contextlib.ExitStack() as stack:
        if db is None:
            db = stack.enter_context(Database.open(home))
        marker: Path | None = None
        try:
            with db.transaction() as conn:
                if has_markers(home):
                    reconcile(home, conn)
                marker = _mark(home)
                write = HomeWrite(home, conn)
                try:
                    yield write
                except BaseException:
                    _remove(write.written)
                    raise
            for action in write.after_commit:
                action()
        finally:
            if marker is not None:
                with contextlib.suppress(FileNotFoundError):
                    marker.unlink()


def recover(home: Home) -> None:
    """Reconcile ``home`` now if a writer died in it (a no-op otherwise, without taking the lock)."""
    if has_markers(home) and home.db_path.exists():
        with home_transaction(home):
            pass


def journal_dir(home: Home) -> Path:
    return home.root / ".journal"


def has_markers(home: Home) -> bool:
    try:
        return any(os.scandir(journal_dir(home)))
    except FileNotFoundError:
        return False


def _mark(home: Home) -> Path:
    marker = private_dir(journal_dir(home)) / f"{os.getpid()}-{uuid.uuid4().hex}.pending"
    fd = os.open(marker, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    os.close(fd)
    return marker


def _remove(paths: Iterable[Path]) -> None:
    for path in paths:
        with contextlib.suppress(FileNotFoundError):
            if path.is_dir() and not path.is_symlink():
                shutil.rmtree(path)
            else:
                path.unlink()


def reconcile(home: Home, conn: sqlite3.Connection) -> list[Path]:
    """Bring the files of ``home`` in line with its committed rows; return what was removed.

    Call only while holding the write lock (inside :func:`home_transaction`), so that no other
    writer is between writing its files and committing them.
    """
    removed: list[Path] = []
    _finish_staged_ca(home, conn, removed)
    stores = {(row[0], Path(row[1]).name) for row in conn.execute("SELECT environment, path FROM certificate_stores")}
    for env_dir in _subdirs(home.stores_root):
        known = {name for env, name in stores if env == env_dir.name}
        removed += _sweep(env_dir, _unknown(known, suffix=".p12"))
    outbox = {Path(row[0]).name for row in conn.execute("SELECT path FROM outbox")}
    removed += _sweep(home.outbox_dir, _unknown(outbox, suffix=".eml"))
    uploads = {Path(row[0]).parts[-3:] for row in conn.execute("SELECT path FROM request_documents")}
    for request_dir in _subdirs(home.requests_dir):
        known = {parts[2] for parts in uploads if parts[:2] == (request_dir.name, "documents")}
        removed += _sweep(request_dir / "documents", _unknown(known))
    escrow = home.requests_dir / "escrow.key"
    if not conn.execute("SELECT 1 FROM requests LIMIT 1").fetchone():
        # Made by the first request, which never committed: nothing was ever sealed to it.
        removed += _sweep(home.requests_dir, lambda name: name == escrow.name)
    dian = home.root / "dian"
    if not conn.execute("SELECT 1 FROM dian_software LIMIT 1").fetchone():
        # Made by the first software registration, which never committed: it sealed nothing.
        removed += _sweep(dian, lambda name: name == "secrets.key")
    for folder in (home.root, home.ca_dir, home.requests_dir, home.signed_dir, dian):
        removed += _sweep(folder, lambda _name: False)
    for marker in _entries(journal_dir(home)):
        with contextlib.suppress(FileNotFoundError):
            marker.unlink()
    return removed


def _unknown(known: set[str], *, suffix: str = "") -> Callable[[str], bool]:
    """Whether a file name (with ``suffix``) is one no committed row names."""
    return lambda name: name.endswith(suffix) and name not in known


def _finish_staged_ca(home: Home, conn: sqlite3.Connection, removed: list[Path]) -> None:
    """A CA staged by ``init``: its rows committed → move it into place; else it never happened."""
    staged = home.root / STAGED_CA
    if not staged.is_dir():
        return
    if _staged_ca_committed(staged, conn):
        with contextlib.suppress(OSError):  # replaces an empty ca/; a CA already in place is never touched
            os.replace(staged, home.ca_dir)
        return
    shutil.rmtree(staged, ignore_errors=True)
    removed.append(staged)


def _staged_ca_committed(staged: Path, conn: sqlite3.Connection) -> bool:
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes

    try:
        issuing = x509.load_pem_x509_certificate((staged / "issuing.crt").read_bytes())
    except (OSError, ValueError):
        return False  # the staged CA was never complete, so its rows cannot have committed
    fingerprint = issuing.fingerprint(hashes.SHA256()).hex()
    return conn.execute("SELECT 1 FROM authorities WHERE fingerprint = ?", (fingerprint,)).fetchone() is not None


def _subdirs(path: Path) -> list[Path]:
    return [entry for entry in _entries(path) if entry.is_dir() and not entry.is_symlink()]


def _entries(path: Path) -> list[Path]:
    try:
        return [Path(entry.path) for entry in os.scandir(path)]
    except (FileNotFoundError, NotADirectoryError):
        return []


def _sweep(folder: Path, orphan: Callable[[str], bool]) -> list[Path]:
    """Remove the temporary files of ``folder`` and the regular files ``orphan`` names."""
    removed = []
    for path in _entries(folder):
        if path.is_file() and not path.is_symlink() and (temporary_target(path.name) is not None or orphan(path.name)):
            with contextlib.suppress(FileNotFoundError):
                path.unlink()
                removed.append(path)
    return removed
