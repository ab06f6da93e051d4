"""Validating one document as DIAN's reception does, into DIAN's answer.

For each XML received: the document must be one this operation takes; its software registered
(``sts:SoftwareID``, else the supplier's registration) and the sender's certificate NIT its supplier
or its registered provider (else StatusCode 89); its ``ProfileExecutionID`` this endpoint's
environment; the signature verified by minica's verifier, whose failures carry DIAN's rule codes
(ZE02, DC…, ZD…); the CUFE/CUDE/CUNE and SoftwareSecurityCode recomputed with the registered
technical key and PIN; an invoice's number inside the registered range and prefix.

Rule codes: DIAN's where minica knows them (the verifier's; FAD06/CAD06/DAD06 "CUFE/CUDE no está
calculado correctamente"; 90 "Documento procesado anteriormente"; ZB01 for a document that cannot be
read); checks DIAN codes differently or that minica could not source carry minica's own
``MINICA-…`` codes (environment, range, prefix, software). Failures are ``Rechazo``, warnings
``Notificación``; a document with no rejection is StatusCode 00, else 99.
"""

from __future__ import annotations

import datetime as _dt
import sqlite3
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from cryptography import x509

from minica.dian.registration import SoftwareRegistration, load_registration, registration_by_software_id
from minica.environment import Environment
from minica.errors import InvalidInput, MinicaError, NotFound
from minica.identity import Nit
from minica.signing import namespaces as ns
from minica.signing.document import DocumentKind, UblDocument
from minica.signing.revocation import RevocationSource
from minica.signing.verifier import verify_document
from minica.storage.home import Home

OK, REJECTED, PRECHECK = "00", "99", "89"
DESCRIPTIONS = {
    OK: "Procesado Correctamente.",
    REJECTED: "Validación contiene errores en campos mandatorios.",
    PRECHECK: "Validación contiene errores en campos mandatorios.",
    "98": "En Proceso",
    "66": "TrackId no existe en los registros de la DIAN.",
}
DUPLICATE_RULE = "90"
_KEY_RULES = {"Invoice": ("FAD06", "CUFE"), "CreditNote": ("CAD06", "CUDE"), "DebitNote": ("DAD06", "CUDE")}
_LABELS = {"Invoice": "La Factura electrónica", "CreditNote": "La Nota Crédito electrónica",
           "DebitNote": "La Nota Débito electrónica", "NominaIndividual": "La Nómina Individual electrónica",
           "NominaIndividualDeAjuste": "La Nómina Individual de Ajuste electrónica",
           "ApplicationResponse": "El evento"}
_SCHEMES = {"Invoice": "CUFE-SHA384", "CreditNote": "CUDE-SHA384", "DebitNote": "CUDE-SHA384",
            "ApplicationResponse": "CUDE-SHA384", "NominaIndividual": "CUNE-SHA384",
            "NominaIndividualDeAjuste": "CUNE-SHA384"}


@dataclass(frozen=True)
class RuleResult:
    """One line of DIAN's answer: the rule, ``Rechazo`` or ``Notificación``, and why."""

    rule: str
    rejection: bool
    message: str

    @property
    def text(self) -> str:
        """``Regla: ZE02, Rechazo: Valor de la firma inválido`` (DIAN's ErrorMessage item)."""
        return f"Regla: {self.rule}, {'Rechazo' if self.rejection else 'Notificación'}: {self.message}"

    def to_json(self) -> dict[str, Any]:
        return {"rule": self.rule, "kind": "Rechazo" if self.rejection else "Notificación",
                "message": self.message}


