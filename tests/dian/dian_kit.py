"""Helpers for the local DIAN's tests (importable as ``dian_kit``): documents for a registration, a real
``minica serve`` on loopback, and an independent SOAP client (zeep from the mock's ``?wsdl``, with a
WS-Security signature made by the ``xmlsec`` library).

Why a small signature class instead of zeep's ``BinarySignature`` as it is: zeep signs the Body and a
Timestamp it finds, but DIAN's policy signs the ``wsa:To`` header, and the Timestamp must be taken
from the test's fixed clock (zeep would need the wall clock). :class:`DianSignature` adds the
Timestamp (Created/Expires at the test's instant), then signs To, Body and Timestamp with xmlsec
(exclusive C14N, rsa-sha256, sha256) and puts the certificate in a BinarySecurityToken, as DIAN's
clients do; DIAN's replies are not signed, so it verifies nothing on the way back.
"""

from __future__ import annotations

import base64
import datetime as dt
import importlib.util
import io
import threading
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import requests
import xmlsec
import zeep
from cryptography.hazmat.primitives import serialization
from lxml import etree
from zeep.wsse.signature import _make_sign_key, _sign_node
from zeep.wsse.utils import ensure_id, get_security_header

from minica.dian.registration import SoftwareRegistration
from minica.server.app import ServerApp
from minica.server.limits import ClientLimits
from minica.server.runner import MinicaServer, bind_listener, server_config
from minica.signing import namespaces as ns
from minica.signing.cufe import document_key, software_security_code
from minica.signing.service import Signer

ROOT = Path(__file__).resolve().parents[2]
WSU = "http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-utility-1.0.xsd"
WSA = "http://www.w3.org/2005/08/addressing"
HANG = 30.0


