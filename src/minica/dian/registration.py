"""Software registration, as DIAN's habilitación portal gives it.

A company (or its software provider) registers invoicing software and gets: a software ID (a UUID),
the PIN it chose, a TestSetId (a UUID) and a numbering range: commonly prefix ``SETP``, numbers
990000000–995000000, with its resolution number, dates and **technical key** (the CUFE's secret).
The test set's quotas (30 invoices, 10 credit notes, 10 debit notes by default) decide when the set
is accepted (:mod:`minica.dian.testset`).

:class:`SoftwareRegistration` is what the rest of minica reads (the web service, the document
generator): load it with :func:`load_registration` by NIT, or by software ID / TestSetId.
"""

from __future__ import annotations

import datetime as _dt
import re
import secrets
import sqlite3
import uuid
from dataclasses import dataclass, field
from typing import Any

from minica.clock import Clock, colombian
from minica.dian.pin_seal import seal_pin, unseal_pin
from minica.environment import Environment
from minica.errors import InvalidInput, NotFound
from minica.identity import Nit
from minica.storage import audit
from minica.storage.database import Database
from minica.storage.home import Home
from minica.storage.recovery import home_transaction

#: DIAN's usual test range (reference/dian-webservice.md, "Habilitación test set").
TEST_PREFIX = "SETP"
TEST_FROM = 990000000
TEST_TO = 995000000
#: The resolution number DIAN's habilitación ranges carry.
TEST_RESOLUTION = "18760000001"
_PREFIX = re.compile(r"^[A-Z0-9]{0,4}$")
_UUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")
#: Registrations already read, by home and row: the local DIAN reads its sender's for every document,
#: and unsealing the PIN (a key file read and AES-GCM) is most of reading one. A changed row is a new key.
_READ: dict[tuple[object, ...], SoftwareRegistration] = {}
_READ_MAX = 256


@dataclass(frozen=True)
class NumberingRange:
    """A numbering resolution: prefix, numbers, resolution, validity and the technical key."""

    prefix: str
    from_number: int
    to_number: int
    resolution_number: str
    resolution_date: _dt.date
    valid_from: _dt.date
    valid_to: _dt.date
    technical_key: str

    def __post_init__(self) -> None:
        if not isinstance(self.prefix, str) or not _PREFIX.match(self.prefix):
            raise InvalidInput(f"prefix '{self.prefix}' is not valid", "use up to 4 upper-case letters or digits")
        for name in ("from_number", "to_number"):
            if not isinstance(getattr(self, name), int) or isinstance(getattr(self, name), bool):
                raise TypeError(f"NumberingRange.{name} must be an int")
        if not 0 < self.from_number <= self.to_number < 10**15:
            raise InvalidInput(f"range {self.from_number}–{self.to_number} is not valid",
                               "give 0 < from ≤ to, at most 15 digits")
        for name in ("resolution_date", "valid_from", "valid_to"):
            if not isinstance(getattr(self, name), _dt.date):
                raise TypeError(f"NumberingRange.{name} must be a date")
        if self.valid_to < self.valid_from:
            raise InvalidInput("the range's validity ends before it starts", "swap the dates")

    def problem(self, document_id: str) -> tuple[str, str] | None:
        """(rule, message) when ``document_id`` (``cbc:ID``) is outside this range, else None."""
        if not document_id.startswith(self.prefix) or not document_id[len(self.prefix):].isdigit():
            return ("prefix", f"El prefijo del número {document_id} no corresponde al prefijo autorizado "
                              f"'{self.prefix}' de la resolución {self.resolution_number}")
        number = int(document_id[len(self.prefix):])
        if not self.from_number <= number <= self.to_number:
            return ("range", f"El número {document_id} no está dentro del rango de numeración autorizado "
                             f"{self.prefix}{self.from_number} – {self.prefix}{self.to_number}")
        return None

    def to_json(self) -> dict[str, Any]:
        return {
            "prefix": self.prefix, "from_number": self.from_number, "to_number": self.to_number,
            "resolution_number": self.resolution_number, "resolution_date": self.resolution_date.isoformat(),
            "valid_from": self.valid_from.isoformat(), "valid_to": self.valid_to.isoformat(),
            "technical_key": self.technical_key,
        }


