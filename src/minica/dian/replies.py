"""Reading DIAN's answers: a SOAP 1.2 reply into :class:`DianResponse` / :class:`UploadResult`, a
Fault into :class:`~minica.dian.client_errors.DianFault`, anything else into
:class:`~minica.dian.client_errors.DianBadReply`.

Replies are parsed with minica's hardened parser (no DTD, no entities, bounded). Within the result,
fields are found by their local names (DIAN's data contracts put each in its own namespace).
"""

from __future__ import annotations

import base64
import binascii
import http
import re
from dataclasses import dataclass, field
from typing import Any

from lxml import etree

from minica.dian.client_errors import DianBadReply, DianFault
from minica.dian.soap import SOAP11, SOAP12, TNS, Operation
from minica.dian.transport import MAX_REPLY, HttpReply
from minica.dian.validation import RuleResult
from minica.errors import MinicaError
from minica.signing.xmlsafe import parse_xml

_RULE = re.compile(r"^\s*Regla:\s*([^,]+),\s*(Rechazo|Notificaci[oó]n)\s*:\s*(.*)$", re.S)
_NIL = "{http://www.w3.org/2001/XMLSchema-instance}nil"


def rule_of(text: str) -> RuleResult:
    """``Regla: FAD06, Rechazo: …`` as a :class:`RuleResult`; other text as rule ``?`` (a rejection)."""
    match = _RULE.match(text)
    if match is None:
        return RuleResult("?", True, text.strip())
    return RuleResult(match.group(1).strip(), match.group(2) == "Rechazo", match.group(3).strip())


@dataclass(frozen=True)
class DianResponse:
    """One DianResponse: DIAN's verdict on a document (or on a query)."""

    status_code: str
    is_valid: bool
    status_description: str
    status_message: str
    errors: tuple[str, ...]
    document_key: str | None
    file_name: str | None
    #: DIAN's signed ApplicationResponse (XmlBase64Bytes, decoded), when it sent one.
    application_response: bytes | None = field(default=None, repr=False)

    @property
    def rules(self) -> tuple[RuleResult, ...]:
        return tuple(rule_of(text) for text in self.errors)

    @property
    def pending(self) -> bool:
        """StatusCode 98: the batch is still being validated."""
        return self.status_code == "98"

    def to_json(self) -> dict[str, Any]:
        return {"status_code": self.status_code, "is_valid": self.is_valid,
                "status_description": self.status_description, "status_message": self.status_message,
                "document_key": self.document_key, "xml_file_name": self.file_name,
                "rules": [r.to_json() for r in self.rules]}


@dataclass(frozen=True)
class UploadProblem:
    """One item of an UploadDocumentResponse's ErrorMessageList."""

    message: str
    file_name: str | None
    document_key: str | None
    success: bool

    def to_json(self) -> dict[str, Any]:
        return {"message": self.message, "xml_file_name": self.file_name, "document_key": self.document_key,
                "success": self.success}


@dataclass(frozen=True)
class UploadResult:
    """An UploadDocumentResponse: the ZipKey of an accepted upload, or why it was refused."""

    zip_key: str | None
    problems: tuple[UploadProblem, ...]

    def to_json(self) -> dict[str, Any]:
        return {"zip_key": self.zip_key, "problems": [p.to_json() for p in self.problems]}


def _local(element: etree._Element) -> str:
    return etree.QName(element).localname if isinstance(element.tag, str) else ""


def _child(element: etree._Element, name: str) -> etree._Element | None:
    return next((c for c in element if _local(c) == name), None)


def _text(element: etree._Element, name: str) -> str | None:
    found = _child(element, name)
    if found is None or found.get(_NIL) == "true":
        return None
    return "".join(found.itertext()).strip()


def _fault(body: etree._Element, url: str) -> DianFault | None:
    fault = _child(body, "Fault")
    if fault is None:
        return None
    code = fault.find(f"{{{SOAP12}}}Code/{{{SOAP12}}}Value")
    subcode = fault.find(f"{{{SOAP12}}}Code/{{{SOAP12}}}Subcode/{{{SOAP12}}}Value")
    reason = fault.find(f"{{{SOAP12}}}Reason/{{{SOAP12}}}Text")
    text = " ".join(("".join(reason.itertext()) if reason is not None else _text(fault, "faultstring") or "").split())
    codes = "/".join(c for c in ((code.text or "").strip() if code is not None else _text(fault, "faultcode") or "",
                                 (subcode.text or "").strip() if subcode is not None else "") if c)
    return DianFault(f"{url} refused the request (SOAP Fault {codes or 'without a code'}): {text[:500] or 'no reason'}",
                     "nothing was received; fix what it says and send again",
                     code=codes.split("/")[0], subcode=codes.split("/")[1] if "/" in codes else "", reason=text)


