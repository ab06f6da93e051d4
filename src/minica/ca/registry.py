"""What the CA issued: reading certificate records, and revoking.

Reading never opens a keystore: everything ``certs list`` and ``check`` need is in the database.
"""

from __future__ import annotations

import contextlib
import datetime as _dt
import enum
import sqlite3
from pathlib import Path
from typing import Any, NamedTuple

from cryptography import x509

from minica.ca.hierarchy import require_ca
from minica.ca.names import display_name
from minica.clock import colombian
from minica.environment import Environment
from minica.errors import InvalidInput, NotFound, RefusedOperation
from minica.identity import Nit
from minica.storage.database import Database
from minica.storage.home import Home


class RevocationReason(str, enum.Enum):
    """RFC 5280 CRLReason values a user may give (``removeFromCRL`` is for delta CRLs only)."""

    UNSPECIFIED = "unspecified"
    KEY_COMPROMISE = "keyCompromise"
    CA_COMPROMISE = "cACompromise"
    AFFILIATION_CHANGED = "affiliationChanged"
    SUPERSEDED = "superseded"
    CESSATION_OF_OPERATION = "cessationOfOperation"
    CERTIFICATE_HOLD = "certificateHold"
    PRIVILEGE_WITHDRAWN = "privilegeWithdrawn"
    AA_COMPROMISE = "aACompromise"

    @classmethod
    def parse(cls, text: str) -> RevocationReason:
        plain = text.replace("-", "").replace("_", "").lower()
        for reason in cls:
            if reason.value.lower() == plain:
                return reason
        names = ", ".join(r.value for r in cls)
        raise InvalidInput(f"unknown revocation reason '{text}'", f"use one of {names}")

    @property
    def x509_flag(self) -> x509.ReasonFlags:
        return x509.ReasonFlags(self.value)


class CertificateRecord(NamedTuple):  # not a dataclass: cheaper to define, at every start
    """One issued certificate as the database knows it."""

    serial: str
    nit: str
    dv: int
    name: str
    person: str
    profile: str
    subject: str
    email: str | None
    not_before: _dt.datetime
    not_after: _dt.datetime
    fingerprint: str
    p12_profile: str
    status: str
    revoked_at: _dt.datetime | None
    revocation_reason: str | None
    issued_at: _dt.datetime
    cert_pem: str
    stores: dict[Environment, Path]
    #: The key usage allows signing (``issue --key-usage encipherment`` makes one that does not).
    key_usage_ok: bool = True

    @property
    def serial_int(self) -> int:
        return int(self.serial, 16)

    @property
    def nit_with_dv(self) -> str:
        return f"{self.nit}-{self.dv}"

    @property
    def certificate(self) -> x509.Certificate:
        return x509.load_pem_x509_certificate(self.cert_pem.encode())

    def revoked_by(self, now: _dt.datetime) -> bool:
        """Revoked at ``now`` (a revocation recorded later than ``now`` does not count yet)."""
        return self.revoked_at is not None and self.revoked_at <= now

    def state(self, now: _dt.datetime) -> str:
        """``valid``, ``expired``, ``not_yet_valid`` or ``revoked`` at ``now`` (the worst wins)."""
        if self.revoked_by(now):
            return "revoked"
        if now > self.not_after:
            return "expired"
        return "not_yet_valid" if now < self.not_before else "valid"

    @property
    def scenario(self) -> bool:
        """Made on purpose to test a refusal, not to sign: issued already expired or not yet valid,
        with a key usage that may not sign, or revoked. A certificate issued for use that later
        expires is *not* a scenario (monitoring must keep seeing it)."""
        issued_expired = self.not_after <= self.issued_at
        issued_future = self.not_before > self.issued_at + _dt.timedelta(minutes=5)
        return self.revoked_at is not None or issued_expired or issued_future or not self.key_usage_ok

    def to_json(self) -> dict[str, Any]:
        return {
            "serial": self.serial,
            "nit": self.nit_with_dv,
            "name": self.name,
            "person": self.person,
            "profile": self.profile,
            "subject": self.subject,
            "email": self.email,
            "not_before": colombian(self.not_before).isoformat(),
            "not_after": colombian(self.not_after).isoformat(),
            "fingerprint_sha256": self.fingerprint,
            "p12_profile": self.p12_profile,
            "revoked_at": colombian(self.revoked_at).isoformat() if self.revoked_at else None,
            "revocation_reason": self.revocation_reason,
            "issued_at": colombian(self.issued_at).isoformat(),
            "environments": sorted(e.value for e in self.stores),
            "stores": {e.value: str(p) for e, p in sorted(self.stores.items())},
        }


def _time(text: str | None) -> _dt.datetime | None:
    return _dt.datetime.fromisoformat(text) if text else None


