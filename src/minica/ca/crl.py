"""Certificate revocation lists of the mock CA (RFC 5280 §5).

The issuing CA's CRL lists every certificate it issued that is revoked at ``now`` (a revocation
recorded later than ``now`` does not count yet: time travel with ``--at`` stays consistent), with
its revocation date and reason code. The root's CRL covers the issuing CA; minica never revokes
its own issuing CA, so it is empty, but it exists because the issuing CA's certificate names it.

CRL numbers increase monotonically per CA: a counter in the database, bumped inside a write
transaction, so two processes publishing at once never reuse a number.
"""

from __future__ import annotations

import datetime as _dt
import enum
import sqlite3
import threading
from dataclasses import dataclass

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from minica.ca.hierarchy import Authority, load_authority
from minica.clock import Clock, require_aware
from minica.errors import InvalidInput
from minica.storage import audit
from minica.storage.database import Database
from minica.storage.home import Home

#: How long a CRL is current (its nextUpdate - thisUpdate) unless the caller says otherwise.
DEFAULT_CRL_VALIDITY = _dt.timedelta(days=1)


class CrlScope(str, enum.Enum):
    """Which CA signs the CRL: the issuing CA (end-entity certificates) or the root."""

    ISSUING = "issuing"
    ROOT = "root"


@dataclass(frozen=True)
class RevokedEntry:
    """One revoked certificate as a CRL or an OCSP response reports it."""

    serial: int
    revoked_at: _dt.datetime
    reason: x509.ReasonFlags | None


@dataclass(frozen=True)
class PublishedCrl:
    """A freshly signed CRL and the facts a caller may print."""

    crl: x509.CertificateRevocationList
    scope: CrlScope
    number: int

    @property
    def der(self) -> bytes:
        return self.crl.public_bytes(serialization.Encoding.DER)

    @property
    def pem(self) -> bytes:
        return self.crl.public_bytes(serialization.Encoding.PEM)

    def to_json(self) -> dict[str, object]:
        return {
            "scope": self.scope.value,
            "crl_number": self.number,
            "issuer": self.crl.issuer.rfc4514_string(),
            "this_update": self.crl.last_update_utc.isoformat(),
            "next_update": self.crl.next_update_utc.isoformat() if self.crl.next_update_utc else None,
            "revoked": len(self.crl),
        }


def revoked_entries(conn: sqlite3.Connection, now: _dt.datetime) -> list[RevokedEntry]:
    """Every certificate of the issuing CA revoked at ``now``, oldest revocation first."""
    rows = conn.execute(
        "SELECT serial, revoked_at, revocation_reason FROM certificates"
        " WHERE status = 'revoked' AND revoked_at IS NOT NULL ORDER BY revoked_at, serial"
    ).fetchall()
    entries = []
    for row in rows:
        when = _dt.datetime.fromisoformat(row["revoked_at"])
        if when > now:
            continue
        entries.append(RevokedEntry(int(row["serial"], 16), when, reason_flag(row["revocation_reason"])))
    return entries


def reason_flag(text: str | None) -> x509.ReasonFlags | None:
    # RFC 5280 §5.3.1: "unspecified" SHOULD be expressed by leaving the reason code out.
    if not text or text == "unspecified":
        return None
    try:
        return x509.ReasonFlags(text)
    except ValueError:
        return None


def next_crl_number(conn: sqlite3.Connection, scope: CrlScope) -> int:
    """Allocate the next CRL number of ``scope`` (call inside a write transaction)."""
    name = f"crl_number:{scope.value}"
    row = conn.execute("SELECT value FROM counters WHERE name = ?", (name,)).fetchone()
    number = (int(row["value"]) if row else 0) + 1
    conn.execute(
        "INSERT INTO counters (name, value) VALUES (?, ?)"
        " ON CONFLICT(name) DO UPDATE SET value = excluded.value",
        (name, number),
    )
    return number