def _envelope(reply: HttpReply, url: str) -> etree._Element:
    """The reply's SOAP Envelope; :class:`DianBadReply` saying what came instead."""
    if not reply.body.strip():
        problem = "an empty body"
    else:
        try:
            root = parse_xml(reply.body, max_bytes=MAX_REPLY).getroot()
        except MinicaError as exc:
            problem = f"bytes that are not well-formed XML ({exc.what})"
        else:
            if root.tag in (f"{{{SOAP12}}}Envelope", f"{{{SOAP11}}}Envelope"):
                return root
            problem = f"<{_local(root)}>, not a SOAP Envelope"
    if reply.status != 200:
        raise DianBadReply(f"{url} answered {_status(reply)} without a SOAP Fault (with {problem})",
                           "nothing was received: the service failed; try again later")
    raise DianBadReply(f"{url} answered {_status(reply)} with {problem}",
                       "nothing was received; check --url (is it DIAN's WcfDianCustomerServices.svc?)")


def _status(reply: HttpReply) -> str:
    try:
        return f"HTTP {reply.status} {http.HTTPStatus(reply.status).phrase}"
    except ValueError:
        return f"HTTP {reply.status}"


def operation_result(reply: HttpReply, operation: Operation, url: str) -> etree._Element:
    """The ``<OperationResult>`` element of a reply to ``operation``; a Fault raises
    :class:`DianFault`, anything else that is not DIAN's answer :class:`DianBadReply`."""
    body = next((c for c in _envelope(reply, url) if _local(c) == "Body"), None)
    fault = _fault(body, url) if body is not None else None
    if fault is not None:
        raise fault
    if reply.status != 200:
        raise DianBadReply(f"{url} answered {_status(reply)} without a SOAP Fault",
                           "nothing was received: the service failed; try again later")
    response = _child(body, f"{operation.value}Response") if body is not None else None
    result = _child(response, f"{operation.value}Result") if response is not None else None
    if result is None or etree.QName(result).namespace != TNS:
        raise DianBadReply(f"{url}'s answer has no {operation.value}Result",
                           "check --url: it must be DIAN's WcfDianCustomerServices.svc")
    return result


def _binary(element: etree._Element, name: str, url: str) -> bytes | None:
    text = _text(element, name)
    if not text:
        return None
    try:
        return base64.b64decode("".join(text.split()), validate=True)
    except (binascii.Error, ValueError):
        raise DianBadReply(f"{url}'s {name} is not base64", "the answer is damaged; ask again") from None


def dian_response(element: etree._Element, url: str) -> DianResponse:
    """A DianResponse data contract."""
    errors = _child(element, "ErrorMessage")
    status = _text(element, "StatusCode")
    if status is None:
        raise DianBadReply(f"{url}'s DianResponse has no StatusCode", "the answer is not DIAN's; check --url")
    return DianResponse(
        status_code=status, is_valid=(_text(element, "IsValid") or "").lower() == "true",
        status_description=_text(element, "StatusDescription") or "",
        status_message=_text(element, "StatusMessage") or "",
        errors=tuple("".join(s.itertext()).strip() for s in errors if _local(s) == "string")
        if errors is not None else (),
        document_key=_text(element, "XmlDocumentKey") or None, file_name=_text(element, "XmlFileName") or None,
        application_response=_binary(element, "XmlBase64Bytes", url),
    )


def dian_responses(element: etree._Element, url: str) -> list[DianResponse]:
    """An ArrayOfDianResponse (GetStatusZip)."""
    return [dian_response(item, url) for item in element if _local(item) == "DianResponse"]


def upload_result(element: etree._Element) -> UploadResult:
    """An UploadDocumentResponse (SendBillAsync, SendTestSetAsync)."""
    listed = _child(element, "ErrorMessageList")
    problems = tuple(
        UploadProblem(message=_text(item, "ProcessedMessage") or "", file_name=_text(item, "XmlFileName") or None,
                      document_key=_text(item, "DocumentKey") or None,
                      success=(_text(item, "Success") or "").lower() == "true")
        for item in (listed if listed is not None else ()) if _local(item) == "XmlParamsResponseTrackId"
    )
    return UploadResult(_text(element, "ZipKey") or None, problems)