def _records(
    home: Home, conn: sqlite3.Connection, where: str = "", args: tuple[Any, ...] = ()
) -> list[CertificateRecord]:
    rows = conn.execute(f"SELECT * FROM certificates {where} ORDER BY issued_at, serial", args).fetchall()
    stores: dict[str, dict[Environment, Path]] = {}
    for row in conn.execute("SELECT serial, environment, path FROM certificate_stores"):
        stores.setdefault(row["serial"], {})[Environment(row["environment"])] = home.resolve(row["path"])
    return [
        CertificateRecord(
            serial=r["serial"], nit=r["nit"], dv=r["dv"], name=r["name"], person=r["person"],
            profile=r["profile"], subject=_subject(r["cert_pem"]), email=r["email"],
            not_before=_dt.datetime.fromisoformat(r["not_before"]),
            not_after=_dt.datetime.fromisoformat(r["not_after"]),
            fingerprint=r["fingerprint"], p12_profile=r["p12_profile"], status=r["status"],
            revoked_at=_time(r["revoked_at"]), revocation_reason=r["revocation_reason"],
            issued_at=_dt.datetime.fromisoformat(r["issued_at"]), cert_pem=r["cert_pem"],
            stores=stores.get(r["serial"], {}), key_usage_ok=bool(r["key_usage_ok"]),
        )
        for r in rows
    ]


def _subject(cert_pem: str) -> str:
    """The subject with attribute names (the database keeps the string written at issuance)."""
    return display_name(x509.load_pem_x509_certificate(cert_pem.encode()).subject)


def normalize_serial(text: str) -> str:
    """Accept a serial as hex (with or without ``0x``/colons) or as ``dec:<decimal>``."""
    raw = text.strip()
    if raw.lower().startswith("dec:"):
        return format(int(raw[4:]), "X")
    cleaned = raw.replace(":", "").lower().removeprefix("0x")
    try:
        return format(int(cleaned, 16), "X")
    except ValueError:
        raise InvalidInput(f"'{text}' is not a serial number", "give it in hex, as 'certs list' shows") from None


def list_certificates(home: Home) -> list[CertificateRecord]:
    """Every certificate the CA issued, oldest first. Raises :class:`~minica.errors.CaMissing`
    (creating nothing) when the home has no CA."""
    require_ca(home)
    with Database.open(home) as db:
        return _records(home, db.connection)


def get_certificate(home: Home, serial: str, db: Database | None = None) -> CertificateRecord:
    """The certificate ``serial`` issued (:class:`NotFound` if none); ``db``, if given, is the open
    database to read."""
    wanted = normalize_serial(serial)
    require_ca(home)
    with contextlib.nullcontext(db) if db is not None else Database.open(home) as opened:
        found = _records(home, opened.connection, "WHERE serial = ?", (wanted,))
    if not found:
        raise NotFound(f"no certificate with serial {wanted} in this CA", "see 'minica certs list'")
    return found[0]


def find_by_fingerprint(home: Home, conn: sqlite3.Connection, fingerprint: str) -> CertificateRecord | None:
    found = _records(home, conn, "WHERE fingerprint = ?", (fingerprint,))
    return found[0] if found else None


def certificates_for_nit(home: Home, nit: Nit, db: Database | None = None) -> list[CertificateRecord]:
    """Every certificate issued to ``nit``, oldest first; ``db``, if given, is the open database."""
    with contextlib.nullcontext(db) if db is not None else Database.open(home) as opened:
        return _records(home, opened.connection, "WHERE nit = ?", (nit.number,))


def revoke(
    home: Home, serial: str, reason: RevocationReason, *, now: _dt.datetime
) -> CertificateRecord:
    """Record the revocation of ``serial`` at ``now``; refuses a second revocation."""
    from minica.storage import audit  # here: reading records (and signing) never writes the log

    wanted = normalize_serial(serial)
    require_ca(home)
    with Database.open(home) as db, db.transaction() as conn:
        row = conn.execute("SELECT status FROM certificates WHERE serial = ?", (wanted,)).fetchone()
        if row is None:
            raise NotFound(f"no certificate with serial {wanted} in this CA", "see 'minica certs list'")
        if row["status"] == "revoked":
            raise RefusedOperation(f"certificate {wanted} is already revoked", "nothing to do")
        conn.execute(
            "UPDATE certificates SET status = 'revoked', revoked_at = ?, revocation_reason = ?"
            " WHERE serial = ?",
            (now.isoformat(), reason.value, wanted),
        )
        audit.record(conn, now, "revoke", wanted, {"reason": reason.value})
        return _records(home, conn, "WHERE serial = ?", (wanted,))[0]