@dataclass(frozen=True)
class TestSetQuota:
    """How many accepted documents of each kind accept a test set (DIAN's usual set: 30/10/10)."""

    invoices: int = 30
    credit_notes: int = 10
    debit_notes: int = 10

    __test__ = False  # not a pytest class

    def __post_init__(self) -> None:
        for name in ("invoices", "credit_notes", "debit_notes"):
            value = getattr(self, name)
            if not isinstance(value, int) or isinstance(value, bool) or not 0 <= value <= 10_000:
                raise InvalidInput(f"test-set quota {name}={value!r} is not valid", "use 0 to 10000")
        if self.total == 0:
            raise InvalidInput("the test-set quota is all zeros", "require at least one document, e.g. 30/10/10")

    @property
    def total(self) -> int:
        return self.invoices + self.credit_notes + self.debit_notes

    @classmethod
    def parse(cls, text: str) -> TestSetQuota:
        """``30/10/10``: invoices / credit notes / debit notes."""
        parts = text.strip().split("/")
        if len(parts) != 3 or not all(p.strip().isdigit() for p in parts):
            raise InvalidInput(f"test-set quota '{text}' is not INVOICES/CREDIT/DEBIT", "e.g. 30/10/10")
        return cls(*(int(p) for p in parts))

    def to_json(self) -> dict[str, int]:
        return {"invoices": self.invoices, "credit_notes": self.credit_notes, "debit_notes": self.debit_notes}


@dataclass(frozen=True)
class SoftwareRegistration:
    """Registered invoicing software: whose (``nit``/``dv``, ``provider_nit``), its ID and PIN, its
    test set and numbering range. ``pin`` is the PIN in clear: never print or log it."""

    nit: str
    dv: int
    software_id: str
    pin: str = field(repr=False)
    test_set_id: str
    numbering: NumberingRange
    provider_nit: str
    environment: Environment
    name: str = ""
    quota: TestSetQuota = field(default_factory=TestSetQuota)
    registered_at: _dt.datetime | None = None

    @property
    def nit_with_dv(self) -> str:
        return f"{self.nit}-{self.dv}"

    def authorises(self, nit: str) -> bool:
        """Whether a certificate of ``nit`` (digits, no DV) may send this company's documents."""
        return nit in (self.nit, self.provider_nit)

    def to_json(self) -> dict[str, Any]:
        """Everything but the PIN."""
        return {
            "nit": self.nit_with_dv, "name": self.name, "provider_nit": self.provider_nit,
            "software_id": self.software_id, "test_set_id": self.test_set_id,
            "environment": self.environment.value, "numbering_range": self.numbering.to_json(),
            "test_set_quota": self.quota.to_json(),
            "registered_at": self.registered_at.isoformat() if self.registered_at else None,
        }


@dataclass(frozen=True)
class RegistrationRequest:
    """What ``minica dian register`` asks for. Validates on construction."""

    nit: Nit
    pin: str = field(repr=False)
    provider_nit: Nit | None = None
    name: str = ""
    environment: Environment = Environment.HABILITACION
    prefix: str = TEST_PREFIX
    from_number: int = TEST_FROM
    to_number: int = TEST_TO
    quota: TestSetQuota = field(default_factory=TestSetQuota)

    def __post_init__(self) -> None:
        if not isinstance(self.nit, Nit) or not isinstance(self.provider_nit, (Nit, type(None))):
            raise TypeError("RegistrationRequest.nit / provider_nit must be Nit (use Nit.parse)")
        if not isinstance(self.pin, str):
            raise TypeError("RegistrationRequest.pin must be a str")
        if not 4 <= len(self.pin) <= 64 or not all(c.isascii() and c.isprintable() and c != " " for c in self.pin):
            raise InvalidInput("the software PIN must be 4 to 64 printable ASCII characters without spaces",
                               "DIAN's portal asks for a short PIN such as 5 digits")
        if len(self.name) > 200 or not self.name.isprintable():
            raise InvalidInput("the software name is too long or holds control characters", "shorten it")


def register_software(home: Home, clock: Clock, request: RegistrationRequest) -> SoftwareRegistration:
    """Register software for ``request.nit``: a new software ID, TestSetId, numbering range and
    technical key, recorded in the home (the PIN sealed) in one transaction. Returns it."""
    now = clock.now()
    today = colombian(now).date()
    numbering = NumberingRange(
        prefix=request.prefix, from_number=request.from_number, to_number=request.to_number,
        resolution_number=TEST_RESOLUTION if request.environment is Environment.HABILITACION
        else str(18760000000 + secrets.randbelow(10**9)),
        resolution_date=today, valid_from=today, valid_to=_add_years(today, 10),
        technical_key=secrets.token_hex(32),
    )
    registration = SoftwareRegistration(
        nit=request.nit.number, dv=request.nit.dv, software_id=str(uuid.uuid4()), pin=request.pin,
        test_set_id=str(uuid.uuid4()), numbering=numbering,
        provider_nit=(request.provider_nit or request.nit).number, environment=request.environment,
        name=request.name or f"Software de {request.nit.with_dv}", quota=request.quota, registered_at=now,
    )
    with home_transaction(home) as write:
        sealed = seal_pin(write, registration.software_id, request.pin)
        write.conn.execute(
            "INSERT INTO dian_software (software_id, nit, dv, provider_nit, name, environment, sealed_pin,"
            " test_set_id, prefix, from_number, to_number, resolution_number, resolution_date, valid_from,"
            " valid_to, technical_key, required_invoices, required_credit_notes, required_debit_notes,"
            " registered_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (registration.software_id, registration.nit, registration.dv, registration.provider_nit,
             registration.name, registration.environment.value, sealed, registration.test_set_id,
             numbering.prefix, numbering.from_number, numbering.to_number, numbering.resolution_number,
             numbering.resolution_date.isoformat(), numbering.valid_from.isoformat(),
             numbering.valid_to.isoformat(), numbering.technical_key, request.quota.invoices,
             request.quota.credit_notes, request.quota.debit_notes, now.isoformat()),
        )
        audit.record(write.conn, now, "dian-register", registration.software_id, {
            "nit": registration.nit_with_dv, "provider_nit": registration.provider_nit,
            "test_set_id": registration.test_set_id, "environment": registration.environment.value,
        })
    return registration


