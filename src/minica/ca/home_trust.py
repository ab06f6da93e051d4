"""What a home's CA says about trust and revocation: its anchors and its revoked certificates.

Signers read these before every signature and checkers before every report; they live apart from
:mod:`minica.ca.check` so that ``minica sign`` does not import the checker's reports and filters.
"""

from __future__ import annotations

import datetime as _dt

from cryptography import x509
from cryptography.hazmat.primitives import hashes

from minica.ca.hierarchy import load_authority
from minica.ca.revocation import Revocation, RevocationLookup
from minica.storage.database import Database
from minica.storage.home import Home


def home_trust(home: Home) -> tuple[list[x509.Certificate], list[x509.Certificate]]:
    """(anchors, intermediates) of the home's CA, or empty lists when the home has none."""
    if not home.has_ca():
        return [], []
    authority = load_authority(home)
    return [authority.root], [authority.issuing]


def home_revocations(home: Home, db: Database | None = None) -> RevocationLookup:
    """A revocation lookup against the CA database (by certificate fingerprint); ``db``, if given,
    is the open database to read."""
    if db is None:
        if not home.db_path.exists():
            return lambda _cert: None
        with Database.open(home) as opened:
            return home_revocations(home, opened)
    revoked: dict[str, tuple[str, Revocation]] = {}  # serial → (fingerprint, revocation)
    for row in db.connection.execute(
        "SELECT serial, fingerprint, revoked_at, revocation_reason FROM certificates WHERE status = 'revoked'"
    ):
        revoked[row["serial"]] = (row["fingerprint"], Revocation(
            _dt.datetime.fromisoformat(row["revoked_at"]), row["revocation_reason"]
        ))

    def lookup(cert: x509.Certificate) -> Revocation | None:
        # By serial first (cheap); the fingerprint then tells this CA's certificate from another's.
        entry = revoked.get(format(cert.serial_number, "X"))
        if entry is None or cert.fingerprint(hashes.SHA256()).hex() != entry[0]:
            return None
        return entry[1]

    return lookup
