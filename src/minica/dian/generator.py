"""DIAN documents to sign and send, generated for a registered company: the Python API.

``generate_invoice``, ``generate_credit_note``, ``generate_debit_note`` and ``generate_nomina``
return the bytes of a valid **unsigned** UBL 2.1 document (nómina 1.0 for payroll): DIAN's
extensions with the software ID and software security code (SHA-384 of software ID + PIN +
number), the numbering range (``sts:InvoiceControl``, invoices), parties with NIT and check digit,
IVA, totals that add up, ``cbc:UUID`` = CUFE (technical key) / CUDE (PIN) / CUNE (PIN) computed per
DIAN's Anexo técnico, the QR data, and for notes the invoice they correct. The same inputs give
the same bytes; the time is an argument, never read from a clock.

The issuer is an :class:`~minica.dian.issuer.Issuer` or a
:class:`~minica.dian.registration.SoftwareRegistration` of the local DIAN::

    from minica.dian.generator import generate_credit_note, generate_invoice
    from minica.dian.registration import load_registration

    registration = load_registration(home, "900373987-9")
    invoice = generate_invoice(registration, "SETP990000001", issue_time, lines=3)
    note = generate_credit_note(registration, "NC1", issue_time, invoice=invoice)

Bad values raise :class:`~minica.errors.InvalidInput` (a number outside the range, an issue date
outside its validity, a wrong NIT check digit, an unknown correction concept, …).
"""

from __future__ import annotations

import datetime as _dt
from collections.abc import Sequence

from minica.dian.amounts import Line, sample_lines
from minica.dian.issuer import Issuer, issuer_from_registration, split_number
from minica.dian.nomina_writer import Employee, build_nomina
from minica.dian.parties import DEFAULT_CUSTOMER, Address, Party, checked_text
from minica.dian.references import InvoiceReference
from minica.dian.registration import SoftwareRegistration
from minica.dian.ubl_writer import UblContent, build_ubl
from minica.errors import InvalidInput
from minica.signing import namespaces as ns
from minica.signing.document import DocumentKind
from minica.signing.xmlsafe import parse_xml

__all__ = [
    "KINDS", "Address", "Employee", "InvoiceReference", "Issuer", "Line", "Party", "document_key_of", "generate",
    "generate_credit_note", "generate_debit_note", "generate_invoice", "generate_nomina", "parse_kind",
]

#: The kinds ``minica dian generate --kind`` names.
KINDS = {
    "invoice": DocumentKind.INVOICE,
    "creditnote": DocumentKind.CREDIT_NOTE,
    "debitnote": DocumentKind.DEBIT_NOTE,
    "nomina": DocumentKind.NOMINA_INDIVIDUAL,
}
DEFAULT_NOTE = "Documento de prueba generado por minica (datos ficticios)"
DEFAULT_CONCEPT = {DocumentKind.CREDIT_NOTE: "1", DocumentKind.DEBIT_NOTE: "3"}
IssuerLike = Issuer | SoftwareRegistration


def document_key_of(data: bytes) -> tuple[str, str]:
    """(scheme, value) of a generated document's key: ``("CUFE-SHA384", hex)`` from ``cbc:UUID``,
    or ``("CUNE-SHA384", hex)`` from a nómina's ``InformacionGeneral/@CUNE``."""
    root = parse_xml(data).getroot()
    kind = DocumentKind.of_root(root)
    if kind.is_nomina:
        general = root.find(f"{{{kind.namespace}}}InformacionGeneral")
        if general is not None:
            return general.get("EncripCUNE", ""), general.get("CUNE", "")
        return "", ""
    uuid = root.find(f"{{{ns.CBC}}}UUID")
    return ("", "") if uuid is None else (uuid.get("schemeName", ""), (uuid.text or "").strip())


def parse_kind(text: str) -> DocumentKind:
    """``invoice``, ``creditnote``, ``debitnote`` or ``nomina`` (case and dashes ignored)."""
    kind = KINDS.get(text.strip().lower().replace("-", "").replace("_", ""))
    if kind is None:
        raise InvalidInput(f"unknown document kind '{text}'", f"use one of {', '.join(KINDS)}")
    return kind


def _issuer(issuer: IssuerLike) -> Issuer:
    if isinstance(issuer, SoftwareRegistration):
        return issuer_from_registration(issuer)
    if not isinstance(issuer, Issuer):
        raise TypeError("the issuer must be an Issuer or a SoftwareRegistration")
    return issuer


def _lines(lines: int | Sequence[Line]) -> tuple[Line, ...]:
    if isinstance(lines, int):
        return sample_lines(lines)
    chosen = tuple(lines)
    if not chosen or not all(isinstance(line, Line) for line in chosen):
        raise InvalidInput("a document needs at least one line", "give a number of lines or Line objects")
    return chosen


def _number(number: str) -> str:
    split_number(number)
    return number


