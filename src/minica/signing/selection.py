"""Choosing the stored certificate that signs a document: by serial, by NIT, or a keystore file.

Keystores are opened once per (environment, NIT) and reused for every document of a batch.
"""

from __future__ import annotations

import datetime as _dt
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from cryptography import x509

from minica.ca.hierarchy import ca_certificates, require_ca
from minica.ca.home_trust import home_revocations, home_trust
from minica.ca.registry import CertificateRecord, certificates_for_nit, get_certificate
from minica.ca.requests.loans import loan_refusal
from minica.environment import Environment
from minica.errors import CertificateNotUsable, InvalidInput, NotFound
from minica.identity import Nit
from minica.signing.document import UblDocument
from minica.signing.service import ExtraRule, Signer, require_environment
from minica.storage.database import Database
from minica.storage.home import Home
from minica.storage.keystore import Keystore, read_keystore


@dataclass(frozen=True)
class Selection:
    """How the user chose the certificate (at most one of the three), and overrides."""

    serial: str | None = None
    nit: str | None = None
    store: Path | None = None
    environment: Environment | None = None

    def __post_init__(self) -> None:
        if sum(x is not None for x in (self.serial, self.nit, self.store)) > 1:
            raise InvalidInput("--serial, --nit and --store exclude each other", "choose the certificate one way")


def _store_environment(home: Home, path: Path) -> Environment | None:
    """The environment whose store folder holds ``path`` (None for a keystore from elsewhere)."""
    resolved = path.resolve()
    for env in Environment:
        if resolved.parent == home.stores_dir(env).resolve():
            return env
    return None


def loan_rule(db: Database) -> ExtraRule:
    """The vendor's loaned certificate signs only for the company it is lent to, while the loan lasts."""

    def rule(certificate: x509.Certificate, at: _dt.datetime, supplier_nit: str | None) -> str | None:
        try:
            nit = Nit.parse(supplier_nit).number if supplier_nit else None
        except InvalidInput:  # placeholders such as NIT="0" in DIAN's payroll skeletons
            nit = None
        return loan_refusal(db, certificate.serial_number, at, nit=nit)

    return rule


