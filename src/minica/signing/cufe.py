"""CUFE / CUDE / CUNE: DIAN's SHA-384 document keys, recomputed from the document's own fields.

Formulas from ``dian-xades-profile.md`` §10:

* CUFE (Invoice): ``NumFac FecFac HorFac ValFac 01 ValImp1 04 ValImp2 03 ValImp3 ValTot NitOFE
  NumAdq ClTec TipoAmbiente`` with the numbering resolution's technical key.
* CUDE (CreditNote, DebitNote): the same fields with the software PIN instead of ClTec; DebitNote
  totals come from ``cac:RequestedMonetaryTotal``.
* CUDE of events (ApplicationResponse): ``ID IssueDate IssueTime NitFE DocAdq ResponseCode
  DocumentReference/ID DocumentTypeCode PIN``. The NitFE/DocAdq paths are inferred (the DIAN example
  does not reproduce them), so a mismatch is reported as ``warn``, not ``fail``.
* CUNE (NominaIndividual[DeAjuste]): ``NumNE FecNE HorNE ValDev ValDed ValTolNE NitNE DocEmp
  TipoXML PIN TipAmb`` with amounts truncated to two decimals.
* SoftwareSecurityCode: ``SHA-384(SoftwareID + PIN + NumFac)``.

These establish only that the key matches the fields; not that the fields are true.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from decimal import ROUND_DOWN, ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Literal

from lxml import etree

from minica.signing import namespaces as ns
from minica.signing.report import Check

Kind = Literal["CUFE", "CUDE", "CUNE"]
_NS = {"cbc": ns.CBC, "cac": ns.CAC, "sts": ns.STS, "stso": ns.STS_OLD}
_TAX_CODES = ("01", "04", "03")  # IVA, INC, ICA — in CUFE order.


@dataclass(frozen=True)
class DocumentKey:
    """A recomputed document key: which one, the concatenated input, its SHA-384, the declared one."""

    kind: Kind
    input: str
    computed: str
    declared: str | None
    inferred: bool = False

    @property
    def matches(self) -> bool:
        return self.declared is not None and self.declared.strip().lower() == self.computed


def sha384_hex(text: str) -> str:
    """Lowercase hex SHA-384 of the UTF-8 text (DIAN's CUFE/CUDE/CUNE output form)."""
    return hashlib.sha384(text.encode("utf-8")).hexdigest()


def _amount(text: str | None, rounding: str = ROUND_HALF_UP) -> str:
    try:
        value = Decimal((text or "0").strip() or "0")
    except InvalidOperation:
        raise ValueError(f"'{text}' is not an amount") from None
    return str(value.quantize(Decimal("0.01"), rounding=rounding))


_XPATHS: dict[str, etree.XPath] = {}


def _first(root: etree._Element, path: str) -> str:
    compiled = _XPATHS.get(path)
    if compiled is None:
        compiled = _XPATHS[path] = etree.XPath(path, namespaces=_NS)
    found = compiled(root)
    if not found:
        return ""
    value = found[0]
    return str(value if isinstance(value, str) else "".join(value.itertext())).strip()


def _first_anywhere(root: etree._Element, local: str) -> str:
    """The text of the first sts: (else old sts:) element named ``local`` below ``root``; stops at
    the first found (it sits in the UBL extensions, before the lines)."""
    for namespace in (ns.STS, ns.STS_OLD):
        found = next(root.iterdescendants(f"{{{namespace}}}{local}"), None)
        if found is not None:
            text = "".join(found.itertext()).strip()
            if text:
                return text
    return ""


def _local(root: etree._Element) -> str:
    return str(etree.QName(root).localname)


def _taxes(root: etree._Element) -> dict[str, Decimal]:
    totals = {code: Decimal(0) for code in _TAX_CODES}
    for total in root.xpath("cac:TaxTotal", namespaces=_NS):
        code = _first(total, "cac:TaxSubtotal/cac:TaxCategory/cac:TaxScheme/cbc:ID")
        if code in totals:
            totals[code] += Decimal(_first(total, "cbc:TaxAmount") or "0")
    return totals


def ubl_key_input(root: etree._Element, secret: str) -> str:
    """The CUFE/CUDE input string of an Invoice, CreditNote or DebitNote (``secret`` = key or PIN)."""
    totals = "cac:RequestedMonetaryTotal" if _local(root) == "DebitNote" else "cac:LegalMonetaryTotal"
    taxes = _taxes(root)
    fields = [
        _first(root, "cbc:ID"),
        _first(root, "cbc:IssueDate"),
        _first(root, "cbc:IssueTime"),
        _amount(_first(root, f"{totals}/cbc:LineExtensionAmount")),
    ]
    for code in _TAX_CODES:
        fields += [code, _amount(str(taxes[code]))]
    fields += [
        _amount(_first(root, f"{totals}/cbc:PayableAmount")),
        _first(root, "cac:AccountingSupplierParty/cac:Party/cac:PartyTaxScheme/cbc:CompanyID"),
        _first(root, "cac:AccountingCustomerParty/cac:Party/cac:PartyTaxScheme/cbc:CompanyID"),
        secret,
        _first(root, "cbc:ProfileExecutionID"),
    ]
    return "".join(fields)


def event_key_input(root: etree._Element, pin: str) -> str:
    """The CUDE input string of an ApplicationResponse (RADIAN event); NIT paths are inferred."""
    return "".join(
        [
            _first(root, "cbc:ID"),
            _first(root, "cbc:IssueDate"),
            _first(root, "cbc:IssueTime"),
            _first(root, "cac:SenderParty/cac:PartyTaxScheme/cbc:CompanyID"),
            _first(root, "cac:ReceiverParty/cac:PartyTaxScheme/cbc:CompanyID"),
            _first(root, "cac:DocumentResponse/cac:Response/cbc:ResponseCode"),
            _first(root, "cac:DocumentResponse/cac:DocumentReference/cbc:ID"),
            _first(root, "cac:DocumentResponse/cac:DocumentReference/cbc:DocumentTypeCode"),
            pin,
        ]
    )


def cune_input(root: etree._Element, pin: str) -> str:
    """The CUNE input string of a NominaIndividual / NominaIndividualDeAjuste (NOM §8.1.1)."""

    def attr(element: str, name: str) -> str:
        return _first(root, f"(.//*[local-name()='{element}'])[1]/@{name}")

    def amount(element: str) -> str:
        return _amount(_first(root, f"(.//*[local-name()='{element}'])[1]"), ROUND_DOWN)

    return "".join(
        [
            attr("NumeroSecuenciaXML", "Numero"),
            attr("InformacionGeneral", "FechaGen"),
            attr("InformacionGeneral", "HoraGen"),
            amount("DevengadosTotal"),
            amount("DeduccionesTotal"),
            amount("ComprobanteTotal"),
            attr("Empleador", "NIT"),
            attr("Trabajador", "NumeroDocumento"),
            attr("InformacionGeneral", "TipoXML"),
            pin,
            attr("InformacionGeneral", "Ambiente"),
        ]
    )


def document_key(
    root: etree._Element, *, technical_key: str | None = None, software_pin: str | None = None
) -> DocumentKey | None:
    """Recompute the document's CUFE/CUDE/CUNE; ``None`` when the needed secret is not given.

    Raises ``ValueError`` when the document is not a type with a DIAN key, or an amount is garbled.
    """
    kind_name = _local(root)
    if kind_name == "Invoice":
        if technical_key is None:
            return None
        text = ubl_key_input(root, technical_key)
        return DocumentKey("CUFE", text, sha384_hex(text), _first(root, "cbc:UUID") or None)
    if software_pin is None:
        return None
    if kind_name in ("CreditNote", "DebitNote"):
        text = ubl_key_input(root, software_pin)
        return DocumentKey("CUDE", text, sha384_hex(text), _first(root, "cbc:UUID") or None)
    if kind_name == "ApplicationResponse":
        text = event_key_input(root, software_pin)
        declared = _first(root, "cbc:UUID") or None
        return DocumentKey("CUDE", text, sha384_hex(text), declared, inferred=True)
    if kind_name in ("NominaIndividual", "NominaIndividualDeAjuste"):
        text = cune_input(root, software_pin)
        declared = _first(root, "(.//*[local-name()='InformacionGeneral'])[1]/@CUNE") or None
        return DocumentKey("CUNE", text, sha384_hex(text), declared)
    raise ValueError(f"a {kind_name} has no CUFE/CUDE/CUNE")


def software_security_code(software_id: str, pin: str, number: str) -> str:
    """``sts:SoftwareSecurityCode`` = SHA-384(SoftwareID + PIN + document number)."""
    return sha384_hex(software_id + pin + number)


def key_checks(
    root: etree._Element, *, technical_key: str | None, software_pin: str | None
) -> list[Check]:
    """MINICA-CUFE / -CUDE / -CUNE and MINICA-SOFTWARE-SECURITY-CODE checks for the verifier."""
    rule = {"Invoice": "MINICA-CUFE", "NominaIndividual": "MINICA-CUNE",
            "NominaIndividualDeAjuste": "MINICA-CUNE"}.get(_local(root), "MINICA-CUDE")
    checks: list[Check] = []
    try:
        key = document_key(root, technical_key=technical_key, software_pin=software_pin)
    except ValueError as exc:
        return [Check(rule, "skip" if "has no" in str(exc) else "fail", str(exc))]
    if key is None:
        secret = "technical key" if rule == "MINICA-CUFE" else "software PIN"
        checks.append(Check(rule, "skip", f"{rule[7:]} not recomputed: no {secret} given"))
    elif key.matches:
        checks.append(Check(rule, "pass", f"{key.kind} recomputed: {key.computed}"))
    else:
        where = "InformacionGeneral/@CUNE" if key.kind == "CUNE" else "cbc:UUID"
        checks.append(
            Check(
                rule,
                "warn" if key.inferred else "fail",
                f"{where} is '{key.declared}', but SHA-384 of '{key.input}' is {key.computed}"
                + (" (event NIT fields are inferred)" if key.inferred else ""),
            )
        )
    if software_pin is None:
        return checks  # nothing to compare the code with: the tree is not searched for it
    code = _first_anywhere(root, "SoftwareSecurityCode")
    software_id = _first_anywhere(root, "SoftwareID")
    if code and software_id:
        expected = software_security_code(software_id, software_pin, _first(root, "cbc:ID"))
        if code.lower() == expected:
            checks.append(Check("MINICA-SOFTWARE-SECURITY-CODE", "pass", "SoftwareSecurityCode matches"))
        else:
            checks.append(
                Check(
                    "MINICA-SOFTWARE-SECURITY-CODE", "fail",
                    f"sts:SoftwareSecurityCode is '{code}', expected SHA-384(SoftwareID + PIN + "
                    f"cbc:ID) = {expected}",
                )
            )
    return checks