def build_crl(
    issuer: x509.Certificate,
    key: rsa.RSAPrivateKey,
    entries: list[RevokedEntry],
    *,
    number: int,
    now: _dt.datetime,
    validity: _dt.timedelta,
) -> x509.CertificateRevocationList:
    """A CRL signed by ``issuer``/``key`` (pure: no database, no files)."""
    builder = (
        x509.CertificateRevocationListBuilder()
        .issuer_name(issuer.subject)
        .last_update(now)
        .next_update(now + validity)
        .add_extension(x509.CRLNumber(number), critical=False)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(issuer.public_key()),  # type: ignore[arg-type]
            critical=False,
        )
    )
    for entry in entries:
        revoked = (
            x509.RevokedCertificateBuilder()
            .serial_number(entry.serial)
            .revocation_date(entry.revoked_at)
        )
        if entry.reason is not None:
            revoked = revoked.add_extension(x509.CRLReason(entry.reason), critical=False)
        builder = builder.add_revoked_certificate(revoked.build())
    return builder.sign(key, hashes.SHA256())


def publish_crl(
    home: Home,
    *,
    now: _dt.datetime,
    ca_password: bytes | None,
    scope: CrlScope = CrlScope.ISSUING,
    validity: _dt.timedelta = DEFAULT_CRL_VALIDITY,
    authority: Authority | None = None,
) -> PublishedCrl:
    """Sign the current CRL of ``scope`` with a new CRL number (recorded in the audit log).

    Raises :class:`~minica.errors.CaMissing`, :class:`~minica.errors.WrongPassword` /
    :class:`~minica.errors.RefusedOperation` when the CA key cannot be opened, and
    :class:`~minica.errors.InvalidInput` for a validity that is not positive.
    """
    require_aware(now, "CRL time")
    if validity <= _dt.timedelta(0):
        raise InvalidInput("the CRL validity must be positive", "e.g. 1 day")
    authority = authority or load_authority(home)
    if scope is CrlScope.ISSUING:
        issuer, key = authority.issuing, authority.issuing_key(ca_password)
    else:
        issuer, key = authority.root, authority.root_key(ca_password)
    with Database.open(home) as db, db.transaction() as conn:
        # Only the issuing CA has end-entity certificates; the root never revokes the issuing CA.
        entries = revoked_entries(conn, now) if scope is CrlScope.ISSUING else []
        number = next_crl_number(conn, scope)
        crl = build_crl(issuer, key, entries, number=number, now=now, validity=validity)
        audit.record(conn, now, "crl", scope.value, {"crl_number": number, "revoked": len(entries)})
    return PublishedCrl(crl, scope, number)


class CurrentCrls:
    """The CRLs ``minica serve`` publishes: signed on first request, then reused until the
    revocation list changes or half their validity has passed (so clients never see a stale one).

    Thread-safe. The CA key is opened once, at construction (it may need the CA password).
    """

    def __init__(
        self,
        home: Home,
        clock: Clock,
        *,
        ca_password: bytes | None,
        validity: _dt.timedelta = DEFAULT_CRL_VALIDITY,
    ) -> None:
        self.home, self.clock, self.validity = home, clock, validity
        self._authority = load_authority(home)
        self._keys = {
            CrlScope.ISSUING: self._authority.issuing_key(ca_password),
            CrlScope.ROOT: self._authority.root_key(ca_password),
        }
        self._lock = threading.Lock()
        self._current: dict[CrlScope, tuple[tuple[RevokedEntry, ...], PublishedCrl]] = {}

    def current(self, scope: CrlScope) -> PublishedCrl:
        now = self.clock.now()
        with self._lock, Database.open(self.home) as db:
            entries = tuple(revoked_entries(db.connection, now)) if scope is CrlScope.ISSUING else ()
            held = self._current.get(scope)
            if held is not None:
                old_entries, published = held
                this_update = published.crl.last_update_utc
                if old_entries == entries and this_update <= now < this_update + self.validity / 2:
                    return published
            issuer = self._authority.issuing if scope is CrlScope.ISSUING else self._authority.root
            with db.transaction() as conn:
                number = next_crl_number(conn, scope)
                crl = build_crl(issuer, self._keys[scope], list(entries), number=number, now=now,
                                validity=self.validity)
                audit.record(conn, now, "crl", scope.value, {"crl_number": number, "revoked": len(entries)})
            published = PublishedCrl(crl, scope, number)
            self._current[scope] = (entries, published)
            return published
