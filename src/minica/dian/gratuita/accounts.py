"""Company users of DIAN's "Solución Gratuita": one per NIT, registered once, with a password.

The real DIAN authenticates a company's representative; the mock keeps a user per NIT with the
razón social, an e-mail and a password (the keystore password policy, stored as a scrypt hash).
"""

from __future__ import annotations

import datetime as _dt
import json
from dataclasses import dataclass
from pathlib import Path

from minica.ca.requests import platform
from minica.ca.requests.form import InvalidRequestForm, validate_email
from minica.errors import InvalidInput, InvalidNit, NotFound, RefusedOperation, WrongCredentials
from minica.identity import Nit
from minica.storage.files import atomic_write
from minica.storage.home import Home
from minica.storage.passwords import password_problems, require_strong_password


@dataclass(frozen=True)
class DianUser:
    """A company's user of the free solution (no password: that is only ever hashed)."""

    nit: Nit
    razon_social: str
    email: str
    registered_at: _dt.datetime


def _users_dir(home: Home) -> Path:
    return home.root / "dian" / "solucion-gratuita" / "usuarios"


def _path(home: Home, nit: Nit) -> Path:
    return _users_dir(home) / f"{nit.number}.json"


def _read(home: Home, nit: Nit) -> dict[str, str]:
    try:
        data = json.loads(_path(home, nit).read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise NotFound(f"NIT {nit.with_dv} has no user in the free solution", "register it first") from None
    assert isinstance(data, dict)
    return data


def _user(data: dict[str, str]) -> DianUser:
    return DianUser(Nit.parse(data["nit"]), data["razon_social"], data["email"],
                    _dt.datetime.fromisoformat(data["registered_at"]))  # fmt: skip


def register(home: Home, now: _dt.datetime, *, nit: str, razon_social: str, email: str, password: str,
             confirmation: str) -> DianUser:
    """Register the company ``nit``; every broken rule is named at once (:class:`InvalidRequestForm`).
    A NIT registered before is refused (:class:`RefusedOperation`)."""
    problems: dict[str, str] = {}
    parsed: Nit | None = None
    try:
        parsed = Nit.parse(nit)
    except InvalidNit as exc:
        problems["nit"] = str(exc)
    name = razon_social.strip()
    if not name or len(name) > 64 or not name.isprintable():
        problems["razon_social"] = "is required: printable text of at most 64 characters"
    email_problem = validate_email(email.strip())
    if email_problem:
        problems["email"] = email_problem
    broken = password_problems(password)
    if broken:
        problems["password"] = "; ".join(broken)
    if password != confirmation:
        problems["password_confirmation"] = "does not match the password"
    if problems:
        raise InvalidRequestForm(problems)
    assert parsed is not None
    data = {"nit": parsed.with_dv, "razon_social": name, "email": email.strip(),
            "password_hash": platform.hash_password(password), "registered_at": now.isoformat()}  # fmt: skip
    try:
        atomic_write(_path(home, parsed), json.dumps(data, ensure_ascii=False).encode(), exclusive=True)
    except FileExistsError:
        raise RefusedOperation(f"NIT {parsed.with_dv} is already registered", "sign in with its password") from None
    return _user(data)


def sign_in(home: Home, nit: str, password: str) -> DianUser:
    """The user of ``nit`` when ``password`` is theirs, else :class:`WrongCredentials` (the same
    answer for an unknown NIT and a wrong password)."""
    wrong = WrongCredentials("wrong NIT or password", "use the NIT and password you registered")
    try:
        data = _read(home, Nit.parse(nit))
    except (InvalidInput, NotFound):
        raise wrong from None
    if not platform.password_matches(password, data["password_hash"]):
        raise wrong
    return _user(data)


def load_user(home: Home, nit: str) -> DianUser:
    return _user(_read(home, Nit.parse(nit)))


def change_password(home: Home, nit: str, current: str, new: str, confirmation: str) -> None:
    """Replace the password of ``nit``'s user; the current one must be given."""
    sign_in(home, nit, current)
    if new != confirmation:
        raise InvalidRequestForm({"password_confirmation": "does not match the new password"})
    if new == current:
        raise InvalidInput("the new password is the same as the current one", "choose a different one")
    require_strong_password(new)
    parsed = Nit.parse(nit)
    data = _read(home, parsed)
    data["password_hash"] = platform.hash_password(new)
    atomic_write(_path(home, parsed), json.dumps(data, ensure_ascii=False).encode())
