"""Issue 11 §4: every endpoint's real answers match the OpenAPI document the server publishes.

One walk through every operation of ``/api/v1/openapi.json`` against a real ``minica serve`` (a
plain HTTP client on loopback): each answer's status must be documented for its operation, its
media type listed for that status, and a JSON body must validate (JSON Schema 2020-12, as OpenAPI
3.1 uses) against the schema described there; refusals against ``Error``. The walk must reach
every operation the document lists.
"""

from __future__ import annotations

import base64
import json
import re
import sys
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives import hashes, serialization
from cryptography.x509 import ocsp
from jsonschema import Draft202012Validator, FormatChecker
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012
from server_support import RunningServer
from support import PASSWORD, REQUEST_FORM

from minica.ca.hierarchy import Authority
from minica.ca.issuance import IssuedCertificate
from minica.ca.requests.pdf import simple_pdf

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "tests" / "requests"))  # for ``pdf_samples``
from pdf_samples import signed_letter  # noqa: E402

HAB = ROOT / "testdata" / "invoice-habilitacion.xml"
PDF_B64 = base64.b64encode(simple_pdf("Documento de prueba", ["Contenido."])).decode()
DOCUMENTS = ("rut", "camara_comercio", "documento_identidad")
SECTIONS = ("solicitante", "empresa", "representante", "documentos")


@dataclass
class Reply:
    status: int
    media: str
    data: bytes

    def json(self) -> Any:
        return json.loads(self.data)


@dataclass
class Walk:
    """Calls the server and checks each answer against the document; remembers what it reached."""

    server: RunningServer
    document: dict[str, Any]
    reached: set[tuple[str, str]] = field(default_factory=set)

    def __post_init__(self) -> None:
        resource = Resource.from_contents(self.document, default_specification=DRAFT202012)
        self.registry: Registry[Any] = Registry().with_resource("urn:minica:openapi", resource)
        # Literal paths before templated ones (/requests/tick before /requests/{radicado}).
        self.templates = sorted(
            ((re.compile(re.sub(r"\\\{\w+\\\}", "[^/]+", re.escape(path))), path) for path in self.document["paths"]),
            key=lambda item: (item[1].count("{"), -len(item[1])),
        )

    def template(self, path: str) -> str:
        return next(t for regex, t in self.templates if regex.fullmatch(path.split("?")[0]))

    def __call__(self, method: str, path: str, body: Any = None, *, token: bool = True, raw: bytes | None = None,
                 content_type: str = "application/json") -> Reply:
        headers = {"Content-Type": content_type}
        if token:
            headers["Authorization"] = f"Bearer {self.server.token}"
        data = raw if raw is not None else (json.dumps(body).encode() if body is not None else None)
        request = urllib.request.Request(self.server.url + path, data=data, method=method, headers=headers)
        try:
            with urllib.request.urlopen(request, timeout=60) as answer:
                reply = Reply(answer.status, answer.headers.get_content_type(), answer.read())
        except urllib.error.HTTPError as exc:
            reply = Reply(exc.code, exc.headers.get_content_type(), exc.read())
        self._validate(method.lower(), self.template(path), reply)
        return reply

    def _validate(self, method: str, template: str, reply: Reply) -> None:
        operation = self.document["paths"][template][method]
        self.reached.add((method, template))
        where = f"{method.upper()} {template} → {reply.status}"
        response = operation["responses"].get(str(reply.status))
        assert response is not None, f"{where} is not documented: {reply.data[:300]!r}"
        assert reply.media in response["content"], f"{where}: {reply.media} not in {list(response['content'])}"
        if reply.media != "application/json":
            return
        pointer = "/".join(part.replace("~", "~0").replace("/", "~1") for part in (
            "paths", template, method, "responses", str(reply.status), "content", "application/json", "schema"))
        validator = Draft202012Validator({"$ref": f"urn:minica:openapi#/{pointer}"}, registry=self.registry,
                                         format_checker=FormatChecker())  # fmt: skip
        errors = [f"{'/'.join(map(str, e.absolute_path))}: {e.message}" for e in validator.iter_errors(reply.json())]
        assert not errors, f"{where}: {errors}"


def _temporary_password(text: str) -> str:
    match = re.search(r"Contraseña temporal: (\S+)", text)
    assert match, text
    return match.group(1)


