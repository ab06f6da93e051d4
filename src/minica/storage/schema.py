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
    (
        2,
        """
        -- The certificate request process (minica.ca.requests). No password is ever stored:
        -- the keystore password is sealed to the escrow key (sealed_password) and erased once
        -- used; platform passwords are stored as scrypt hashes.
        CREATE TABLE requests (
            radicado               TEXT PRIMARY KEY,      -- UUID
            channel                TEXT NOT NULL CHECK (channel IN ('dian', 'vendor')),
            status                 TEXT NOT NULL,
            form                   TEXT NOT NULL,         -- JSON, see RequestForm.to_json
            sections               TEXT NOT NULL DEFAULT '{}',  -- JSON {section: saved_at}
            platform_user          TEXT NOT NULL UNIQUE,
            platform_password_hash TEXT NOT NULL,
            must_change_password   INTEGER NOT NULL DEFAULT 1,
            sealed_password        BLOB,
            finalized_at           TEXT,
            rejection_round        INTEGER NOT NULL DEFAULT 0,
            rejected_at            TEXT,
            rejection_reason       TEXT,
            serial                 TEXT,
            created_at             TEXT NOT NULL,
            updated_at             TEXT NOT NULL
        );
        CREATE INDEX requests_status ON requests(status);
        CREATE TABLE request_events (
            id        INTEGER PRIMARY KEY,
            radicado  TEXT NOT NULL REFERENCES requests(radicado),
            at        TEXT NOT NULL,
            kind      TEXT NOT NULL,
            detail    TEXT NOT NULL DEFAULT '{}',
            once_key  TEXT UNIQUE                 -- reminders and expiry happen once each
        );
        CREATE INDEX request_events_radicado ON request_events(radicado);
        CREATE TABLE request_documents (
            id          INTEGER PRIMARY KEY,
            radicado    TEXT NOT NULL REFERENCES requests(radicado),
            kind        TEXT NOT NULL,
            filename    TEXT NOT NULL,
            size        INTEGER NOT NULL,
            sha256      TEXT NOT NULL,
            path        TEXT NOT NULL,
            uploaded_at TEXT NOT NULL
        );
        CREATE TABLE outbox (
            id            INTEGER PRIMARY KEY,
            radicado      TEXT,
            kind          TEXT NOT NULL,
            message_id    TEXT NOT NULL UNIQUE,
            at            TEXT NOT NULL,
            sender        TEXT NOT NULL,
            recipient     TEXT NOT NULL,
            subject       TEXT NOT NULL,
            path          TEXT NOT NULL,
            delivered_at  TEXT,
            delivery_error TEXT
        );
        CREATE TABLE request_payments (
            radicado   TEXT PRIMARY KEY REFERENCES requests(radicado),
            reference  TEXT NOT NULL,
            amount_cop INTEGER NOT NULL,
            paid_at    TEXT NOT NULL
        );
        CREATE TABLE certificate_loans (
            radicado   TEXT PRIMARY KEY REFERENCES requests(radicado),
            serial     TEXT NOT NULL,               -- the vendor's certificate
            nit        TEXT NOT NULL,               -- the borrowing company, digits only
            days       INTEGER NOT NULL,
            start_at   TEXT,                        -- fixed at the first signed-letter upload
            end_at     TEXT
        );
        CREATE INDEX certificate_loans_serial ON certificate_loans(serial);
        CREATE TABLE request_settings (
            name  TEXT PRIMARY KEY,
            value TEXT NOT NULL
        );
        """,
    ),
]
