"""UBL 2.1 Invoice, CreditNote and DebitNote as DIAN expects them (unsigned).

Element order, namespaces and attributes follow DIAN's own toolbox examples
(``tests/vectors/dian/``): ``sts:DianExtensions`` in the first ``ext:UBLExtension`` (with
``sts:InvoiceControl`` for invoices only), then the header, the references of a note, the parties,
the payment means, the IVA, the totals and the lines. The output has no whitespace between tags
(the signature policy's advice) and no signature; ``cbc:UUID`` and ``sts:QRCode`` are filled in
last, from the finished document, with :func:`minica.signing.cufe.document_key` (the same reading
minica's verifier makes).
"""

from __future__ import annotations

import datetime as _dt
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

from lxml import etree

from minica.clock import colombian, require_aware
from minica.dian.amounts import Line, TaxSubtotal, Totals, money, totals
from minica.dian.issuer import Issuer
from minica.dian.parties import Party
from minica.dian.references import InvoiceReference, concept_description
from minica.identity import Nit
from minica.signing import namespaces as ns
from minica.signing.cufe import document_key, software_security_code
from minica.signing.document import DocumentKind

XSI = "http://www.w3.org/2001/XMLSchema-instance"
DIAN_AGENCY = {"schemeAgencyID": "195", "schemeAgencyName": "CO, DIAN (Dirección de Impuestos y Aduanas Nacionales)"}
#: DIAN itself: the authorisation provider of every document.
DIAN_NIT = Nit("800197268")
#: Where the QR code sends a reader, per environment (ProfileExecutionID).
QR_URL = {
    "1": "https://catalogo-vpfe.dian.gov.co/document/searchqr?documentkey=",
    "2": "https://catalogo-vpfe-hab.dian.gov.co/document/searchqr?documentkey=",
}
XML_DECLARATION = b'<?xml version="1.0" encoding="UTF-8" standalone="no"?>\n'
_PREFIXES = {"cac": ns.CAC, "cbc": ns.CBC, "ext": ns.EXT, "sts": ns.STS}


@dataclass(frozen=True)
class _Shape:
    """What differs between an invoice and the notes."""

    customization: str
    profile: str
    type_code: tuple[str, str] | None
    totals: str
    line: str
    quantity: str
    scheme: str


_SHAPES = {
    DocumentKind.INVOICE: _Shape("10", "DIAN 2.1: Factura Electrónica de Venta", ("InvoiceTypeCode", "01"),
                                 "LegalMonetaryTotal", "InvoiceLine", "InvoicedQuantity", "CUFE-SHA384"),
    DocumentKind.CREDIT_NOTE: _Shape("20", "DIAN 2.1: Nota Crédito de Factura Electrónica de Venta",
                                     ("CreditNoteTypeCode", "91"), "LegalMonetaryTotal", "CreditNoteLine",
                                     "CreditedQuantity", "CUDE-SHA384"),
    DocumentKind.DEBIT_NOTE: _Shape("30", "DIAN 2.1: Nota Débito de Factura Electrónica de Venta", None,
                                    "RequestedMonetaryTotal", "DebitNoteLine", "DebitedQuantity", "CUDE-SHA384"),
}


@dataclass(frozen=True)
class UblContent:
    """Everything one Invoice / CreditNote / DebitNote says, besides its issuer."""

    kind: DocumentKind
    number: str
    issue_time: _dt.datetime
    lines: tuple[Line, ...]
    customer: Party
    note: str
    reference: InvoiceReference | None = None
    concept: str | None = None


def _sub(parent: etree._Element, tag: str, text: str | None = None, **attributes: str) -> etree._Element:
    prefix, local = tag.split(":")
    element = etree.SubElement(parent, f"{{{_PREFIXES[prefix]}}}{local}", attributes)
    if text is not None:
        element.text = text
    return element


def _identified(parent: etree._Element, tag: str, party: Party) -> None:
    """``cbc:CompanyID`` / ``sts:ProviderID``: number with DIAN's scheme and the NIT's DV."""
    attributes = dict(DIAN_AGENCY)
    if party.check_digit is not None:
        attributes["schemeID"] = party.check_digit
    attributes["schemeName"] = party.scheme_name
    _sub(parent, tag, party.number, **attributes)


