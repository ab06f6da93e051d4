"""DIAN's habilitación portal for one company: its registered software, numbering ranges and
technical keys, its test sets' counters, and each document the local DIAN received from it with
the rule results and DIAN's ApplicationResponse. Reads only what :mod:`minica.dian.registration`,
:mod:`minica.dian.testset` and :mod:`minica.dian.store` keep (never the software PIN)."""

from __future__ import annotations

from dataclasses import dataclass

from minica.dian.registration import SoftwareRegistration, list_registrations
from minica.dian.store import StoredDocument, received_documents
from minica.dian.testset import TestSetStatus, test_set_report
from minica.errors import NotFound
from minica.identity import Nit
from minica.storage.home import Home


@dataclass(frozen=True)
class CompanySoftware:
    """One registered software of the company and its test set's counters."""

    registration: SoftwareRegistration
    test_set: TestSetStatus


def company_software(home: Home, nit: str) -> list[CompanySoftware]:
    """The software registered for the company ``nit`` (newest first), each with its test set."""
    number = Nit.parse(nit).number
    if not home.db_path.exists():
        return []
    found = [r for r in list_registrations(home) if r.nit == number]
    return [CompanySoftware(r, test_set_report(home, test_set_id=r.test_set_id)) for r in reversed(found)]


def company_documents(home: Home, nit: str, limit: int = 200) -> list[StoredDocument]:
    """The documents the local DIAN received from the company ``nit`` (its NIT as supplier or
    sender, or for one of its test sets), newest first."""
    number = Nit.parse(nit).number
    sets = {s.registration.test_set_id for s in company_software(home, nit)}
    return [d for d in received_documents(home, limit=5000)
            if number in ((d.supplier_nit or "").split("-")[0], d.sender_nit.split("-")[0])
            or d.test_set_id in sets][:limit]  # fmt: skip


def company_document(home: Home, nit: str, number: int) -> StoredDocument:
    """One received document of the company; :class:`NotFound` for any other."""
    for document in company_documents(home, nit, limit=5000):
        if document.id == number:
            return document
    raise NotFound(f"no received document number {number} for NIT {nit}", "open one from the portal's list")