def _file(walk: Walk, **extra: str) -> dict[str, Any]:
    reply = walk("POST", "/api/v1/requests", {**REQUEST_FORM, "password": PASSWORD, **extra})
    assert reply.status == 201, reply.data
    return reply.json()  # type: ignore[no-any-return]


def _complete(walk: Walk) -> str:
    """File a request, sign in, upload, save every section and Finalizar (reaching those endpoints)."""
    filed = _file(walk)
    radicado = filed["radicado"]
    one = f"/api/v1/requests/{radicado}"
    emails = walk("GET", f"/api/v1/outbox?radicado={radicado}").json()["emails"]
    text = walk("GET", f"/api/v1/outbox/{emails[0]['id']}").json()["text"]
    assert walk("GET", f"/api/v1/outbox/{emails[0]['id']}.eml").media == "message/rfc822"
    login = {"user": filed["platform_user"], "password": _temporary_password(text), "new_password": "Plataforma#1"}
    assert walk("POST", f"{one}/login", login).status == 200
    for kind in DOCUMENTS:
        assert walk("POST", f"{one}/documents", {"kind": kind, "filename": f"{kind}.pdf",
                                                 "content_base64": PDF_B64}).status == 201  # fmt: skip
    for name in SECTIONS:
        assert walk("POST", f"{one}/sections/{name}").status == 200
    assert walk("POST", f"{one}/finalize").status == 200
    return radicado  # type: ignore[no-any-return]


def _ocsp_request(leaf: IssuedCertificate, authority: Authority) -> bytes:
    builder = ocsp.OCSPRequestBuilder().add_certificate(leaf.certificate, authority.issuing, hashes.SHA1())
    return builder.build().public_bytes(serialization.Encoding.DER)


