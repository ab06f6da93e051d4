"""The quickstart: from nothing to a signed, verified DIAN invoice in one call."""

from __future__ import annotations

import secrets
import string
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

from minica.ca.hierarchy import create_authority, load_authority, require_ca
from minica.ca.issuance import IssueRequest, issue_certificate
from minica.clock import Clock
from minica.environment import Environment
from minica.errors import NotFound, RefusedOperation
from minica.identity import Nit, PersonType
from minica.signing.home_revocation import HomeRevocationSource
from minica.signing.service import Signer
from minica.signing.verifier import verify_document
from minica.storage.files import atomic_write
from minica.storage.home import Home
from minica.storage.passwords import require_strong_password
from minica.storage.recovery import home_transaction

SAMPLE_NIT = "900373987-9"
SAMPLE_NAME = "MINICA PRUEBAS S.A.S."


#: Where a generated keystore password is kept (0600), reused by every later quickstart in the home.
PASSWORD_FILE = "quickstart-password.txt"


def _saved_password(path: Path) -> str | None:
    """The password an earlier quickstart saved, or None when there is none yet. A file that is
    there but does not hold a usable password is refused, never replaced: the keystores it opens
    would become unopenable."""
    try:
        saved = path.read_text(encoding="ascii").strip()
        require_strong_password(saved)
    except FileNotFoundError:
        return None
    except (OSError, UnicodeError, ValueError):
        raise RefusedOperation(
            f"{path} does not hold a usable keystore password, and the quickstart keystores need it",
            "restore that file (it is never overwritten), or give --password-file",
        ) from None
    return saved


def sample_keystore(home: Home, environment: Environment = Environment.HABILITACION) -> Path:
    """The keystore (of ``environment``) of the newest certificate ``minica quickstart`` issued
    with the password saved in the home (``quickstart-password.txt``), whatever else was issued
    since. Raises :class:`~minica.errors.NotFound` when quickstart never ran in ``home``."""
    from minica.ca.registry import get_certificate
    from minica.storage.database import Database

    require_ca(home)
    with Database.open(home) as db:
        row = db.connection.execute(
            "SELECT target FROM audit_log WHERE action = 'quickstart' ORDER BY id DESC LIMIT 1"
        ).fetchone()
    if row is None:
        raise NotFound(f"minica quickstart never ran in {home.root}", "run `minica quickstart` first")
    return get_certificate(home, row["target"]).stores[environment]


def generate_password(length: int = 20) -> str:
    """A random password that meets the keystore policy (upper, lower, digit, special; ASCII)."""
    alphabet = string.ascii_letters + string.digits + "!#$%*-_=+"
    while True:
        candidate = "".join(secrets.choice(alphabet) for _ in range(length))
        if (any(c.isupper() for c in candidate) and any(c.isdigit() for c in candidate)
                and any(c in "!#$%*-_=+" for c in candidate)):
            return candidate


@dataclass
class QuickstartResult:
    home: Path
    created_ca: bool
    root_cert: Path
    issuing_cert: Path
    serial: str
    stores: dict[str, Path]
    password_file: Path | None
    signed_document: Path | None = None
    verified: bool | None = None
    notes: list[str] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        return {
            "home": str(self.home),
            "created_ca": self.created_ca,
            "root_cert": str(self.root_cert),
            "issuing_cert": str(self.issuing_cert),
            "serial": self.serial,
            "stores": {k: str(v) for k, v in self.stores.items()},
            "password_file": str(self.password_file) if self.password_file else None,
            "signed_document": str(self.signed_document) if self.signed_document else None,
            "verified": self.verified,
            "notes": self.notes,
        }

    def describe(self) -> str:
        lines = [
            ("Created a mock CA" if self.created_ca else "Using the existing CA") + f" in {self.home}",
            f"  root CA          {self.root_cert}",
            f"  issuing CA       {self.issuing_cert}",
            f"Issued certificate {self.serial} for {SAMPLE_NAME} (NIT {SAMPLE_NIT})",
        ]
        lines += [f"  {env:<16} {path}" for env, path in self.stores.items()]
        if self.password_file:
            lines.append(f"  keystore password saved in {self.password_file} (mode 0600)")
        if self.signed_document:
            lines.append(f"Signed the sample invoice: {self.signed_document}")
        if self.verified is not None:
            lines.append("Verified it: " + ("VALID" if self.verified else "INVALID"))
        lines += self.notes
        return "\n".join(lines)


def run_quickstart(
    home: Home, *, clock: Clock, store_password: str | None, ca_password: bytes | None
) -> QuickstartResult:
    """Init a CA if needed, issue the sample certificate into both stores, sign and verify."""
    now = clock.now()
    created = False
    if not home.has_ca():
        create_authority(home, now=now, ca_password=ca_password)
        created = True
    password_file: Path | None = None
    generated = False
    if store_password is None:
        password_file = home.root / PASSWORD_FILE
        store_password = _saved_password(password_file)
        generated = store_password is None
        store_password = store_password or generate_password()
    password = require_strong_password(store_password)
    # Only certificates whose password is in the home's file count as "the quickstart's" for
    # sample_keystore (and so for the README's example); one with the caller's own password is
    # recorded under another action.
    action = "quickstart" if password_file is not None else "quickstart-own-password"
    request = IssueRequest(
        nit=Nit.parse(SAMPLE_NIT), name=SAMPLE_NAME, person=PersonType.JURIDICA,
        email="facturacion@minica-pruebas.example", legal_representative="ANA MARÍA PÉREZ GÓMEZ",
        legal_representative_document="CC 52123456",
    )
    # The certificate and the file holding its password are saved together, or neither is.
    with home_transaction(home) as write:
        issued = issue_certificate(home, request, store_password=password, clock=clock, ca_password=ca_password,
                                   action=action, into=write)  # fmt: skip
        if generated and password_file is not None:
            atomic_write(password_file, password, mode=0o600, exclusive=True)  # never replaces one
            write.written.append(password_file)
    result = QuickstartResult(
        home=home.root, created_ca=created, root_cert=home.root_cert_path,
        issuing_cert=home.issuing_cert_path, serial=issued.serial_hex,
        stores={env.value: path for env, path in issued.store_paths.items()},
        password_file=password_file,
    )
    _sign_and_verify(home, result, issued.store_paths[Environment.HABILITACION], password, clock)
    return result


def sample_invoice() -> bytes:
    """The bundled unsigned habilitación invoice (UBL 2.1, ProfileExecutionID 2)."""
    return resources.files("minica").joinpath("data/samples/invoice-habilitacion.xml").read_bytes()


def _sign_and_verify(home: Home, result: QuickstartResult, store: Path, password: bytes, clock: Clock) -> None:
    """Sign the bundled sample invoice with the new certificate and verify it like DIAN would."""
    authority = load_authority(home)
    now = clock.now()
    signer = Signer.from_keystore(store, password, trust=[authority.root],
                                  environment=Environment.HABILITACION)
    signed = signer.sign(sample_invoice(), signing_time=now)
    target = home.signed_dir / "invoice-habilitacion.signed.xml"
    with home_transaction(home):  # a killed write leaves no temporary file for long
        atomic_write(target, signed, mode=0o644)
    verdict = verify_document(signed, at=now, trust=[authority.root], intermediates=[authority.issuing],
                              revocation=HomeRevocationSource(home))
    result.signed_document = target
    result.verified = verdict.valid
    if not verdict.valid:
        result.notes += [f"  {c.rule}: {c.message}" for c in verdict.failures]
    result.notes.append(f"Check it yourself: minica verify {target}")