def build_ubl(issuer: Issuer, content: UblContent) -> bytes:
    """The document's bytes (UTF-8, no BOM): deterministic for the same issuer and content."""
    shape = _SHAPES[content.kind]
    moment = colombian(require_aware(content.issue_time, "issue time")).replace(microsecond=0)
    numbering = issuer.invoice_range(content.number, moment.date()) if content.kind is DocumentKind.INVOICE else None
    environment = issuer.environment.profile_execution_id
    root = etree.Element(
        f"{{{content.kind.namespace}}}{content.kind.value}",
        nsmap={None: content.kind.namespace, "cac": ns.CAC, "cbc": ns.CBC, "ds": ns.DS, "ext": ns.EXT,
               "sts": ns.STS, "xades": ns.XADES, "xades141": ns.XADES141, "xsi": XSI},
    )
    root.set(f"{{{XSI}}}schemaLocation", f"{content.kind.namespace} http://docs.oasis-open.org/ubl/os-UBL-2.1/"
             f"xsd/maindoc/UBL-{content.kind.value}-2.1.xsd")
    extension = _sub(_sub(_sub(root, "ext:UBLExtensions"), "ext:UBLExtension"), "ext:ExtensionContent")
    dian = _sub(extension, "sts:DianExtensions")
    if numbering is not None:
        control = _sub(dian, "sts:InvoiceControl")
        _sub(control, "sts:InvoiceAuthorization", numbering.resolution_number)
        period = _sub(control, "sts:AuthorizationPeriod")
        _sub(period, "cbc:StartDate", numbering.valid_from.isoformat())
        _sub(period, "cbc:EndDate", numbering.valid_to.isoformat())
        authorized = _sub(control, "sts:AuthorizedInvoices")
        _sub(authorized, "sts:Prefix", numbering.prefix)
        _sub(authorized, "sts:From", str(numbering.from_number))
        _sub(authorized, "sts:To", str(numbering.to_number))
    _sub(_sub(dian, "sts:InvoiceSource"), "cbc:IdentificationCode", "CO", listAgencyID="6",
         listAgencyName="United Nations Economic Commission for Europe",
         listSchemeURI="urn:oasis:names:specification:ubl:codelist:gc:CountryIdentificationCode-2.1")
    provider = _sub(dian, "sts:SoftwareProvider")
    _identified(provider, "sts:ProviderID", issuer.software_provider)
    _sub(provider, "sts:SoftwareID", issuer.software_id, **DIAN_AGENCY)
    _sub(dian, "sts:SoftwareSecurityCode",
         software_security_code(issuer.software_id, issuer.software_pin, content.number), **DIAN_AGENCY)
    _identified(_sub(dian, "sts:AuthorizationProvider"), "sts:AuthorizationProviderID",
                Party(DIAN_NIT.number, "DIAN"))
    qr = _sub(dian, "sts:QRCode")

    _sub(root, "cbc:UBLVersionID", "UBL 2.1")
    _sub(root, "cbc:CustomizationID", shape.customization)
    _sub(root, "cbc:ProfileID", shape.profile)
    _sub(root, "cbc:ProfileExecutionID", environment)
    _sub(root, "cbc:ID", content.number)
    uuid = _sub(root, "cbc:UUID", schemeID=environment, schemeName=shape.scheme)
    _sub(root, "cbc:IssueDate", moment.date().isoformat())
    _sub(root, "cbc:IssueTime", moment.strftime("%H:%M:%S") + "-05:00")
    if shape.type_code is not None:
        _sub(root, f"cbc:{shape.type_code[0]}", shape.type_code[1])
    _sub(root, "cbc:Note", content.note)
    _sub(root, "cbc:DocumentCurrencyCode", "COP")
    _sub(root, "cbc:LineCountNumeric", str(len(content.lines)))
    if content.reference is not None:
        _references(root, content)
    _party(_sub(root, "cac:AccountingSupplierParty"), issuer.company, numbering.prefix if numbering else None,
           identification=False)
    _party(_sub(root, "cac:AccountingCustomerParty"), content.customer, None, identification=True)
    means = _sub(root, "cac:PaymentMeans")
    _sub(means, "cbc:ID", "1")  # contado
    _sub(means, "cbc:PaymentMeansCode", "10")  # efectivo
    summed = totals(content.lines)
    _tax_total(root, summed.tax, summed.subtotals)
    _monetary_totals(_sub(root, f"cac:{shape.totals}"), summed)
    for index, line in enumerate(content.lines, start=1):
        _line(root, shape, index, line)

    key = document_key(root, technical_key=numbering.technical_key if numbering else None,
                       software_pin=issuer.software_pin)
    assert key is not None  # both secrets were given
    uuid.text = key.computed
    qr.text = QR_URL[environment] + key.computed
    return XML_DECLARATION + bytes(etree.tostring(root, encoding="UTF-8", xml_declaration=False))


def _references(root: etree._Element, content: UblContent) -> None:
    reference, concept = content.reference, content.concept or "1"
    assert reference is not None
    discrepancy = _sub(root, "cac:DiscrepancyResponse")
    _sub(discrepancy, "cbc:ReferenceID", reference.number)
    _sub(discrepancy, "cbc:ResponseCode", concept)
    _sub(discrepancy, "cbc:Description", concept_description(content.kind, concept))
    invoice = _sub(_sub(root, "cac:BillingReference"), "cac:InvoiceDocumentReference")
    _sub(invoice, "cbc:ID", reference.number)
    _sub(invoice, "cbc:UUID", reference.cufe, schemeName="CUFE-SHA384")
    _sub(invoice, "cbc:IssueDate", reference.issue_date.isoformat())


