"""The CA database: SQLite in WAL mode, migrated on open, one writer transaction at a time.

Concurrency: every write runs in ``BEGIN IMMEDIATE``, so two processes issuing at once serialise on
the database lock (with a generous busy timeout) instead of failing or losing a row; serial numbers
are unique by primary key, and a collision (2^-159) simply retries with a new serial.
"""

from __future__ import annotations

import contextlib
import sqlite3
from collections.abc import Iterator
from pathlib import Path

from minica.errors import MinicaError
from minica.storage.files import private_dir
from minica.storage.home import Home
from minica.storage.schema import MIGRATIONS

_BUSY_TIMEOUT_MS = 30_000


class Database:
    """A connection to a home's database. Use :meth:`transaction` for every write."""

    def __init__(self, path: Path) -> None:
        self.path = path
        private_dir(path.parent)
        fresh = not path.exists()
        self._conn = sqlite3.connect(
            path, timeout=_BUSY_TIMEOUT_MS / 1000, isolation_level=None, check_same_thread=False
        )
        if fresh:
            path.chmod(0o600)
        self._conn.row_factory = sqlite3.Row
        self._conn.execute(f"PRAGMA busy_timeout = {_BUSY_TIMEOUT_MS}")
        self._conn.execute("PRAGMA foreign_keys = ON")
        mode = self._conn.execute("PRAGMA journal_mode = WAL").fetchone()[0]
        if mode.lower() != "wal":  # pragma: no cover - only on filesystems without shared memory
            raise MinicaError(f"cannot use WAL mode on {path}", "put the home on a local disk")
        self._migrate()

    @classmethod
    def open(cls, home: Home) -> Database:
        return cls(home.db_path)

    @property
    def connection(self) -> sqlite3.Connection:
        return self._conn

    def close(self) -> None:
        self._conn.close()

    def __enter__(self) -> Database:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @contextlib.contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        """A write transaction: all of it commits, or none of it does."""
        self._conn.execute("BEGIN IMMEDIATE")
        try:
            yield self._conn
        except BaseException:
            self._conn.execute("ROLLBACK")
            raise
        else:
            self._conn.execute("COMMIT")

    def schema_version(self) -> int:
        return int(self._conn.execute("PRAGMA user_version").fetchone()[0])

    def _migrate(self) -> None:
        if self.schema_version() >= MIGRATIONS[-1][0]:
            return
        with self.transaction() as conn:
            current = int(conn.execute("PRAGMA user_version").fetchone()[0])
            for version, sql in MIGRATIONS:
                if version <= current:
                    continue
                for statement in _statements(sql):
                    conn.execute(statement)
                conn.execute(f"PRAGMA user_version = {int(version)}")


def _statements(script: str) -> list[str]:
    """Split a migration script into statements (sqlite3.executescript would commit early)."""
    statements, buffer = [], ""
    for line in script.splitlines(keepends=True):
        buffer += line
        if sqlite3.complete_statement(buffer):
            statements.append(buffer.strip())
            buffer = ""
    if buffer.strip():
        statements.append(buffer.strip())
    return statements
