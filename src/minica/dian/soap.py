"""SOAP 1.2 envelopes of DIAN's ``WcfDianCustomerServices``: reading a request, writing replies and
faults.

Requests are parsed only through minica's hardened parser (:func:`minica.signing.xmlsafe.parse_xml`)
with a size limit of its own, :data:`MAX_SOAP_BODY`: the body carries the ZIP in base64 (4/3 of
its size), so 10 MB of SOAP holds a ZIP of about 7.4 MB — DIAN's documents are kilobytes, and the
parser's per-text limit (10,000,000 characters) is above what fits. Replies are built with lxml
(every value escaped) in the shape WCF writes them (reference/dian-webservice.md).
"""

from __future__ import annotations

import base64
import binascii
import datetime as _dt
import enum
from dataclasses import dataclass, field

from lxml import etree

from minica.clock import UTC
from minica.errors import InvalidInput, MinicaError
from minica.signing.xmlsafe import parse_xml

#: Largest SOAP request accepted (bytes), the same as the JSON API's body limit.
MAX_SOAP_BODY = 10 * 1024 * 1024

SOAP12 = "http://www.w3.org/2003/05/soap-envelope"
SOAP11 = "http://schemas.xmlsoap.org/soap/envelope/"
WSA = "http://www.w3.org/2005/08/addressing"
WSSE = "http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-secext-1.0.xsd"
WSU = "http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-utility-1.0.xsd"
TNS = "http://wcf.dian.colombia"
ACTION_BASE = f"{TNS}/IWcfDianCustomerServices/"
DC = "http://schemas.datacontract.org/2004/07/"
ARRAYS = "http://schemas.microsoft.com/2003/10/Serialization/Arrays"
XSI = "http://www.w3.org/2001/XMLSchema-instance"
FAULT_ACTION = f"{WSA}/soap/fault"
#: How long a reply's wsu:Timestamp says it is fresh.
REPLY_TTL = _dt.timedelta(minutes=5)


class Operation(str, enum.Enum):
    """Every operation of DIAN's WSDL; :data:`MOCKED` are answered, the rest are a fault."""

    SEND_BILL_SYNC = "SendBillSync"
    SEND_BILL_ASYNC = "SendBillAsync"
    SEND_TEST_SET_ASYNC = "SendTestSetAsync"
    SEND_BILL_ATTACHMENT_ASYNC = "SendBillAttachmentAsync"
    SEND_EVENT_UPDATE_STATUS = "SendEventUpdateStatus"
    SEND_NOMINA_SYNC = "SendNominaSync"
    GET_STATUS = "GetStatus"
    GET_STATUS_ZIP = "GetStatusZip"
    GET_STATUS_EVENT = "GetStatusEvent"
    GET_NUMBERING_RANGE = "GetNumberingRange"
    GET_XML_BY_DOCUMENT_KEY = "GetXmlByDocumentKey"
    GET_EXCHANGE_EMAILS = "GetExchangeEmails"
    GET_DOC_IDENTIFIER_WITH_EVENTS = "GetDocIdentifierWithEvents"
    GET_REFERENCE_NOTES = "GetReferenceNotes"

    @property
    def action(self) -> str:
        return ACTION_BASE + self.value

    @property
    def reply_action(self) -> str:
        return ACTION_BASE + self.value + "Response"


MOCKED = frozenset({
    Operation.SEND_BILL_SYNC, Operation.SEND_BILL_ASYNC, Operation.SEND_TEST_SET_ASYNC,
    Operation.SEND_EVENT_UPDATE_STATUS, Operation.SEND_NOMINA_SYNC, Operation.GET_STATUS,
    Operation.GET_STATUS_ZIP, Operation.GET_NUMBERING_RANGE, Operation.GET_XML_BY_DOCUMENT_KEY,
})


