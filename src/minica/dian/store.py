"""What the local DIAN keeps: every ZIP received, every document with its answer, all as rows (the
XML and DIAN's ApplicationResponse as BLOBs, atomic with their rows), so a restart loses nothing."""

from __future__ import annotations

import datetime as _dt
import json
import sqlite3
from dataclasses import dataclass
from typing import Any

from minica.dian.validation import DUPLICATE_RULE, DocumentOutcome, RuleResult
from minica.environment import Environment
from minica.storage.database import Database
from minica.storage.home import Home


@dataclass(frozen=True)
class StoredDocument:
    """A received document and DIAN's answer, as recorded."""

    id: int
    zip_key: str | None
    operation: str
    environment: str
    file_name: str
    document_key: str | None
    kind: str | None
    type_code: str | None
    number: str | None
    supplier_nit: str | None
    sender_nit: str
    software_id: str | None
    test_set_id: str | None
    status_code: str
    is_valid: bool
    status_description: str
    status_message: str
    rules: tuple[RuleResult, ...]
    received_at: str
    document: bytes
    application_response: bytes | None

    def to_json(self, *, with_xml: bool = False) -> dict[str, Any]:
        data: dict[str, Any] = {
            "id": self.id, "zip_key": self.zip_key, "operation": self.operation, "environment": self.environment,
            "file_name": self.file_name, "document_key": self.document_key, "kind": self.kind,
            "type_code": self.type_code, "number": self.number, "supplier_nit": self.supplier_nit,
            "sender_nit": self.sender_nit, "software_id": self.software_id, "test_set_id": self.test_set_id,
            "status_code": self.status_code, "is_valid": self.is_valid,
            "status_description": self.status_description, "status_message": self.status_message,
            "rules": [r.to_json() for r in self.rules], "received_at": self.received_at,
        }
        if with_xml:
            import base64

            data["document_base64"] = base64.b64encode(self.document).decode("ascii")
            data["application_response_base64"] = (base64.b64encode(self.application_response).decode("ascii")
                                                   if self.application_response else None)
        return data


def _document(row: sqlite3.Row) -> StoredDocument:
    rules = tuple(RuleResult(r["rule"], r["kind"] == "Rechazo", r["message"]) for r in json.loads(row["rules"]))
    return StoredDocument(
        id=row["id"], zip_key=row["zip_key"], operation=row["operation"], environment=row["environment"],
        file_name=row["file_name"], document_key=row["document_key"], kind=row["kind"], type_code=row["type_code"],
        number=row["number"], supplier_nit=row["supplier_nit"], sender_nit=row["sender_nit"],
        software_id=row["software_id"], test_set_id=row["test_set_id"], status_code=row["status_code"],
        is_valid=bool(row["is_valid"]), status_description=row["status_description"],
        status_message=row["status_message"], rules=rules, received_at=row["received_at"],
        document=bytes(row["document"]),
        application_response=bytes(row["application_response"]) if row["application_response"] else None,
    )


def with_duplicate_check(conn: sqlite3.Connection, outcome: DocumentOutcome,
                         environment: Environment) -> DocumentOutcome:
    """``outcome`` refused as processed before when a document with its key was already accepted
    (call inside the write transaction that records it)."""
    if not outcome.is_valid or not outcome.document_key:
        return outcome
    found = conn.execute("SELECT 1 FROM dian_documents WHERE environment = ? AND document_key = ? AND is_valid = 1",
                         (environment.value, outcome.document_key.strip().lower())).fetchone()
    if found is None:
        return outcome
    return outcome.with_rule(RuleResult(DUPLICATE_RULE, True, "Documento procesado anteriormente."))


