"""The documents of a habilitación test set: generated for the registered company, signed with its
certificate from the habilitación store — and, with ``--break``, broken on purpose the way invoicing
software gets them wrong, to show DIAN's rejections:

| break | what is wrong | DIAN's rule |
|---|---|---|
| ``cufe`` | ``cbc:UUID`` is not the CUFE/CUDE (of an invoice, a credit and a debit note) | FAD06, CAD06, DAD06 |
| ``amount`` | the payable amount changed after signing | ZE02 |
| ``expired-certificate`` | signed while its certificate was valid, sent after it expired | ZD07 |
| ``environment`` | a producción document (``ProfileExecutionID`` 1) sent to habilitación | MINICA-AMBIENTE |

Every document, broken or not, is signed by minica's signer with a certificate that may sign at the
signing time ("only a valid stored certificate signs"): the expired-certificate one with a company
certificate of the habilitación store that expired since (one is issued, already expired, when the
store has none), the producción one with the certificate's producción keystore.
"""

from __future__ import annotations

import datetime as _dt
import enum
import hashlib
import re
from dataclasses import dataclass, replace

from lxml import etree

from minica.ca.hierarchy import load_authority
from minica.ca.issuance import IssueRequest, issue_certificate
from minica.ca.registry import CertificateRecord, certificates_for_nit
from minica.clock import FixedClock
from minica.dian.generator import generate_credit_note, generate_debit_note, generate_invoice
from minica.dian.issuer import issuer_from_registration
from minica.dian.references import InvoiceReference
from minica.dian.registration import SoftwareRegistration
from minica.environment import Environment
from minica.errors import InvalidInput
from minica.identity import Nit
from minica.signing import namespaces as ns
from minica.signing.document import UblDocument
from minica.signing.selection import HomeSigners, Selection
from minica.signing.xmlsafe import parse_xml
from minica.storage.home import Home

#: How long before "now" the expired-certificate document is signed, and its certificate expired.
_EXPIRED_BY = _dt.timedelta(seconds=1)
_PAYABLE = re.compile(rb"(<cbc:PayableAmount\b[^>]*>)([0-9.]+)(</cbc:PayableAmount>)")


class BreakKind(str, enum.Enum):
    """A deliberate mistake (see the module's docstring)."""

    CUFE = "cufe"
    AMOUNT = "amount"
    EXPIRED_CERTIFICATE = "expired-certificate"
    ENVIRONMENT = "environment"

    @classmethod
    def parse(cls, text: str) -> BreakKind:
        for kind in cls:
            if text.strip().lower() in (kind.value, kind.name.lower()):
                return kind
        raise InvalidInput(f"unknown --break '{text}'", f"use one of {', '.join(k.value for k in cls)}")

    @property
    def kinds(self) -> tuple[str, ...]:
        """The document kinds it breaks (one document of each)."""
        return ("invoice", "creditnote", "debitnote") if self is BreakKind.CUFE else ("invoice",)

    @property
    def rules(self) -> tuple[str, ...]:
        """DIAN's rule codes that answer it."""
        return {BreakKind.CUFE: ("FAD06", "CAD06", "DAD06"), BreakKind.AMOUNT: ("ZE02",),
                BreakKind.EXPIRED_CERTIFICATE: ("ZD07",), BreakKind.ENVIRONMENT: ("MINICA-AMBIENTE",)}[self]


@dataclass(frozen=True)
class Made:
    """A signed document and its CUFE/CUDE."""

    data: bytes
    key: str


def _key(data: bytes) -> str:
    return (parse_xml(data).getroot().findtext(f"{{{ns.CBC}}}UUID") or "").strip().lower()


def wrong_key(unsigned: bytes) -> bytes:
    """``unsigned`` with a ``cbc:UUID`` that is not its CUFE/CUDE (another SHA-384), before signing."""
    tree = parse_xml(unsigned)
    uuid = tree.getroot().find(f"{{{ns.CBC}}}UUID")
    if uuid is None:
        raise InvalidInput("the document has no cbc:UUID to break", "break an invoice or a note")
    uuid.text = hashlib.sha384(b"minica --break cufe " + (uuid.text or "").encode()).hexdigest()
    return bytes(etree.tostring(tree, xml_declaration=True, encoding="UTF-8"))