@dataclass(frozen=True)
class DocumentOutcome:
    """DIAN's verdict on one document and the facts the answer and the records need."""

    file_name: str
    status_code: str
    rules: tuple[RuleResult, ...]
    document_key: str | None = None
    kind: str | None = None
    type_code: str | None = None
    number: str | None = None
    supplier_nit: str | None = None
    customer_nit: str | None = None
    software_id: str | None = None
    issue_date: str | None = None
    registration: SoftwareRegistration | None = field(default=None, repr=False, compare=False)

    @property
    def is_valid(self) -> bool:
        return self.status_code == OK

    @property
    def description(self) -> str:
        return DESCRIPTIONS.get(self.status_code, "")

    @property
    def message(self) -> str:
        """StatusMessage: what happened to the document, in DIAN's words."""
        label = _LABELS.get(self.kind or "", "El documento")
        if self.is_valid:
            return f"{label} {self.number or ''}, ha sido autorizada.".replace("  ", " ")
        if self.status_code == PRECHECK:
            return self.rules[0].message if self.rules else "Documento no procesado."
        return "Documento con errores en campos mandatorios."

    @property
    def scheme(self) -> str:
        return _SCHEMES.get(self.kind or "", "CUFE-SHA384")

    def with_rule(self, rule: RuleResult) -> DocumentOutcome:
        """The same outcome with one more rule (a rejection makes it 99)."""
        status = REJECTED if rule.rejection and self.status_code == OK else self.status_code
        return replace(self, status_code=status, rules=(*self.rules, rule))


def precheck_failure(file_name: str, message: str) -> DocumentOutcome:
    """StatusCode 89: the request could not be validated at all."""
    return DocumentOutcome(file_name, PRECHECK, (RuleResult(PRECHECK, True, message),))


@dataclass(frozen=True)
class Validator:
    """Validates documents for one environment of one home, as of ``now``."""

    home: Home
    environment: Environment
    now: _dt.datetime
    anchors: Sequence[x509.Certificate]
    intermediates: Sequence[x509.Certificate]
    revocation: RevocationSource | None

    def validate(self, file_name: str, data: bytes, *, sender_nit: str, kinds: frozenset[DocumentKind],
                 conn: sqlite3.Connection) -> DocumentOutcome:
        """DIAN's verdict on ``data`` (never raises for bad documents)."""
        try:
            document = UblDocument.from_bytes(data)
        except MinicaError as exc:
            return DocumentOutcome(file_name, REJECTED, (RuleResult("ZB01", True, f"Fallo en el esquema XML del "
                                                                               f"archivo: {exc.what}"),))
        facts = _facts(document)
        base = DocumentOutcome(file_name, OK, (), **facts)
        if document.kind not in kinds:
            accepted = ", ".join(sorted(k.value for k in kinds))
            return base.with_rule(RuleResult("ZB01", True, f"Un {document.kind.value} no se recibe por esta "
                                                           f"operación (recibe {accepted})"))
        registration = self._registration(facts.get("software_id"), facts.get("supplier_nit"), conn)
        supplier = _digits(facts.get("supplier_nit"))
        if registration is not None and not registration.authorises(sender_nit):
            return precheck_failure(file_name, f"El NIT {sender_nit} del certificado no está autorizado para "
                                               f"enviar documentos del emisor {supplier or '(sin NIT)'}.")
        if registration is None and sender_nit != supplier:
            return precheck_failure(file_name, f"El NIT {sender_nit} del certificado no es el del emisor "
                                               f"{supplier or '(sin NIT)'} ni de su proveedor registrado.")
        outcome = base
        for rule in self._rules(document, data, registration):
            outcome = outcome.with_rule(rule)
        if registration is not None:
            outcome = replace(outcome, registration=registration)
        return outcome

    def _registration(self, software_id: str | None, supplier_nit: str | None,
                      conn: sqlite3.Connection) -> SoftwareRegistration | None:
        if software_id:
            found = registration_by_software_id(self.home, software_id, conn=conn)
            if found is not None and found.nit == _digits(supplier_nit):
                return found
        try:
            return load_registration(self.home, Nit(_digits(supplier_nit) or "0"), conn=conn)
        except (NotFound, InvalidInput):
            return None

    def _rules(self, document: UblDocument, data: bytes,
               registration: SoftwareRegistration | None) -> list[RuleResult]:
        rules: list[RuleResult] = []
        kind = document.kind.value
        try:
            environment = document.environment
        except InvalidInput:
            environment = None
        if environment is not self.environment:
            rules.append(RuleResult("MINICA-AMBIENTE", True, (
                f"El ProfileExecutionID del documento es {document.profile_execution_id!s}, pero este servicio es "
                f"{self.environment.label} (ProfileExecutionID {self.environment.profile_execution_id})")))
        if registration is None:
            rules.append(RuleResult("MINICA-SOFTWARE", True, "El software del documento no está registrado para "
                                                             "el emisor: minica dian register"))
        elif registration.environment is not self.environment:
            rules.append(RuleResult("MINICA-SOFTWARE", True, f"El software {registration.software_id} está "
                                                             f"registrado en {registration.environment.label}"))
        result = verify_document(
            data, at=self.now, trust=self.anchors, intermediates=self.intermediates, revocation=self.revocation,
            technical_key=registration.numbering.technical_key if registration else None,
            software_pin=registration.pin if registration else None,
        )
        for check in result.checks:
            if check.status not in ("fail", "warn"):
                continue
            rule, message = check.rule, check.message
            if rule in ("MINICA-CUFE", "MINICA-CUDE") and kind in _KEY_RULES:
                rule, name = _KEY_RULES[kind]
                message = f"Valor del {name} no está calculado correctamente. {message}"
            rules.append(RuleResult(rule, check.status == "fail", message))
        if registration is not None and document.kind is DocumentKind.INVOICE:
            number = _text(document, "ID") or ""
            problem = registration.numbering.problem(number)
            if problem is not None:
                rules.append(RuleResult("MINICA-PREFIJO" if problem[0] == "prefix" else "MINICA-RANGO", True,
                                        problem[1]))
            issued = _text(document, "IssueDate")
            numbering = registration.numbering
            if issued and not numbering.valid_from.isoformat() <= issued <= numbering.valid_to.isoformat():
                rules.append(RuleResult("MINICA-RANGO", True, f"La fecha de emisión {issued} está fuera de la vigencia"
                                                              f" de la resolución {numbering.resolution_number}"))
        return rules