def record_document(conn: sqlite3.Connection, outcome: DocumentOutcome, *, operation: str, environment: Environment,
                    data: bytes, application_response: bytes | None, sender_nit: str, zip_key: str | None,
                    test_set_id: str | None, now: _dt.datetime) -> int:
    """Insert one received document and its answer (in the caller's transaction); its id."""
    cursor = conn.execute(
        "INSERT INTO dian_documents (zip_key, operation, environment, file_name, document_key, kind, type_code,"
        " number, supplier_nit, sender_nit, software_id, test_set_id, status_code, is_valid, status_description,"
        " status_message, rules, document, application_response, received_at)"
        " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (zip_key, operation, environment.value, outcome.file_name,
         outcome.document_key.strip().lower() if outcome.document_key else None, outcome.kind, outcome.type_code,
         outcome.number, outcome.supplier_nit, sender_nit, outcome.software_id, test_set_id, outcome.status_code,
         int(outcome.is_valid), outcome.description, outcome.message,
         json.dumps([r.to_json() for r in outcome.rules], ensure_ascii=False), data, application_response,
         now.isoformat()),
    )
    return int(cursor.lastrowid or 0)


def document_by_key(conn: sqlite3.Connection, environment: Environment, key: str) -> StoredDocument | None:
    """The document with CUFE/CUDE/CUNE ``key`` in ``environment``: the accepted one, else the latest."""
    row = conn.execute("SELECT * FROM dian_documents WHERE environment = ? AND document_key = ?"
                       " ORDER BY is_valid DESC, id DESC LIMIT 1", (environment.value, key.strip().lower())).fetchone()
    return _document(row) if row is not None else None


def documents_of_zip(conn: sqlite3.Connection, zip_key: str) -> list[StoredDocument]:
    return [_document(r) for r in conn.execute("SELECT * FROM dian_documents WHERE zip_key = ? ORDER BY id",
                                               (zip_key,))]


def list_documents(conn: sqlite3.Connection, *, environment: Environment | None = None,
                   test_set_id: str | None = None, limit: int = 1000) -> list[StoredDocument]:
    """Received documents, newest first."""
    where, args = [], []
    if environment is not None:
        where.append("environment = ?")
        args.append(environment.value)
    if test_set_id is not None:
        where.append("test_set_id = ?")
        args.append(test_set_id)
    clause = ("WHERE " + " AND ".join(where)) if where else ""
    rows = conn.execute(f"SELECT * FROM dian_documents {clause} ORDER BY id DESC LIMIT ?", (*args, limit))
    return [_document(r) for r in rows]


@dataclass(frozen=True)
class StoredZip:
    zip_key: str
    operation: str
    environment: Environment
    file_name: str
    sender_nit: str
    test_set_id: str | None
    content: bytes
    status: str


def record_zip(conn: sqlite3.Connection, *, zip_key: str, operation: str, environment: Environment, file_name: str,
               sender_nit: str, test_set_id: str | None, content: bytes, now: _dt.datetime) -> None:
    conn.execute("INSERT INTO dian_zips (zip_key, operation, environment, file_name, sender_nit, test_set_id,"
                 " content, status, received_at) VALUES (?, ?, ?, ?, ?, ?, ?, 'pending', ?)",
                 (zip_key, operation, environment.value, file_name, sender_nit, test_set_id, content,
                  now.isoformat()))


def get_zip(conn: sqlite3.Connection, zip_key: str) -> StoredZip | None:
    row = conn.execute("SELECT * FROM dian_zips WHERE zip_key = ?", (zip_key,)).fetchone()
    if row is None:
        return None
    return StoredZip(row["zip_key"], row["operation"], Environment(row["environment"]), row["file_name"],
                     row["sender_nit"], row["test_set_id"], bytes(row["content"]), row["status"])


def mark_zip_done(conn: sqlite3.Connection, zip_key: str, now: _dt.datetime) -> None:
    conn.execute("UPDATE dian_zips SET status = 'done', processed_at = ? WHERE zip_key = ?", (now.isoformat(), zip_key))


def pending_zip_keys(conn: sqlite3.Connection) -> list[str]:
    return [r[0] for r in conn.execute("SELECT zip_key FROM dian_zips WHERE status = 'pending' ORDER BY received_at")]


def received_documents(home: Home, *, environment: Environment | None = None, test_set_id: str | None = None,
                       limit: int = 1000) -> list[StoredDocument]:
    """What the local DIAN received in ``home``, newest first (for ``minica dian documents`` and the API)."""
    if not home.db_path.exists():
        return []
    with Database.open(home) as db:
        return list_documents(db.connection, environment=environment, test_set_id=test_set_id, limit=limit)