class SoapFault(MinicaError):
    """A request answered with a SOAP 1.2 Fault: ``code`` Sender or Receiver, ``subcode`` a
    qualified name (WS-Security's ``wsse:InvalidSecurity``, ``wsse:MessageExpired``, …)."""

    def __init__(self, reason: str, *, code: str = "Sender", subcode: tuple[str, str] | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.code = code
        self.subcode = subcode


def security_fault(reason: str, subcode: str = "InvalidSecurity") -> SoapFault:
    """A WS-Security refusal (``wsse:InvalidSecurity``, ``wsse:FailedAuthentication``, …)."""
    return SoapFault(reason, subcode=(WSSE, subcode))


@dataclass(frozen=True)
class SoapRequest:
    """A parsed request: the tree (for the WS-Security check), the operation and its parameters."""

    tree: etree._ElementTree = field(repr=False)
    operation: Operation
    parameters: dict[str, str]
    message_id: str | None

    @property
    def envelope(self) -> etree._Element:
        return self.tree.getroot()

    def header(self, namespace: str, name: str) -> list[etree._Element]:
        header = self.envelope.find(f"{{{SOAP12}}}Header")
        return [] if header is None else header.findall(f"{{{namespace}}}{name}")

    def text(self, name: str) -> str:
        """A parameter's text ('' when absent)."""
        return self.parameters.get(name, "")

    def binary(self, name: str) -> bytes:
        """A base64Binary parameter's bytes; :class:`InvalidInput` when it is not base64."""
        try:
            return base64.b64decode("".join(self.text(name).split()), validate=True)
        except (binascii.Error, ValueError):
            raise InvalidInput(f"{name} is not base64", "send the ZIP's bytes in base64") from None


def parse_request(body: bytes) -> SoapRequest:
    """Read a SOAP 1.2 request; :class:`SoapFault` for anything that is not one of DIAN's."""
    if not body.strip():
        raise SoapFault("the request has no body", code="Sender")
    try:
        tree = parse_xml(body, max_bytes=MAX_SOAP_BODY)
    except MinicaError as exc:
        raise SoapFault(f"the request is not readable XML: {exc}") from None
    root = tree.getroot()
    if root.tag == f"{{{SOAP11}}}Envelope":
        raise SoapFault("this service speaks SOAP 1.2 (http://www.w3.org/2003/05/soap-envelope), not SOAP 1.1",
                        code="VersionMismatch")
    if root.tag != f"{{{SOAP12}}}Envelope":
        raise SoapFault("the request is not a SOAP 1.2 Envelope")
    bodies = root.findall(f"{{{SOAP12}}}Body")
    if len(bodies) != 1:
        raise SoapFault("a SOAP Envelope needs exactly one Body")
    children = [c for c in bodies[0] if isinstance(c.tag, str)]
    if len(children) != 1:
        raise SoapFault("the SOAP Body must hold exactly one operation element")
    element = children[0]
    qname = etree.QName(element)
    try:
        operation = Operation(qname.localname)
    except ValueError:
        operation = None
    if qname.namespace != TNS or operation is None:
        raise SoapFault(f"unknown operation {{{qname.namespace or ''}}}{qname.localname}",
                        subcode=(WSA, "ActionNotSupported"))
    parameters: dict[str, str] = {}
    for child in element:
        if isinstance(child.tag, str) and etree.QName(child).namespace == TNS:
            parameters[etree.QName(child).localname] = "".join(child.itertext())
    ids = root.findall(f"{{{SOAP12}}}Header/{{{WSA}}}MessageID")
    return SoapRequest(tree, operation, parameters, (ids[0].text or "").strip() if len(ids) == 1 else None)


# --- replies --------------------------------------------------------------------------------------

def _timestamp_text(moment: _dt.datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def _envelope(action: str, now: _dt.datetime, relates_to: str | None) -> tuple[etree._Element, etree._Element]:
    envelope = etree.Element(f"{{{SOAP12}}}Envelope", nsmap={"s": SOAP12, "a": WSA, "u": WSU})
    header = etree.SubElement(envelope, f"{{{SOAP12}}}Header")
    etree.SubElement(header, f"{{{WSA}}}Action", {f"{{{SOAP12}}}mustUnderstand": "1"}).text = action
    if relates_to:
        etree.SubElement(header, f"{{{WSA}}}RelatesTo").text = relates_to
    security = etree.SubElement(header, f"{{{WSSE}}}Security", nsmap={"o": WSSE})
    stamp = etree.SubElement(security, f"{{{WSU}}}Timestamp", {f"{{{WSU}}}Id": "_0"})
    etree.SubElement(stamp, f"{{{WSU}}}Created").text = _timestamp_text(now)
    etree.SubElement(stamp, f"{{{WSU}}}Expires").text = _timestamp_text(now + REPLY_TTL)
    return envelope, etree.SubElement(envelope, f"{{{SOAP12}}}Body")


def _bytes(envelope: etree._Element) -> bytes:
    return bytes(etree.tostring(envelope, xml_declaration=False, encoding="utf-8"))


def fault_envelope(fault: SoapFault, now: _dt.datetime, relates_to: str | None = None) -> bytes:
    """A SOAP 1.2 Fault: Code (Sender/Receiver/VersionMismatch, with a subcode) and a Reason."""
    envelope, body = _envelope(FAULT_ACTION, now, relates_to)
    element = etree.SubElement(body, f"{{{SOAP12}}}Fault")
    code = etree.SubElement(element, f"{{{SOAP12}}}Code")
    etree.SubElement(code, f"{{{SOAP12}}}Value").text = f"s:{fault.code}"
    if fault.subcode is not None:
        namespace, name = fault.subcode
        sub = etree.SubElement(code, f"{{{SOAP12}}}Subcode")
        value = etree.SubElement(sub, f"{{{SOAP12}}}Value", nsmap={"f": namespace})
        value.text = f"f:{name}"
    reason = etree.SubElement(element, f"{{{SOAP12}}}Reason")
    text = etree.SubElement(reason, f"{{{SOAP12}}}Text")
    text.set("{http://www.w3.org/XML/1998/namespace}lang", "es-CO")
    text.text = fault.reason
    return _bytes(envelope)


@dataclass(frozen=True)
class Record:
    """A WCF data contract: its namespace (under ``http://schemas.datacontract.org/2004/07/``) and
    its fields, written in the order given (WCF's alphabetical order). A field's value is text, a
    number, a boolean, bytes (base64Binary), None (``xsi:nil``), a list of strings (ArrayOfstring),
    a nested :class:`Record` or a :class:`Records`."""

    namespace: str
    fields: tuple[tuple[str, object], ...]


@dataclass(frozen=True)
class Records:
    """A list of data contracts (``ArrayOf…``), each written as ``item`` in ``namespace``."""

    item: str
    namespace: str
    records: tuple[Record, ...]


def _write(parent: etree._Element, namespace: str, name: str, value: object) -> None:
    element = etree.SubElement(parent, f"{{{namespace}}}{name}")
    _fill(element, value)


def _fill(element: etree._Element, value: object) -> None:
    if value is None:
        element.set(f"{{{XSI}}}nil", "true")
    elif isinstance(value, Record):
        for name, field_value in value.fields:
            _write(element, DC + value.namespace, name, field_value)
    elif isinstance(value, Records):
        for record in value.records:
            _write(element, DC + value.namespace, value.item, record)
    elif isinstance(value, bool):
        element.text = "true" if value else "false"
    elif isinstance(value, bytes):
        element.text = base64.b64encode(value).decode("ascii")
    elif isinstance(value, (list, tuple)):
        for item in value:  # ArrayOfstring
            etree.SubElement(element, f"{{{ARRAYS}}}string").text = str(item)
    else:
        element.text = str(value)


#: Prefixes declared once on a reply's result (WCF declares them the same way), not on every element.
_CONTRACT_PREFIXES: dict[str | None, str] = {
    "b": DC + "DianResponse", "c": ARRAYS, "d": DC + "UploadDocumentResponse", "e": DC + "XmlParamsResponseTrackId",
    "f": DC + "NumberRangeResponseList", "g": DC + "NumberRangeResponse", "h": DC + "EventResponse", "i": XSI,
}


def reply_envelope(operation: Operation, result: Record | Records, now: _dt.datetime,
                   relates_to: str | None = None) -> bytes:
    """``<OpResponse><OpResult>…</OpResult></OpResponse>`` holding ``result``."""
    envelope, body = _envelope(operation.reply_action, now, relates_to)
    nsmap: dict[str | None, str] = {None: TNS, **_CONTRACT_PREFIXES}
    response = etree.SubElement(body, f"{{{TNS}}}{operation.value}Response", nsmap=nsmap)
    _fill(etree.SubElement(response, f"{{{TNS}}}{operation.value}Result"), result)
    return _bytes(envelope)