def _address(parent: etree._Element, party: Party) -> None:
    address = party.address
    _sub(parent, "cbc:ID", address.city_code)
    _sub(parent, "cbc:CityName", address.city)
    _sub(parent, "cbc:CountrySubentity", address.department)
    _sub(parent, "cbc:CountrySubentityCode", address.department_code)
    _sub(_sub(parent, "cac:AddressLine"), "cbc:Line", address.line)
    country = _sub(parent, "cac:Country")
    _sub(country, "cbc:IdentificationCode", "CO")
    _sub(country, "cbc:Name", "Colombia", languageID="es")


def _party(parent: etree._Element, party: Party, prefix: str | None, *, identification: bool) -> None:
    _sub(parent, "cbc:AdditionalAccountID", party.account_type)
    node = _sub(parent, "cac:Party")
    if identification:
        attributes = {"schemeID": party.check_digit} if party.check_digit is not None else {}
        _sub(_sub(node, "cac:PartyIdentification"), "cbc:ID", party.number, schemeName=party.scheme_name,
             **attributes)
    _sub(_sub(node, "cac:PartyName"), "cbc:Name", party.name)
    _address(_sub(_sub(node, "cac:PhysicalLocation"), "cac:Address"), party)
    tax_scheme = _sub(node, "cac:PartyTaxScheme")
    _sub(tax_scheme, "cbc:RegistrationName", party.name)
    _identified(tax_scheme, "cbc:CompanyID", party)
    _sub(tax_scheme, "cbc:TaxLevelCode", party.tax_level_code, listName="48")
    _address(_sub(tax_scheme, "cac:RegistrationAddress"), party)
    _iva_scheme(tax_scheme)
    legal = _sub(node, "cac:PartyLegalEntity")
    _sub(legal, "cbc:RegistrationName", party.name)
    _identified(legal, "cbc:CompanyID", party)
    if prefix is not None:
        _sub(_sub(legal, "cac:CorporateRegistrationScheme"), "cbc:ID", prefix)
    _sub(_sub(node, "cac:Contact"), "cbc:ElectronicMail", party.email)


def _iva_scheme(parent: etree._Element) -> None:
    scheme = _sub(parent, "cac:TaxScheme")
    _sub(scheme, "cbc:ID", "01")
    _sub(scheme, "cbc:Name", "IVA")


def _tax_total(parent: etree._Element, amount: Decimal, subtotals: Sequence[TaxSubtotal]) -> None:
    """``cac:TaxTotal`` of IVA: the amount, then one ``cac:TaxSubtotal`` per rate."""
    total = _sub(parent, "cac:TaxTotal")
    _sub(total, "cbc:TaxAmount", money(amount), currencyID="COP")
    for item in subtotals:
        subtotal = _sub(total, "cac:TaxSubtotal")
        _sub(subtotal, "cbc:TaxableAmount", money(item.taxable), currencyID="COP")
        _sub(subtotal, "cbc:TaxAmount", money(item.tax), currencyID="COP")
        category = _sub(subtotal, "cac:TaxCategory")
        _sub(category, "cbc:Percent", money(item.percent))
        _iva_scheme(category)


def _monetary_totals(parent: etree._Element, summed: Totals) -> None:
    _sub(parent, "cbc:LineExtensionAmount", money(summed.line_extension), currencyID="COP")
    _sub(parent, "cbc:TaxExclusiveAmount", money(summed.tax_exclusive), currencyID="COP")
    _sub(parent, "cbc:TaxInclusiveAmount", money(summed.tax_inclusive), currencyID="COP")
    _sub(parent, "cbc:PayableAmount", money(summed.payable), currencyID="COP")


def _line(root: etree._Element, shape: _Shape, index: int, line: Line) -> None:
    node = _sub(root, f"cac:{shape.line}")
    _sub(node, "cbc:ID", str(index))
    _sub(node, f"cbc:{shape.quantity}", f"{line.quantity:.6f}", unitCode="94")
    _sub(node, "cbc:LineExtensionAmount", money(line.amount), currencyID="COP")
    _tax_total(node, line.iva, [TaxSubtotal(line.iva_percent, line.amount, line.iva)])
    item = _sub(node, "cac:Item")
    _sub(item, "cbc:Description", line.description)
    if line.code:
        _sub(_sub(item, "cac:SellersItemIdentification"), "cbc:ID", line.code)
    price = _sub(node, "cac:Price")
    _sub(price, "cbc:PriceAmount", money(line.unit_price), currencyID="COP")
    _sub(price, "cbc:BaseQuantity", "1.000000", unitCode="94")