def tamper_amount(signed: bytes) -> bytes:
    """``signed`` with its first ``cbc:PayableAmount`` raised by 1,000 after signing."""
    match = _PAYABLE.search(signed)
    if match is None:
        raise InvalidInput("the document has no cbc:PayableAmount to tamper with", "break an invoice")
    value = f"{float(match.group(2)) + 1000:.2f}".encode()
    return signed[:match.start(2)] + value + signed[match.end(2):]


@dataclass
class DocumentMaker:
    """Generates and signs the test set's documents at ``now`` (``password`` opens the keystores;
    ``ca_password`` the CA key, needed only to issue an already-expired certificate)."""

    home: Home
    registration: SoftwareRegistration
    password: bytes
    now: _dt.datetime
    ca_password: bytes | None = None

    def __post_init__(self) -> None:
        self._signers = HomeSigners(self.home, self.password, Selection(), self.now)
        self._issuer = issuer_from_registration(self.registration)

    def make(self, kind: str, number: str, *, invoice: InvoiceReference | None = None,
             broken: BreakKind | None = None) -> Made:
        """Generate ``kind`` (``invoice``, ``creditnote``, ``debitnote``) numbered ``number``,
        referencing ``invoice`` (notes), broken as ``broken`` says; signed."""
        issue_time, signers = self.now, self._signers
        issuer = self._issuer
        if broken is BreakKind.EXPIRED_CERTIFICATE:
            issue_time, signers = self._expired()
        if broken is BreakKind.ENVIRONMENT:
            issuer = replace(issuer, environment=Environment.PRODUCCION)
        if kind == "invoice":
            unsigned = generate_invoice(issuer, number, issue_time)
        elif invoice is None:
            raise InvalidInput(f"the {kind} {number} needs an invoice to reference", "plan an invoice first")
        elif kind == "creditnote":
            unsigned = generate_credit_note(issuer, number, issue_time, invoice=invoice)
        else:
            unsigned = generate_debit_note(issuer, number, issue_time, invoice=invoice)
        if broken is BreakKind.CUFE:
            unsigned = wrong_key(unsigned)
        document = UblDocument.from_bytes(unsigned)
        signed = signers.for_document(document).sign(document, signing_time=issue_time)
        if broken is BreakKind.AMOUNT:
            signed = tamper_amount(signed)
        return Made(signed, _key(signed))

    def _expired(self) -> tuple[_dt.datetime, HomeSigners]:
        """A signing time and the signers of a company certificate valid then and expired now."""
        authority = load_authority(self.home)
        since = max(authority.issuing.not_valid_before_utc, self.now - _dt.timedelta(days=1))
        record = self._expired_record(since) or self._issue_expired(since)
        start = max(record.not_before, since)
        signing_time = start + (record.not_after - start) / 2
        return signing_time, HomeSigners(self.home, self.password, Selection(serial=record.serial), signing_time)

    def _expired_record(self, since: _dt.datetime) -> CertificateRecord | None:
        found = [r for r in certificates_for_nit(self.home, Nit(self.registration.nit))
                 if Environment.HABILITACION in r.stores and r.key_usage_ok and r.revoked_at is None
                 and since < r.not_after < self.now and r.not_after - max(r.not_before, since) >= _EXPIRED_BY]
        return found[-1] if found else None

    def _issue_expired(self, since: _dt.datetime) -> CertificateRecord:
        company = [r for r in certificates_for_nit(self.home, Nit(self.registration.nit))
                   if Environment.HABILITACION in r.stores]
        if not company:
            raise InvalidInput(f"no certificate of NIT {self.registration.nit_with_dv} in the habilitación store",
                               f"issue one: minica issue --nit {self.registration.nit_with_dv} …")
        newest = company[-1]
        not_after = (self.now - _EXPIRED_BY).replace(microsecond=0)
        if not_after - since < 2 * _EXPIRED_BY:
            raise InvalidInput("the CA is too new to have issued a certificate that has expired since",
                               "try --break expired-certificate again in a few seconds")
        request = IssueRequest(Nit(self.registration.nit), newest.name, profile=newest.profile,
                               environments=(Environment.HABILITACION,), not_before=since, not_after=not_after)
        issued = issue_certificate(self.home, request, store_password=self.password, clock=FixedClock(self.now),
                                   ca_password=self.ca_password)
        return next(r for r in certificates_for_nit(self.home, Nit(self.registration.nit))
                    if r.serial_int == issued.serial)