def _add_years(day: _dt.date, years: int) -> _dt.date:
    try:
        return day.replace(year=day.year + years)
    except ValueError:  # 29 February
        return day.replace(year=day.year + years, day=28)


def _from_row(home: Home, row: sqlite3.Row) -> SoftwareRegistration:
    key = (home.root, *tuple(row))
    found = _READ.get(key)
    if found is None:
        if len(_READ) >= _READ_MAX:
            _READ.clear()
        found = _READ[key] = _read_row(home, row)
    return found


def _read_row(home: Home, row: sqlite3.Row) -> SoftwareRegistration:
    numbering = NumberingRange(
        prefix=row["prefix"], from_number=row["from_number"], to_number=row["to_number"],
        resolution_number=row["resolution_number"],
        resolution_date=_dt.date.fromisoformat(row["resolution_date"]),
        valid_from=_dt.date.fromisoformat(row["valid_from"]), valid_to=_dt.date.fromisoformat(row["valid_to"]),
        technical_key=row["technical_key"],
    )
    return SoftwareRegistration(
        nit=row["nit"], dv=row["dv"], software_id=row["software_id"],
        pin=unseal_pin(home, row["software_id"], bytes(row["sealed_pin"])), test_set_id=row["test_set_id"],
        numbering=numbering, provider_nit=row["provider_nit"], environment=Environment(row["environment"]),
        name=row["name"],
        quota=TestSetQuota(row["required_invoices"], row["required_credit_notes"], row["required_debit_notes"]),
        registered_at=_dt.datetime.fromisoformat(row["registered_at"]),
    )


def _query(home: Home, where: str, args: tuple[Any, ...],
           conn: sqlite3.Connection | None) -> list[SoftwareRegistration]:
    sql = f"SELECT * FROM dian_software {where} ORDER BY registered_at, rowid"
    if conn is not None:
        return [_from_row(home, r) for r in conn.execute(sql, args).fetchall()]
    if not home.db_path.exists():
        return []
    with Database.open(home) as db:
        return [_from_row(home, r) for r in db.connection.execute(sql, args).fetchall()]


def load_registration(home: Home, nit: Nit | str, *, environment: Environment | None = None,
                      conn: sqlite3.Connection | None = None) -> SoftwareRegistration:
    """The software registered most recently for ``nit`` (in ``environment`` when given), or
    :class:`~minica.errors.NotFound`."""
    parsed = nit if isinstance(nit, Nit) else Nit.parse(nit)
    found = _query(home, "WHERE nit = ?", (parsed.number,), conn)
    if environment is not None:
        found = [r for r in found if r.environment is environment]
    if not found:
        where = f" for {environment.label}" if environment else ""
        raise NotFound(f"no software is registered for NIT {parsed.with_dv}{where}",
                       f"register it: minica dian register --nit {parsed.with_dv} --pin-file FILE")
    return found[-1]


def registration_by_software_id(home: Home, software_id: str, *,
                                conn: sqlite3.Connection | None = None) -> SoftwareRegistration | None:
    """The registration of ``software_id``, or None (also for text that is not a UUID)."""
    return _by_uuid(home, "software_id", software_id, conn)


def registration_by_test_set(home: Home, test_set_id: str, *,
                             conn: sqlite3.Connection | None = None) -> SoftwareRegistration | None:
    """The registration whose TestSetId is ``test_set_id``, or None."""
    return _by_uuid(home, "test_set_id", test_set_id, conn)


def _by_uuid(home: Home, column: str, value: str, conn: sqlite3.Connection | None) -> SoftwareRegistration | None:
    wanted = value.strip().lower()
    if not _UUID.match(wanted):
        return None
    found = _query(home, f"WHERE {column} = ?", (wanted,), conn)
    return found[0] if found else None


def list_registrations(home: Home) -> list[SoftwareRegistration]:
    """Every registered software, oldest first."""
    return _query(home, "", (), None)
