"""WS-Security on a request to DIAN's web service, signed with minica's own code (lxml + cryptography).

A request is a SOAP 1.2 envelope whose header holds ``wsa:Action``, ``wsa:MessageID``, ``wsa:To``
(with a ``wsu:Id``) and one ``wsse:Security`` with, in this order:

- ``wsu:Timestamp``: Created is the caller's ``now``, Expires five minutes later;
- ``wsse:BinarySecurityToken``: the sender's certificate (X.509 v3, base64 DER);
- ``ds:Signature``: exclusive C14N, rsa-sha256, one SHA-256 reference to ``wsa:To`` (what DIAN's
  policy signs) and one to the Timestamp (so the freshness is signed too), each with the exclusive
  C14N transform; KeyInfo → ``wsse:SecurityTokenReference`` → the token.

The Body is not signed, as in DIAN's policy: the documents in the ZIP carry their own XAdES
signatures. Exclusive C14N depends only on the namespaces an element uses, so the digests computed
on the tree built here are the digests any receiver computes after parsing the bytes.

This module signs; it does not judge the certificate. Callers pass a certificate that may sign now
(:func:`minica.dian.client.credentials_from_signer` applies minica's rules first).
"""

from __future__ import annotations

import base64
import datetime as _dt
import hashlib
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from lxml import etree

from minica.clock import UTC, require_aware
from minica.dian.soap import SOAP12, TNS, WSA, WSSE, WSU, Operation
from minica.dian.wssecurity import EXC_C14N, X509V3
from minica.signing import namespaces as ns

BASE64_BINARY = ("http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-soap-message-security-1.0"
                 "#Base64Binary")
#: How long a request's Timestamp says it is fresh.
REQUEST_TTL = _dt.timedelta(minutes=5)
_ID = f"{{{WSU}}}Id"
_NSMAP: dict[str | None, str] = {"soap": SOAP12, "wsa": WSA, "wsse": WSSE, "wsu": WSU, "wcf": TNS}


@dataclass(frozen=True)
class RequestCredentials:
    """The certificate and key that sign WS-Security (the key is never written anywhere)."""

    certificate: x509.Certificate
    key: rsa.RSAPrivateKey = field(repr=False)

    def __post_init__(self) -> None:
        if not isinstance(self.certificate, x509.Certificate):
            raise TypeError("RequestCredentials.certificate must be an x509.Certificate")
        if not isinstance(self.key, rsa.RSAPrivateKey):
            raise TypeError("RequestCredentials.key must be an RSA private key")


def timestamp_text(moment: _dt.datetime) -> str:
    """``2026-11-22T14:00:00.000Z``: xsd:dateTime in UTC with milliseconds, as WCF writes it."""
    moment = require_aware(moment, "timestamp").astimezone(UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def _new_id(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex}"


def _exclusive(element: etree._Element) -> bytes:
    return bytes(etree.tostring(element, method="c14n", exclusive=True, with_comments=False))


def _reference(signed_info: etree._Element, target: etree._Element) -> None:
    reference = etree.SubElement(signed_info, f"{{{ns.DS}}}Reference", URI="#" + target.get(_ID, ""))
    transforms = etree.SubElement(reference, f"{{{ns.DS}}}Transforms")
    etree.SubElement(transforms, f"{{{ns.DS}}}Transform", Algorithm=EXC_C14N)
    etree.SubElement(reference, f"{{{ns.DS}}}DigestMethod", Algorithm=ns.SHA256)
    digest = hashlib.sha256(_exclusive(target)).digest()
    etree.SubElement(reference, f"{{{ns.DS}}}DigestValue").text = base64.b64encode(digest).decode("ascii")


def signed_request(operation: Operation, parameters: Sequence[tuple[str, str]], *, endpoint: str,
                   credentials: RequestCredentials, now: _dt.datetime,
                   ttl: _dt.timedelta = REQUEST_TTL) -> bytes:
    """The bytes of a SOAP 1.2 request for ``operation`` to ``endpoint`` (the URL it is posted to,
    written in ``wsa:To``), its ``parameters`` (name, text) in order in DIAN's namespace, signed as
    the module's docstring says at ``now`` (timezone-aware)."""
    if not isinstance(operation, Operation):
        raise TypeError("operation must be an Operation")
    envelope = etree.Element(f"{{{SOAP12}}}Envelope", nsmap=_NSMAP)
    header = etree.SubElement(envelope, f"{{{SOAP12}}}Header")
    security = etree.SubElement(header, f"{{{WSSE}}}Security", {f"{{{SOAP12}}}mustUnderstand": "true"})
    etree.SubElement(header, f"{{{WSA}}}Action").text = operation.action
    etree.SubElement(header, f"{{{WSA}}}MessageID").text = f"urn:uuid:{uuid.uuid4()}"
    to = etree.SubElement(header, f"{{{WSA}}}To", {_ID: _new_id("id-To")})
    to.text = endpoint

    stamp = etree.SubElement(security, f"{{{WSU}}}Timestamp", {_ID: _new_id("TS")})
    etree.SubElement(stamp, f"{{{WSU}}}Created").text = timestamp_text(now)
    etree.SubElement(stamp, f"{{{WSU}}}Expires").text = timestamp_text(now + ttl)
    token = etree.SubElement(security, f"{{{WSSE}}}BinarySecurityToken", {
        "EncodingType": BASE64_BINARY, "ValueType": X509V3, _ID: _new_id("X509")})
    token.text = base64.b64encode(credentials.certificate.public_bytes(serialization.Encoding.DER)).decode("ascii")

    body = etree.SubElement(envelope, f"{{{SOAP12}}}Body")
    call = etree.SubElement(body, f"{{{TNS}}}{operation.value}")
    for name, text in parameters:
        etree.SubElement(call, f"{{{TNS}}}{name}").text = text

    signature = etree.SubElement(security, f"{{{ns.DS}}}Signature", {"Id": _new_id("SIG")}, nsmap={"ds": ns.DS})
    signed_info = etree.SubElement(signature, f"{{{ns.DS}}}SignedInfo")
    etree.SubElement(signed_info, f"{{{ns.DS}}}CanonicalizationMethod", Algorithm=EXC_C14N)
    etree.SubElement(signed_info, f"{{{ns.DS}}}SignatureMethod", Algorithm=ns.RSA_SHA256)
    _reference(signed_info, to)
    _reference(signed_info, stamp)
    value = credentials.key.sign(_exclusive(signed_info), padding.PKCS1v15(), hashes.SHA256())
    etree.SubElement(signature, f"{{{ns.DS}}}SignatureValue").text = base64.b64encode(value).decode("ascii")
    key_info = etree.SubElement(signature, f"{{{ns.DS}}}KeyInfo", {"Id": _new_id("KI")})
    token_reference = etree.SubElement(key_info, f"{{{WSSE}}}SecurityTokenReference", {_ID: _new_id("STR")})
    etree.SubElement(token_reference, f"{{{WSSE}}}Reference", URI="#" + token.get(_ID, ""), ValueType=X509V3)
    return bytes(etree.tostring(envelope, xml_declaration=True, encoding="utf-8"))