class HomeSigners:
    """Signers backed by a home: its CA is trusted, its database answers revocation.

    ``opener`` opens a keystore file with the password (a server passes a cache of opened
    keystores). One connection to the home's database, opened here, answers everything the
    signers ask it (the CA, revocations, loans, the certificates of a NIT) for as long as they live.
    """

    def __init__(
        self,
        home: Home,
        password: bytes,
        selection: Selection,
        at: _dt.datetime,
        extra_trust: tuple[x509.Certificate, ...] = (),
        opener: Callable[[Path, bytes], Keystore] = read_keystore,
    ) -> None:
        self.home, self.password, self.selection, self.at = home, password, selection, at
        self.extra_trust, self.opener = extra_trust, opener
        self._cache: dict[tuple[Environment | None, str], Signer] = {}
        self._db: Database | None = None
        if self.selection.store is None:  # without a CA there are no stored certificates: say so
            require_ca(self.home)  # before the database is opened (which would create it)
            root, issuing = ca_certificates(self.home, self._database())
            anchors, self._intermediates = [root], [issuing]
        else:
            anchors, self._intermediates = home_trust(self.home)
        self._anchors = tuple(anchors) + self.extra_trust
        db = self._database() if self.home.db_path.exists() else None
        self._revocation = home_revocations(self.home, db) if db is not None else None
        self._rules = (loan_rule(db),) if db is not None else ()

    def _database(self) -> Database:
        if self._db is None:
            self._db = Database.open(self.home)
        return self._db

    def for_document(self, document: UblDocument) -> Signer:
        """The signer for ``document``: its environment decides the store unless --env says."""
        return self._select(lambda: self.selection.environment or require_environment(document, None),
                            lambda: self.selection_nit(document))

    def for_environment(self, env: Environment, nit: Nit | None = None) -> Signer:
        """The signer chosen without a document (the WS-Security of a request to DIAN, say): the
        --store keystore, the --serial certificate, or the newest usable certificate of --nit (else
        of ``nit``) in the store of --env (else ``env``). Call :meth:`Signer.check` before using it."""

        def chosen_nit() -> Nit:
            if self.selection.nit:
                return Nit.parse(self.selection.nit)
            if nit is None:
                raise InvalidInput("no certificate chosen", "choose one with --nit, --serial or --store")
            return nit

        return self._select(lambda: self.selection.environment or env, chosen_nit)

    def _select(self, environment: Callable[[], Environment], nit: Callable[[], Nit]) -> Signer:
        store = self.selection.store
        if store is not None:
            return self._cached(None, str(store), lambda: self._open(store))
        env = environment()
        if self.selection.serial is not None:
            record = get_certificate(self.home, self.selection.serial, self._database())
            return self._cached(env, record.serial, lambda: self._from_record(record, env))
        chosen = nit()
        return self._cached(env, chosen.number, lambda: self._from_record(self._pick(chosen, env), env))

    def selection_nit(self, document: UblDocument) -> Nit:
        """The NIT whose certificate signs: --nit, else the document's supplier (named if wrong)."""
        if self.selection.nit:
            return Nit.parse(self.selection.nit)
        text = document.supplier_nit
        if not text:
            raise InvalidInput(
                f"no certificate chosen and the document names no supplier NIT ({document.supplier_nit_field})",
                "choose one with --nit, --serial or --store",
            )
        try:
            return Nit.parse(text)
        except InvalidInput as exc:
            raise InvalidInput(
                f"{document.supplier_nit_field} is '{text}', not a NIT ({exc.what})",
                "write the issuer's NIT there, or choose the certificate with --nit, --serial or --store",
            ) from None

    def _cached(self, env: Environment | None, key: str, make: Callable[[], Signer]) -> Signer:
        if (env, key) not in self._cache:
            self._cache[(env, key)] = make()
        return self._cache[(env, key)]

    def _pick(self, nit: Nit, env: Environment) -> CertificateRecord:
        """The newest certificate for ``nit`` stored in ``env`` that is valid and not revoked at
        the signing time; else the newest stored one (so the refusal names its exact problem)."""
        records = [r for r in certificates_for_nit(self.home, nit, self._database()) if env in r.stores]
        if not records:
            raise NotFound(
                f"no certificate for NIT {nit.with_dv} in the {env.label} store of this CA",
                f"issue one ('minica issue --nit {nit.with_dv} …') or choose with --store",
            )
        usable = [r for r in records if r.not_before <= self.at <= r.not_after and not r.revoked_by(self.at)]
        return (usable or records)[-1]

    def _from_record(self, record: CertificateRecord, env: Environment) -> Signer:
        path = record.stores.get(env)
        if path is None:
            raise CertificateNotUsable(
                f"certificate {record.serial} has no keystore in the {env.label} store",
                f"sign {env.label} documents with a certificate issued into that environment",
            )
        return self._open(path, env)

    def _open(self, path: Path, env: Environment | None = None) -> Signer:
        store = self.opener(path, self.password)
        return Signer(
            keystore=store,
            anchors=self._anchors,
            source=str(path),
            environment=env if env is not None else _store_environment(self.home, path),
            revocation=self._revocation,
            extra_rules=self._rules,
            store_hint=self._store_hint(path) if self.selection.store is not None else _env_hint,
        )

    def _store_hint(self, path: Path) -> Callable[[Environment], str]:
        """For a --store keystore of the other environment: the same certificate's keystore there."""

        def hint(env: Environment) -> str:
            sibling = self.home.stores_dir(env) / path.name
            if sibling.is_file():
                return f"sign it with --store {sibling}, the same certificate's {env.label} keystore"
            return f"give --store a keystore from the {env.label} store ({self.home.stores_dir(env)})"

        return hint


def _env_hint(env: Environment) -> str:
    return f"sign it with the {env.label} keystore (--env {env.value}, or leave --env out)"
