"""The CA database schema, as an ordered list of migrations.

Each migration runs once, in order, inside one transaction that also bumps ``PRAGMA user_version``.
Append new migrations at the end; never edit one that has shipped.
"""

from __future__ import annotations

MIGRATIONS: list[tuple[int, str]] = [
    (
        1,
        """
        CREATE TABLE authorities (
            id            INTEGER PRIMARY KEY,
            role          TEXT NOT NULL CHECK (role IN ('root', 'issuing', 'ocsp')),
            subject       TEXT NOT NULL,
            serial        TEXT NOT NULL,
            not_before    TEXT NOT NULL,
            not_after     TEXT NOT NULL,
            fingerprint   TEXT NOT NULL UNIQUE,
            cert_path     TEXT NOT NULL,
            key_encrypted INTEGER NOT NULL,
            created_at    TEXT NOT NULL
        );
        CREATE TABLE certificates (
            serial            TEXT PRIMARY KEY,      -- hex, upper-case, unique per issuer
            issuer_id         INTEGER NOT NULL REFERENCES authorities(id),
            nit               TEXT NOT NULL,         -- digits only, no DV
            dv                INTEGER NOT NULL,
            name              TEXT NOT NULL,
            person            TEXT NOT NULL,
            profile           TEXT NOT NULL,
            subject           TEXT NOT NULL,
            email             TEXT,
            not_before        TEXT NOT NULL,
            not_after         TEXT NOT NULL,
            fingerprint       TEXT NOT NULL UNIQUE,  -- SHA-256 of the DER, hex
            p12_profile       TEXT NOT NULL,
            key_usage_ok      INTEGER NOT NULL DEFAULT 1,
            status            TEXT NOT NULL DEFAULT 'issued' CHECK (status IN ('issued', 'revoked')),
            revoked_at        TEXT,
            revocation_reason TEXT,
            cert_pem          TEXT NOT NULL,
            issued_at         TEXT NOT NULL
        );
        CREATE INDEX certificates_nit ON certificates(nit);
        CREATE TABLE certificate_stores (
            serial      TEXT NOT NULL REFERENCES certificates(serial),
            environment TEXT NOT NULL CHECK (environment IN ('habilitacion', 'produccion')),
            path        TEXT NOT NULL,
            PRIMARY KEY (serial, environment)
        );
        CREATE TABLE audit_log (
            id      INTEGER PRIMARY KEY,
            at      TEXT NOT NULL,
            action  TEXT NOT NULL,
            target  TEXT NOT NULL,
            detail  TEXT NOT NULL DEFAULT '{}'
        );
        CREATE TABLE counters (
            name  TEXT PRIMARY KEY,
            value INTEGER NOT NULL
        );
        """,
    ),
]
