"""DIAN's signed ApplicationResponse: the answer invoicing software puts into its AttachedDocument.

One per validated document: ``ResponseCode`` 02 "Documento validado por la DIAN" or 04 "Documento
rechazado por la DIAN", the document's key with its scheme (``CUFE-SHA384``, ``CUDE-SHA384``,
``CUNE-SHA384``), one ``cac:LineResponse`` per rule applied, ``ProfileExecutionID`` of the
environment, and a XAdES-EPES signature made by minica's own signer (DIAN's profile) with the mock
DIAN certificate (:mod:`minica.dian.dian_signer`), so ``minica verify`` accepts it.
"""

from __future__ import annotations

import datetime as _dt
import hashlib
import uuid

from lxml import etree

from minica.clock import colombian
from minica.dian.dian_signer import DIAN_NIT, DianSigner
from minica.dian.validation import DocumentOutcome
from minica.environment import Environment
from minica.signing import namespaces as ns
from minica.signing.document import UblDocument
from minica.signing.policy import SignerRole
from minica.signing.xades import sign_document

ACCEPTED = ("02", "Documento validado por la DIAN")
REJECTED = ("04", "Documento rechazado por la DIAN")
_DIAN_NAME = "Unidad Especial Dirección de Impuestos y Aduanas Nacionales"
_NSMAP = {None: ns.APPLICATION_RESPONSE, "cac": ns.CAC, "cbc": ns.CBC, "ext": ns.EXT, "sts": ns.STS,
          "ds": ns.DS, "xades": ns.XADES}


def _sub(parent: etree._Element, namespace: str, name: str, text: str | None = None,
         **attributes: str) -> etree._Element:
    element = etree.SubElement(parent, f"{{{namespace}}}{name}", attributes)
    if text is not None:
        element.text = text
    return element


def _party(parent: etree._Element, tag: str, nit: str, name: str) -> None:
    scheme = _sub(_sub(parent, ns.CAC, tag), ns.CAC, "PartyTaxScheme")
    _sub(scheme, ns.CBC, "RegistrationName", name)
    _sub(scheme, ns.CBC, "CompanyID", nit, schemeAgencyID="195", schemeName="31")
    tax = _sub(scheme, ns.CAC, "TaxScheme")
    _sub(tax, ns.CBC, "ID", "01")
    _sub(tax, ns.CBC, "Name", "IVA")


def build_application_response(outcome: DocumentOutcome, environment: Environment, now: _dt.datetime) -> bytes:
    """The unsigned ApplicationResponse answering ``outcome``."""
    return _serialize(_response_tree(outcome, environment, now))


def _serialize(root: etree._Element) -> bytes:
    return bytes(etree.tostring(root, xml_declaration=True, encoding="UTF-8", standalone=False))


def _response_tree(outcome: DocumentOutcome, environment: Environment, now: _dt.datetime) -> etree._Element:
    local = colombian(now)
    code, description = ACCEPTED if outcome.is_valid else REJECTED
    root = etree.Element(f"{{{ns.APPLICATION_RESPONSE}}}ApplicationResponse", nsmap=_NSMAP)
    extension = _sub(_sub(_sub(root, ns.EXT, "UBLExtensions"), ns.EXT, "UBLExtension"), ns.EXT, "ExtensionContent")
    dian = _sub(extension, ns.STS, "DianExtensions")
    _sub(_sub(dian, ns.STS, "InvoiceSource"), ns.CBC, "IdentificationCode", "CO")
    provider = _sub(dian, ns.STS, "SoftwareProvider")
    _sub(provider, ns.STS, "ProviderID", DIAN_NIT.number, schemeAgencyID="195", schemeID=str(DIAN_NIT.dv),
         schemeName="31")
    _sub(provider, ns.STS, "SoftwareID", "minica-mock-dian")
    _sub(_sub(dian, ns.STS, "AuthorizationProvider"), ns.STS, "AuthorizationProviderID", DIAN_NIT.number,
         schemeAgencyID="195", schemeID=str(DIAN_NIT.dv), schemeName="31")
    _sub(root, ns.CBC, "UBLVersionID", "UBL 2.1")
    _sub(root, ns.CBC, "CustomizationID", "1")
    _sub(root, ns.CBC, "ProfileID", "DIAN 2.1")
    _sub(root, ns.CBC, "ProfileExecutionID", environment.profile_execution_id)
    number = str(int(local.strftime("%y%m%d%H%M%S")) * 1000 + uuid.uuid4().int % 1000)
    _sub(root, ns.CBC, "ID", number)
    seed = f"{number}{outcome.document_key or ''}{code}{local.isoformat()}"
    _sub(root, ns.CBC, "UUID", hashlib.sha384(seed.encode()).hexdigest(), schemeName="CUDE-SHA384")
    _sub(root, ns.CBC, "IssueDate", local.date().isoformat())
    _sub(root, ns.CBC, "IssueTime", local.strftime("%H:%M:%S-05:00"))
    _sub(root, ns.CBC, "Note", "MINICA MOCK: respuesta de un servicio DIAN local, no de la DIAN.")
    _party(root, "SenderParty", DIAN_NIT.number, _DIAN_NAME)
    _party(root, "ReceiverParty", "".join(c for c in (outcome.supplier_nit or "") if c.isdigit()) or "0",
           "Emisor")
    response = _sub(root, ns.CAC, "DocumentResponse")
    head = _sub(response, ns.CAC, "Response")
    _sub(head, ns.CBC, "ResponseCode", code)
    _sub(head, ns.CBC, "Description", description)
    reference = _sub(response, ns.CAC, "DocumentReference")
    _sub(reference, ns.CBC, "ID", outcome.number or outcome.file_name)
    _sub(reference, ns.CBC, "UUID", outcome.document_key or "", schemeName=outcome.scheme)
    lines = outcome.rules or ()
    for index, rule in enumerate(lines, start=1):
        line = _sub(response, ns.CAC, "LineResponse")
        _sub(_sub(line, ns.CAC, "LineReference"), ns.CBC, "LineID", str(index))
        answer = _sub(line, ns.CAC, "Response")
        _sub(answer, ns.CBC, "ResponseCode", rule.rule)
        _sub(answer, ns.CBC, "Description", f"{'Rechazo' if rule.rejection else 'Notificación'}: {rule.message}")
    if not lines:
        line = _sub(response, ns.CAC, "LineResponse")
        _sub(_sub(line, ns.CAC, "LineReference"), ns.CBC, "LineID", "1")
        answer = _sub(line, ns.CAC, "Response")
        _sub(answer, ns.CBC, "ResponseCode", "0000")
        _sub(answer, ns.CBC, "Description", "0")
    return root


def signed_application_response(outcome: DocumentOutcome, environment: Environment, now: _dt.datetime,
                                signer: DianSigner) -> bytes:
    """The ApplicationResponse answering ``outcome``, signed by the mock DIAN (XAdES-EPES, DIAN's profile)."""
    root = _response_tree(outcome, environment, now)
    # Built here and serialized by lxml: the tree is what those bytes parse to, so it is not read again.
    unsigned = UblDocument.from_tree(root.getroottree(), raw=_serialize(root))
    return sign_document(unsigned, key=signer.key, certificate=signer.certificate, signing_time=now,
                         role=SignerRole.SUPPLIER)
