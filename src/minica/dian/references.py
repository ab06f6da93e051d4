"""What a credit or debit note corrects: the invoice it references and the correction concept.

A note carries the invoice in ``cac:BillingReference/cac:InvoiceDocumentReference`` (its number,
CUFE with ``schemeName="CUFE-SHA384"`` and issue date) and the reason in
``cac:DiscrepancyResponse`` (the invoice number, DIAN's correction concept code and a description).
"""

from __future__ import annotations

import datetime as _dt
import re
from dataclasses import dataclass

from minica.errors import InvalidInput, MalformedXml
from minica.signing import namespaces as ns
from minica.signing.document import DocumentKind
from minica.signing.xmlsafe import parse_xml

#: DIAN's correction concepts for credit notes (Anexo técnico, "concepto de corrección").
CREDIT_CONCEPTS = {
    "1": "Devolución parcial de los bienes y/o no aceptación parcial del servicio",
    "2": "Anulación de factura electrónica",
    "3": "Rebaja o descuento parcial o total",
    "4": "Ajuste de precio",
    "5": "Descuento comercial por pronto pago",
    "6": "Descuento comercial por volumen de ventas",
}
#: DIAN's correction concepts for debit notes.
DEBIT_CONCEPTS = {
    "1": "Intereses",
    "2": "Gastos por cobrar",
    "3": "Cambio del valor",
    "4": "Otros",
}
_CUFE = re.compile(r"^[0-9a-f]{96}$")


def concept_description(kind: DocumentKind, code: str) -> str:
    """The description of a correction concept of a credit or debit note, or :class:`InvalidInput`."""
    concepts = CREDIT_CONCEPTS if kind is DocumentKind.CREDIT_NOTE else DEBIT_CONCEPTS
    if code not in concepts:
        listed = ", ".join(f"{k} ({v})" for k, v in concepts.items())
        raise InvalidInput(f"'{code}' is not a correction concept of a {kind.value}", f"use one of {listed}")
    return concepts[code]


@dataclass(frozen=True)
class InvoiceReference:
    """The invoice a note corrects: its number, CUFE (lowercase hex SHA-384) and issue date."""

    number: str
    cufe: str
    issue_date: _dt.date

    def __post_init__(self) -> None:
        if not isinstance(self.number, str) or not isinstance(self.cufe, str):
            raise TypeError("InvoiceReference.number and .cufe must be str")
        if isinstance(self.issue_date, _dt.datetime) or not isinstance(self.issue_date, _dt.date):
            raise TypeError("InvoiceReference.issue_date must be a date")
        if not re.match(r"^[A-Za-z0-9-]{1,40}$", self.number):
            raise InvalidInput(f"invoice number '{self.number}' is not valid", "e.g. SETP990000001")
        if not _CUFE.match(self.cufe):
            raise InvalidInput(f"'{self.cufe}' is not a CUFE", "a CUFE is 96 lowercase hexadecimal characters")

    @classmethod
    def of_invoice(cls, data: bytes) -> InvoiceReference:
        """Read the reference from an invoice's bytes (signed or not; parsed with the hardened parser).

        Raises :class:`MalformedXml` when the document is not an invoice with an ID, a CUFE and an
        issue date, and :class:`~minica.errors.HostileXml` for unsafe XML.
        """
        root = parse_xml(data).getroot()
        if DocumentKind.of_root(root) is not DocumentKind.INVOICE:
            raise MalformedXml(f"the referenced document is a {DocumentKind.of_root(root).value}, not an Invoice",
                               "a note references the invoice it corrects")
        values = {name: root.findtext(f"{{{ns.CBC}}}{name}") for name in ("ID", "UUID", "IssueDate")}
        missing = [name for name, value in values.items() if not (value or "").strip()]
        if missing:
            raise MalformedXml(f"the referenced invoice has no cbc:{', cbc:'.join(missing)}",
                               "reference a complete invoice (as minica dian generate writes it)")
        try:
            issued = _dt.date.fromisoformat((values["IssueDate"] or "").strip())
        except ValueError:
            raise MalformedXml(f"the referenced invoice's cbc:IssueDate '{values['IssueDate']}' is not a date",
                               "reference a valid invoice") from None
        return cls((values["ID"] or "").strip(), (values["UUID"] or "").strip().lower(), issued)