def _ubl(kind: DocumentKind, issuer: IssuerLike, number: str, issue_time: _dt.datetime, *,
         lines: int | Sequence[Line], customer: Party, note: str,
         invoice: InvoiceReference | bytes | None = None, concept: str | None = None) -> bytes:
    if not isinstance(customer, Party):
        raise TypeError("customer must be a Party")
    reference = InvoiceReference.of_invoice(invoice) if isinstance(invoice, bytes) else invoice
    if kind is not DocumentKind.INVOICE and not isinstance(reference, InvoiceReference):
        raise InvalidInput(f"a {kind.value} must reference the invoice it corrects",
                           "give the invoice (its bytes or an InvoiceReference)")
    content = UblContent(kind, _number(number), issue_time, _lines(lines), customer,
                         checked_text(note, "note", limit=5000), reference, concept or DEFAULT_CONCEPT.get(kind))
    return build_ubl(_issuer(issuer), content)


def generate_invoice(issuer: IssuerLike, number: str, issue_time: _dt.datetime, *,
                     lines: int | Sequence[Line] = 2, customer: Party = DEFAULT_CUSTOMER,
                     note: str = DEFAULT_NOTE) -> bytes:
    """An unsigned Invoice (``InvoiceTypeCode`` 01) numbered ``number`` in the issuer's range.

    ``lines`` is a number of sample lines or the lines themselves; ``issue_time`` must be
    timezone-aware (it is written in Colombian time). The CUFE is keyed by the range's technical key.
    """
    return _ubl(DocumentKind.INVOICE, issuer, number, issue_time, lines=lines, customer=customer, note=note)


def generate_credit_note(issuer: IssuerLike, number: str, issue_time: _dt.datetime, *,
                         invoice: InvoiceReference | bytes, concept: str = "1",
                         lines: int | Sequence[Line] = 1, customer: Party = DEFAULT_CUSTOMER,
                         note: str = DEFAULT_NOTE) -> bytes:
    """An unsigned CreditNote (type 91) correcting ``invoice`` (its bytes or an
    :class:`InvoiceReference`) for DIAN's correction ``concept`` (1–6); the CUDE is keyed by the PIN."""
    return _ubl(DocumentKind.CREDIT_NOTE, issuer, number, issue_time, lines=lines, customer=customer,
                note=note, invoice=invoice, concept=concept)


def generate_debit_note(issuer: IssuerLike, number: str, issue_time: _dt.datetime, *,
                        invoice: InvoiceReference | bytes, concept: str = "3",
                        lines: int | Sequence[Line] = 1, customer: Party = DEFAULT_CUSTOMER,
                        note: str = DEFAULT_NOTE) -> bytes:
    """An unsigned DebitNote correcting ``invoice`` for DIAN's correction ``concept`` (1–4), with
    ``cac:RequestedMonetaryTotal``; the CUDE is keyed by the PIN."""
    return _ubl(DocumentKind.DEBIT_NOTE, issuer, number, issue_time, lines=lines, customer=customer,
                note=note, invoice=invoice, concept=concept)


def generate_nomina(issuer: IssuerLike, number: str, issue_time: _dt.datetime, *,
                    employee: Employee | None = None, note: str = DEFAULT_NOTE) -> bytes:
    """An unsigned NominaIndividual (``TipoXML`` 102) paying ``employee`` for the month before
    ``issue_time``; the CUNE is keyed by the PIN."""
    if employee is not None and not isinstance(employee, Employee):
        raise TypeError("employee must be an Employee")
    return build_nomina(_issuer(issuer), _number(number), issue_time, employee or Employee(),
                        checked_text(note, "note", limit=5000))


def generate(kind: DocumentKind, issuer: IssuerLike, number: str, issue_time: _dt.datetime, *,
             lines: int | Sequence[Line] | None = None, customer: Party = DEFAULT_CUSTOMER,
             invoice: InvoiceReference | bytes | None = None, concept: str | None = None,
             employee: Employee | None = None, note: str = DEFAULT_NOTE) -> bytes:
    """Any of the four kinds (see :func:`parse_kind`); the arguments a kind does not use must not
    be given (``invoice``/``concept`` only for notes, ``employee`` only for nómina, ``lines`` not for
    nómina; by default an invoice has two lines and a note one)."""
    if kind is DocumentKind.NOMINA_INDIVIDUAL:
        if invoice is not None or concept is not None or lines is not None:
            raise InvalidInput("a nómina has no lines and references no invoice",
                               "leave out --lines, --references and --concept")
        return generate_nomina(issuer, number, issue_time, employee=employee, note=note)
    if employee is not None:
        raise InvalidInput(f"a {kind.value} has no worker", "give a worker only for --kind nomina")
    if kind is DocumentKind.INVOICE and (invoice is not None or concept is not None):
        raise InvalidInput("an invoice references no other invoice", "give --references only for notes")
    if kind not in KINDS.values():
        raise InvalidInput(f"minica does not generate {kind.value} documents", f"use one of {', '.join(KINDS)}")
    chosen = lines if lines is not None else (2 if kind is DocumentKind.INVOICE else 1)
    return _ubl(kind, issuer, number, issue_time, lines=chosen, customer=customer, note=note, invoice=invoice,
                concept=concept)
