"""The audit log: one row per operation, written in the operation's own transaction."""

from __future__ import annotations

import datetime as _dt
import json
import sqlite3
from typing import Any

#: Keys that must never reach the log, whatever a caller passes.
_SECRET_KEYS = {"password", "store_password", "ca_password", "pin", "secret", "token"}


def record(
    conn: sqlite3.Connection, when: _dt.datetime, action: str, target: str, detail: dict[str, Any]
) -> None:
    """Append an audit entry (inside the caller's transaction)."""
    clean = {k: v for k, v in detail.items() if k.lower() not in _SECRET_KEYS}
    conn.execute(
        "INSERT INTO audit_log (at, action, target, detail) VALUES (?, ?, ?, ?)",
        (when.isoformat(), action, target, json.dumps(clean, ensure_ascii=False, default=str)),
    )


def entries(conn: sqlite3.Connection, limit: int = 100) -> list[dict[str, Any]]:
    rows = conn.execute(
        "SELECT at, action, target, detail FROM audit_log ORDER BY id DESC LIMIT ?", (limit,)
    ).fetchall()
    return [
        {"at": r["at"], "action": r["action"], "target": r["target"], "detail": json.loads(r["detail"])}
        for r in rows
    ]