def _digits(text: str | None) -> str:
    return "".join(c for c in (text or "") if c.isdigit())


def _text(document: UblDocument, name: str) -> str | None:
    found = document.root.find(f"{{{ns.CBC}}}{name}")
    return (found.text or "").strip() or None if found is not None else None


def _facts(document: UblDocument) -> dict[str, Any]:
    root, kind = document.root, document.kind
    if kind.is_nomina:
        general = next(root.iter(f"{{{kind.namespace}}}InformacionGeneral"), None)
        sequence = next(root.iter(f"{{{kind.namespace}}}NumeroSecuenciaXML"), None)
        provider = next(root.iter(f"{{{kind.namespace}}}ProveedorXML"), None)
        worker = next(root.iter(f"{{{kind.namespace}}}Trabajador"), None)
        return {
            "kind": kind.value, "type_code": general.get("TipoXML") if general is not None else None,
            "document_key": general.get("CUNE") if general is not None else None,
            "number": sequence.get("Numero") if sequence is not None else None,
            "supplier_nit": document.supplier_nit,
            "customer_nit": worker.get("NumeroDocumento") if worker is not None else None,
            "software_id": provider.get("SoftwareID") if provider is not None else None,
            "issue_date": general.get("FechaGen") if general is not None else None,
        }
    type_code = {DocumentKind.INVOICE: _text(document, "InvoiceTypeCode") or "01",
                 DocumentKind.CREDIT_NOTE: "91", DocumentKind.DEBIT_NOTE: "92",
                 DocumentKind.APPLICATION_RESPONSE: "96"}.get(kind)
    software = next(root.iter(f"{{{ns.STS}}}SoftwareID", f"{{{ns.STS_OLD}}}SoftwareID"), None)
    customer = root.find(f"{{{ns.CAC}}}AccountingCustomerParty/{{{ns.CAC}}}Party/{{{ns.CAC}}}PartyTaxScheme/"
                         f"{{{ns.CBC}}}CompanyID")
    return {
        "kind": kind.value, "type_code": type_code, "document_key": _text(document, "UUID"),
        "number": _text(document, "ID"), "supplier_nit": document.supplier_nit,
        "customer_nit": (customer.text or "").strip() if customer is not None else None,
        "software_id": (software.text or "").strip() if software is not None else None,
        "issue_date": _text(document, "IssueDate"),
    }