def test_every_endpoint_answers_as_the_openapi_document_says(
    server: RunningServer, authority: Authority, leaf: IssuedCertificate
) -> None:
    with urllib.request.urlopen(f"{server.url}/api/v1/openapi.json", timeout=30) as answer:
        document = json.loads(answer.read())
    Draft202012Validator.check_schema({"$defs": document["components"]["schemas"]})
    walk = Walk(server, document)
    assert walk("GET", "/api/v1/openapi.json", token=False).status == 200

    # The CA's files, CRLs and OCSP.
    for name in ("root.crt", "issuing.crt", "root.pem", "issuing.pem", "chain.pem"):
        assert walk("GET", f"/ca/{name}", token=False).status == 200
    for name in ("issuing.crl", "root.crl"):
        assert walk("GET", f"/crl/{name}", token=False).status == 200
    request = _ocsp_request(leaf, authority)
    assert walk("POST", "/ocsp", raw=request, token=False, content_type="application/ocsp-request").status == 200
    encoded = urllib.request.quote(base64.b64encode(request).decode(), safe="")
    assert walk("GET", f"/ocsp/{encoded}", token=False).status == 200

    # Certificates, check, sign, verify — and their refusals.
    issued = walk("POST", "/api/v1/certificates", {"nit": "800197268-4", "name": "OTRA S.A.S.",
                                                   "password": PASSWORD, "profile": "andes"})  # fmt: skip
    assert issued.status == 201
    serial = issued.json()["serial"]
    assert walk("POST", "/api/v1/certificates", {"nit": "800197268-1", "name": "X", "password": PASSWORD}).status == 422
    assert walk("POST", "/api/v1/certificates", {"nit": "800197268-4"}, token=False).status == 401
    assert walk("POST", "/api/v1/certificates", raw=b"{not json").status == 400
    assert walk("GET", "/api/v1/certificates", token=False).status == 200
    assert walk("GET", f"/api/v1/certificates/{serial}", token=False).status == 200
    assert walk("GET", "/api/v1/certificates/ABCDEF", token=False).status == 404
    assert walk("GET", "/api/v1/certificates/not-hex", token=False).status == 422
    assert walk("GET", "/api/v1/check?warn_days=45", token=False).status == 200
    assert walk("GET", "/api/v1/check?warn_days=many", token=False).status == 422
    pem = leaf.certificate.public_bytes(serialization.Encoding.PEM).decode()
    assert walk("POST", "/api/v1/check", {"certificate": pem}, token=False).status == 200
    document_b64 = base64.b64encode(HAB.read_bytes()).decode()
    sign = {"document_base64": document_b64, "password": PASSWORD, "serial": leaf.serial_hex}
    signed = walk("POST", "/api/v1/sign", sign)
    assert signed.status == 200
    assert walk("POST", "/api/v1/sign", {**sign, "password": "Wrong#Pass1"}).status == 403
    verified = walk("POST", "/api/v1/verify", {"document_base64": signed.json()["document_base64"]}, token=False)
    assert verified.status == 200 and verified.json()["valid"]
    assert walk("POST", "/api/v1/verify", {"document": "<no"}, token=False).status == 422
    assert walk("POST", f"/api/v1/certificates/{serial}/revoke", {"reason": "superseded"}).status == 200
    assert walk("POST", f"/api/v1/certificates/{serial}/revoke", {}).status == 409

    # The request process: approved, rejected, ended by a failed identity validation; the clock.
    approved = _complete(walk)
    assert walk("POST", f"/api/v1/requests/{approved}/approve").status == 200
    rejected = _complete(walk)
    assert walk("POST", f"/api/v1/requests/{rejected}/reject", {"reason": "El RUT es ilegible"}).status == 200
    ended = _file(walk)["radicado"]
    assert walk("POST", f"/api/v1/requests/{ended}/identity-failed", {"detail": "no coincide"}).status == 200
    assert walk("POST", f"/api/v1/requests/{ended}/finalize").status == 409
    assert walk("POST", "/api/v1/requests", {**REQUEST_FORM, "razon_socal": "X", "password": PASSWORD}).status == 422
    assert walk("GET", "/api/v1/requests").status == 200
    assert walk("GET", f"/api/v1/requests/{rejected}").status == 200
    assert walk("GET", "/api/v1/requests/cdc3cc2c-deaa-4070-bada-5588f305dda4").status == 404
    assert walk("POST", "/api/v1/requests/tick").status == 200
    assert walk("GET", "/api/v1/outbox").status == 200
    assert walk("GET", "/api/v1/outbox/99999").status == 404

    # The vendor: its certificate and settings, a loan with the signed letter, a payment.
    assert walk("POST", "/api/v1/vendor/certificate", {"password": PASSWORD}).status == 201
    assert walk("GET", "/api/v1/vendor/settings").status == 200
    assert walk("GET", "/api/v1/vendor/settings", token=False).status == 401
    assert walk("POST", "/api/v1/vendor/settings", {"loan_days": 30}).status == 200
    loaned = _file(walk, channel="vendor")["radicado"]
    representative = {k: v for k, v in REQUEST_FORM.items() if k.startswith("representante")}
    assert walk("POST", f"/api/v1/requests/{loaned}/loan", representative).status == 200
    letter = walk("GET", f"/api/v1/requests/{loaned}/loan/letter")
    assert letter.status == 200 and letter.media == "application/pdf"
    upload = {"filename": "carta.pdf", "content_base64": base64.b64encode(signed_letter(letter.data)).decode()}
    assert walk("POST", f"/api/v1/requests/{loaned}/loan/letter", upload).status == 200
    paid = _file(walk, channel="vendor")["radicado"]
    assert walk("POST", f"/api/v1/requests/{paid}/payment", {"reference": "R-1"}).status == 200

    # The local DIAN's JSON side, and its SOAP endpoint refusing what is not a SOAP envelope.
    registered = walk("POST", "/api/v1/dian/software", {"nit": "900373987-9", "pin": "12345"})
    assert registered.status == 201
    assert walk("GET", "/api/v1/dian/software").status == 200
    assert walk("GET", "/api/v1/dian/documents").status == 200
    assert walk("GET", f"/api/v1/dian/testsets/{registered.json()['test_set_id']}").status == 200
    walk("POST", "/dian/habilitacion/WcfDianCustomerServices.svc", raw=b"<not-soap/>", token=False,
         content_type="application/soap+xml")

    every = {(method, path) for path, ops in document["paths"].items() for method in ops if method != "parameters"}
    assert every - walk.reached == set()


def test_no_response_body_is_left_a_bare_object() -> None:
    from minica.server.openapi import openapi_document

    document = openapi_document("http://127.0.0.1:8765")
    bare = [(method, path, status) for path, ops in document["paths"].items() for method, op in ops.items()
            if method != "parameters" for status, response in op["responses"].items()
            for media in response.get("content", {}).values() if media["schema"] in ({"type": "object"}, {})]
    assert bare == []