def _samples() -> Any:
    spec = importlib.util.spec_from_file_location("generate_samples", ROOT / "testdata" / "generate_samples.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


SAMPLES = _samples()


def unsigned_document(registration: SoftwareRegistration, *, root: str = "Invoice", number: str | None = None,
                      env: str = "2", lines: int = 2, customize: Callable[[etree._Element], None] | None = None,
                      fix_keys: bool = True) -> bytes:
    """A document of ``registration``'s company with its software ID, a number in its range (or
    ``number``), and the CUFE/CUDE and SoftwareSecurityCode computed with its technical key and PIN."""
    numbering = registration.numbering
    number = number or f"{numbering.prefix}{numbering.from_number}"
    text = SAMPLES.invoice_xml(lines, root=root, env=env, number=number)
    tree = etree.fromstring(text.encode("utf-8"))
    tree.find(f".//{{{ns.STS}}}SoftwareID").text = registration.software_id
    if customize is not None:
        customize(tree)
    if fix_keys:
        tree.find(f".//{{{ns.STS}}}SoftwareSecurityCode").text = software_security_code(
            registration.software_id, registration.pin, tree.findtext(f"{{{ns.CBC}}}ID"))
        key = document_key(tree, technical_key=registration.numbering.technical_key, software_pin=registration.pin)
        assert key is not None
        tree.find(f"{{{ns.CBC}}}UUID").text = key.computed
    return etree.tostring(tree, xml_declaration=True, encoding="UTF-8")


def zipped(*files: tuple[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in files:
            archive.writestr(name, data)
    return buffer.getvalue()


def pem_pair(signer: Signer) -> tuple[bytes, bytes]:
    """(key PEM, certificate PEM) of a keystore, for xmlsec."""
    key = signer.keystore.key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                            serialization.NoEncryption())
    return key, signer.keystore.certificate.public_bytes(serialization.Encoding.PEM)


class DianSignature:
    """zeep's WS-Security plugin shaped as DIAN's clients send it (see the module's docstring).
    ``sign_to=False`` leaves To unsigned; ``stamp`` is the Timestamp's (Created, Expires), or None."""

    def __init__(self, key_pem: bytes, cert_pem: bytes, stamp: tuple[dt.datetime, dt.datetime] | None, *,
                 sign_to: bool = True, tamper: Callable[[etree._Element], None] | None = None,
                 prepare: Callable[[etree._Element], None] | None = None) -> None:
        self.key_pem, self.cert_pem, self.stamp = key_pem, cert_pem, stamp
        self.sign_to, self.tamper, self.prepare = sign_to, tamper, prepare

    def apply(self, envelope: etree._Element, headers: dict[str, str]) -> tuple[etree._Element, dict[str, str]]:
        """Timestamp, signature (To, Body, Timestamp), token; ``prepare`` runs before signing, ``tamper``
        after."""
        if self.prepare is not None:
            self.prepare(envelope)
        security = get_security_header(envelope)
        if self.stamp is not None:
            stamp = etree.SubElement(security, f"{{{WSU}}}Timestamp")
            for name, moment in zip(("Created", "Expires"), self.stamp, strict=True):
                etree.SubElement(stamp, f"{{{WSU}}}{name}").text = moment.astimezone(dt.timezone.utc).strftime(
                    "%Y-%m-%dT%H:%M:%S.000Z")
        signature = xmlsec.template.create(envelope, xmlsec.Transform.EXCL_C14N, xmlsec.Transform.RSA_SHA256)
        key_info = xmlsec.template.ensure_key_info(signature)
        x509_data = xmlsec.template.add_x509_data(key_info)
        xmlsec.template.x509_data_add_certificate(x509_data)
        security.insert(0, signature)
        ctx = xmlsec.SignatureContext()
        ctx.key = _make_sign_key(self.key_pem, self.cert_pem, None)
        header = envelope.find("{http://www.w3.org/2003/05/soap-envelope}Header")
        to = header.find(f"{{{WSA}}}To")
        if self.sign_to:
            _sign_node(ctx, signature, to, xmlsec.Transform.SHA256)
        else:
            ensure_id(to)
        _sign_node(ctx, signature, envelope.find("{http://www.w3.org/2003/05/soap-envelope}Body"),
                   xmlsec.Transform.SHA256)
        if self.stamp is not None:
            _sign_node(ctx, signature, security.find(f"{{{WSU}}}Timestamp"), xmlsec.Transform.SHA256)
        ctx.sign(signature)
        token = etree.Element("{http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-secext-1.0.xsd}"
                              "BinarySecurityToken", {
                                  "ValueType": "http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-x509-token"
                                               "-profile-1.0#X509v3",
                                  "EncodingType": "http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-soap-"
                                                  "message-security-1.0#Base64Binary"})
        token.text = x509_data.find(f"{{{ns.DS}}}X509Certificate").text
        key_info.remove(x509_data)
        reference = etree.SubElement(etree.SubElement(
            key_info, "{http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-secext-1.0.xsd}"
                      "SecurityTokenReference"),
            "{http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-secext-1.0.xsd}Reference",
            {"ValueType": token.get("ValueType")})
        reference.set("URI", "#" + ensure_id(token))
        security.insert(1, token)
        if self.tamper is not None:
            self.tamper(envelope)
        return envelope, headers

    def verify(self, envelope: etree._Element) -> etree._Element:
        return envelope  # DIAN's replies carry a Timestamp but no signature


class Served:
    """A real ``minica serve`` (MinicaServer on a bound loopback socket) in a thread."""

    def __init__(self, app: ServerApp) -> None:
        self.app = app
        listener = bind_listener("127.0.0.1", 0)  # already listening: clients may connect at once
        self.port = int(listener.getsockname()[1])
        self.base = f"http://127.0.0.1:{self.port}"
        limits = ClientLimits()
        self.server = MinicaServer(server_config(app, limits), app, limits)
        self.thread = threading.Thread(target=self.server.run, kwargs={"sockets": [listener]}, daemon=True)
        self.thread.start()

    def endpoint(self, environment: str = "habilitacion") -> str:
        return f"{self.base}/dian/{environment}/WcfDianCustomerServices.svc"

    def stop(self) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=HANG)
        self.app.close()
        assert not self.thread.is_alive()


def zeep_client(served: Served, signature: DianSignature, environment: str = "habilitacion") -> zeep.Client:
    """zeep built from the mock's own ``?wsdl`` (no proxies from the environment)."""
    session = requests.Session()
    session.trust_env = False
    transport = zeep.Transport(session=session, timeout=HANG, operation_timeout=HANG)
    return zeep.Client(served.endpoint(environment) + "?wsdl", wsse=signature, transport=transport)


@dataclass(frozen=True)
class Answer:
    """A DianResponse as zeep read it, flattened."""

    status_code: str
    is_valid: bool
    errors: list[str]
    application_response: bytes | None
    key: str | None
    raw: Any


def answer(result: Any) -> Answer:
    errors = list(result.ErrorMessage.string) if result.ErrorMessage is not None else []
    return Answer(result.StatusCode, result.IsValid, errors, result.XmlBase64Bytes, result.XmlDocumentKey, result)


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")
