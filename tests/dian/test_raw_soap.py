"""One SOAP request built by hand, as a PHP client (ubl21dian's style: InclusiveNamespaces prefix lists,
the signature first in wsse:Security, the To header signed alone) or a .NET one would send it, posted
with urllib, its reply read with lxml."""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import urllib.error
import urllib.request
from collections.abc import Callable

from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding
from dian_kit import Served, unsigned_document, zipped
from lxml import etree
from support import NOW

from minica.dian.registration import SoftwareRegistration
from minica.signing.service import Signer

TEMPLATE = """<soap:Envelope xmlns:soap="http://www.w3.org/2003/05/soap-envelope" \
xmlns:wcf="http://wcf.dian.colombia"><soap:Header xmlns:wsa="http://www.w3.org/2005/08/addressing">\
<wsse:Security xmlns:wsse="http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-secext-1.0.xsd" \
xmlns:wsu="http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-utility-1.0.xsd">\
<wsu:Timestamp wsu:Id="TS-1"><wsu:Created>{created}</wsu:Created><wsu:Expires>{expires}</wsu:Expires>\
</wsu:Timestamp><wsse:BinarySecurityToken \
EncodingType="http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-soap-message-security-1.0#Base64Binary" \
ValueType="http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-x509-token-profile-1.0#X509v3" \
wsu:Id="X509-1">{token}</wsse:BinarySecurityToken><ds:Signature Id="SIG-1" \
xmlns:ds="http://www.w3.org/2000/09/xmldsig#"><ds:SignedInfo><ds:CanonicalizationMethod \
Algorithm="http://www.w3.org/2001/10/xml-exc-c14n#"><ec:InclusiveNamespaces PrefixList="wsa soap wcf" \
xmlns:ec="http://www.w3.org/2001/10/xml-exc-c14n#"/></ds:CanonicalizationMethod><ds:SignatureMethod \
Algorithm="http://www.w3.org/2001/04/xmldsig-more#rsa-sha256"/><ds:Reference URI="#ID-To"><ds:Transforms>\
<ds:Transform Algorithm="http://www.w3.org/2001/10/xml-exc-c14n#"><ec:InclusiveNamespaces PrefixList="soap wcf" \
xmlns:ec="http://www.w3.org/2001/10/xml-exc-c14n#"/></ds:Transform></ds:Transforms><ds:DigestMethod \
Algorithm="http://www.w3.org/2001/04/xmlenc#sha256"/><ds:DigestValue>DIGEST</ds:DigestValue></ds:Reference>\
</ds:SignedInfo><ds:SignatureValue>VALUE</ds:SignatureValue><ds:KeyInfo Id="KI-1"><wsse:SecurityTokenReference \
wsu:Id="STR-1"><wsse:Reference URI="#X509-1" \
ValueType="http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-x509-token-profile-1.0#X509v3"/>\
</wsse:SecurityTokenReference></ds:KeyInfo></ds:Signature></wsse:Security>\
<wsa:Action>http://wcf.dian.colombia/IWcfDianCustomerServices/SendBillSync</wsa:Action>\
<wsa:To wsu:Id="ID-To" xmlns:wsu="http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-utility-1.0.xsd"\
>{to}</wsa:To></soap:Header><soap:Body><wcf:SendBillSync><wcf:fileName>z.zip</wcf:fileName>\
<wcf:contentFile>{content}</wcf:contentFile></wcf:SendBillSync></soap:Body></soap:Envelope>"""
DS = "{http://www.w3.org/2000/09/xmldsig#}"


def _c14n(element: etree._Element, prefixes: list[str]) -> bytes:
    return etree.tostring(element, method="c14n", exclusive=True, inclusive_ns_prefixes=prefixes)


def test_a_hand_built_request_gets_dians_answer(served: Served, signer: Signer, registration: SoftwareRegistration,
                                                sign: Callable[[bytes], bytes]) -> None:
    stamp = "%Y-%m-%dT%H:%M:%S.000Z"
    text = TEMPLATE.format(
        created=NOW.astimezone(dt.timezone.utc).strftime(stamp),
        expires=(NOW + dt.timedelta(minutes=5)).astimezone(dt.timezone.utc).strftime(stamp),
        token=base64.b64encode(signer.keystore.certificate.public_bytes(serialization.Encoding.DER)).decode(),
        to=served.endpoint(),
        content=base64.b64encode(zipped(("fv.xml", sign(unsigned_document(registration))))).decode(),
    )
    envelope = etree.fromstring(text.encode())
    to = envelope.find(".//{http://www.w3.org/2005/08/addressing}To")
    envelope.find(f".//{DS}DigestValue").text = base64.b64encode(hashlib.sha256(_c14n(to, ["soap", "wcf"]))
                                                                 .digest()).decode()
    signed_info = envelope.find(f".//{DS}SignedInfo")
    value = signer.keystore.key.sign(_c14n(signed_info, ["wsa", "soap", "wcf"]), padding.PKCS1v15(),
                                     hashes.SHA256())
    envelope.find(f".//{DS}SignatureValue").text = base64.b64encode(value).decode()
    request = urllib.request.Request(served.endpoint(), data=etree.tostring(envelope), method="POST", headers={
        "Content-Type": 'application/soap+xml;charset=UTF-8;action="http://wcf.dian.colombia/'
                        'IWcfDianCustomerServices/SendBillSync"'})
    try:
        with urllib.request.urlopen(request, timeout=30) as reply:
            status, body = reply.status, reply.read()
    except urllib.error.HTTPError as exc:
        status, body = exc.code, exc.read()
    assert status == 200, body
    root = etree.fromstring(body)
    ns = {"s": "http://www.w3.org/2003/05/soap-envelope", "a": "http://www.w3.org/2005/08/addressing",
          "w": "http://wcf.dian.colombia", "d": "http://schemas.datacontract.org/2004/07/DianResponse"}
    assert root.findtext("s:Header/a:Action", namespaces=ns) == (
        "http://wcf.dian.colombia/IWcfDianCustomerServices/SendBillSyncResponse")
    result = root.find("s:Body/w:SendBillSyncResponse/w:SendBillSyncResult", namespaces=ns)
    assert result.findtext("d:StatusCode", namespaces=ns) == "00"
    assert result.findtext("d:IsValid", namespaces=ns) == "true"
    assert result.findtext("d:StatusDescription", namespaces=ns) == "Procesado Correctamente."
    assert base64.b64decode(result.findtext("d:XmlBase64Bytes", namespaces=ns)).startswith(b"<?xml")

    tampered = etree.tostring(envelope).replace(served.endpoint().encode(), served.endpoint().encode() + b"/")
    request = urllib.request.Request(served.endpoint(), data=tampered, method="POST",
                                     headers={"Content-Type": "application/soap+xml;charset=UTF-8"})
    try:
        urllib.request.urlopen(request, timeout=30)
        raise AssertionError("a tampered To was accepted")
    except urllib.error.HTTPError as exc:
        fault = etree.fromstring(exc.read())
        assert exc.code == 500
        assert "is not this endpoint" in fault.findtext(".//s:Reason/s:Text", namespaces=ns)
