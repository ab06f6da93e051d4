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
    (
        3,
        """
        -- DIAN's side (minica.dian): registered software with its numbering range and test set,
        -- the ZIPs received by the web service and every document in them, with DIAN's answer.
        -- The software PIN is needed in clear to recompute CUDE/CUNE, so it is sealed (AES-GCM)
        -- with a key of the home (dian/secrets.key), never stored in clear.
        CREATE TABLE dian_software (
            software_id           TEXT PRIMARY KEY,      -- UUID
            nit                   TEXT NOT NULL,         -- digits only, no DV
            dv                    INTEGER NOT NULL,
            provider_nit          TEXT NOT NULL,         -- digits only; the company itself if it is its own
            name                  TEXT NOT NULL,
            environment           TEXT NOT NULL CHECK (environment IN ('habilitacion', 'produccion')),
            sealed_pin            BLOB NOT NULL,
            test_set_id           TEXT NOT NULL UNIQUE,  -- UUID
            prefix                TEXT NOT NULL,
            from_number           INTEGER NOT NULL,
            to_number             INTEGER NOT NULL,
            resolution_number     TEXT NOT NULL,
            resolution_date       TEXT NOT NULL,
            valid_from            TEXT NOT NULL,
            valid_to              TEXT NOT NULL,
            technical_key         TEXT NOT NULL,
            required_invoices     INTEGER NOT NULL,
            required_credit_notes INTEGER NOT NULL,
            required_debit_notes  INTEGER NOT NULL,
            test_set_status       TEXT NOT NULL DEFAULT 'en_proceso'
                                  CHECK (test_set_status IN ('en_proceso', 'aceptado', 'rechazado')),
            test_set_decided_at   TEXT,
            registered_at         TEXT NOT NULL
        );
        CREATE INDEX dian_software_nit ON dian_software(nit);
        CREATE TABLE dian_zips (
            zip_key       TEXT PRIMARY KEY,              -- UUID, the answer of the async operations
            operation     TEXT NOT NULL,
            environment   TEXT NOT NULL CHECK (environment IN ('habilitacion', 'produccion')),
            file_name     TEXT NOT NULL,
            sender_nit    TEXT NOT NULL,
            test_set_id   TEXT,
            content       BLOB NOT NULL,                 -- the ZIP as received
            status        TEXT NOT NULL CHECK (status IN ('pending', 'done')),
            received_at   TEXT NOT NULL,
            processed_at  TEXT
        );
        CREATE INDEX dian_zips_status ON dian_zips(status);
        CREATE TABLE dian_documents (
            id                 INTEGER PRIMARY KEY,
            zip_key            TEXT REFERENCES dian_zips(zip_key),
            operation          TEXT NOT NULL,
            environment        TEXT NOT NULL CHECK (environment IN ('habilitacion', 'produccion')),
            file_name          TEXT NOT NULL,
            document_key       TEXT,                     -- CUFE/CUDE/CUNE as declared (the trackId)
            kind               TEXT,                     -- Invoice, CreditNote, …
            type_code          TEXT,                     -- 01, 02, 03, 91, 92, …
            number             TEXT,
            supplier_nit       TEXT,
            sender_nit         TEXT NOT NULL,
            software_id        TEXT,
            test_set_id        TEXT,
            status_code        TEXT NOT NULL,
            is_valid           INTEGER NOT NULL,
            status_description TEXT NOT NULL,
            status_message     TEXT NOT NULL,
            rules              TEXT NOT NULL DEFAULT '[]',  -- JSON [{rule, kind, message}]
            document           BLOB NOT NULL,
            application_response BLOB,                   -- DIAN's signed ApplicationResponse
            received_at        TEXT NOT NULL
        );
        -- A document is accepted once per environment: a second one is "procesado anteriormente".
        CREATE UNIQUE INDEX dian_documents_accepted ON dian_documents(environment, document_key) WHERE is_valid = 1;
        CREATE INDEX dian_documents_key ON dian_documents(document_key);
        CREATE INDEX dian_documents_zip ON dian_documents(zip_key);
        CREATE INDEX dian_documents_test_set ON dian_documents(test_set_id);
        """,
    ),
]
