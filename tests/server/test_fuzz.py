"""Bad input to every endpoint never produces a 5xx: malformed and mutated OCSP requests, random
bytes, oversize bodies, invalid JSON, wrong types. Deterministic seed, bounded count."""

from __future__ import annotations

import base64
import json
import random
import urllib.parse
from typing import Any

import pytest
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.x509 import ocsp
from server_support import TOKEN
from starlette.testclient import TestClient
from support import PASSWORD, REQUEST_FORM

from minica.ca.hierarchy import Authority
from minica.ca.issuance import IssuedCertificate
from minica.server.app import MAX_OCSP_GET, ServerSettings, create_app
from minica.server.http import MAX_JSON_BODY, MAX_OCSP_BODY
from minica.server.request_api import MAX_UPLOAD_BODY

AUTH = {"Authorization": f"Bearer {TOKEN}"}
JSON_ENDPOINTS = [
    ("POST", "/api/v1/certificates"), ("POST", "/api/v1/certificates/01/revoke"), ("POST", "/api/v1/check"),
    ("POST", "/api/v1/sign"), ("POST", "/api/v1/verify"),
]
GET_ENDPOINTS = ["/ca/root.crt", "/ca/issuing.pem", "/ca/x", "/crl/issuing.crl", "/crl/root.crl",
                 "/api/v1/certificates", "/api/v1/certificates/zz", "/api/v1/check?warn_days=-1",
                 "/api/v1/check?warn_days=abc", "/api/v1/openapi.json", "/ocsp", "/nope"]
FIELDS = ["nit", "name", "password", "document", "document_base64", "serial", "environment", "role",
          "digest", "with_chain", "reason", "certificate", "warn_days", "days", "not_before", "profile",
          "person", "environments", "p12_profile", "key_usage", "technical_key"]
VALUES: list[Any] = [None, True, 0, -1, 10**30, 1.5, "", "x", "\x00", "900373987-9", "2026-13-45",
                     "keyCompromise", "habilitacion", "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----",
                     "<a/>", "<!DOCTYPE a [<!ENTITY x 'y'>]><a>&x;</a>", "%%%", [], {}, ["a"], {"a": 1},
                     "\ud800", "x\udc00"]


@pytest.fixture
def client(settings: ServerSettings) -> TestClient:
    return TestClient(create_app(settings))


def _ocsp_request(leaf: IssuedCertificate, authority: Authority) -> bytes:
    return (ocsp.OCSPRequestBuilder().add_certificate(leaf.certificate, authority.issuing, hashes.SHA256())
            .build().public_bytes(serialization.Encoding.DER))


def _assert_4xx_json_or_ok(response: Any, what: str) -> None:
    assert response.status_code < 500, (what, response.status_code, response.text[:300])
    if response.status_code >= 400:
        assert response.headers.get("content-type", "").startswith("application/json"), what
        body = response.json()
        assert body["error"] and "hint" in body, what


def test_ocsp_fuzz_never_5xx(client: TestClient, leaf: IssuedCertificate, authority: Authority) -> None:
    rng = random.Random(6)
    valid = _ocsp_request(leaf, authority)
    statuses = set()
    for case in range(300):
        kind = case % 4
        if kind == 0:
            body = bytes(rng.randrange(256) for _ in range(rng.randrange(0, 300)))
        elif kind == 1:  # flip, drop or insert bytes in a valid request
            mutated = bytearray(valid)
            for _ in range(rng.randrange(1, 4)):
                position = rng.randrange(len(mutated))
                mutated[position] = rng.randrange(256)
            body = bytes(mutated[: rng.randrange(len(mutated) + 1)]) if rng.random() < 0.3 else bytes(mutated)
        elif kind == 2:
            body = valid + bytes(rng.randrange(256) for _ in range(rng.randrange(1, 20)))
        else:
            body = valid
        response = client.post("/ocsp", content=body, headers={"Content-Type": "application/ocsp-request"})
        _assert_4xx_json_or_ok(response, f"ocsp case {case}")
        if response.status_code == 200:
            statuses.add(ocsp.load_der_ocsp_response(response.content).response_status)
        encoded = urllib.parse.quote(base64.b64encode(body).decode(), safe="")
        _assert_4xx_json_or_ok(client.get(f"/ocsp/{encoded}"), f"ocsp GET case {case}")
    assert ocsp.OCSPResponseStatus.MALFORMED_REQUEST in statuses
    assert ocsp.OCSPResponseStatus.SUCCESSFUL in statuses
    for junk in ("%%%", "not-base64!", "A" * 5, "////", "%00"):
        _assert_4xx_json_or_ok(client.get(f"/ocsp/{junk}"), junk)
    oversize = client.post("/ocsp", content=b"\x30" * (MAX_OCSP_BODY + 1))
    assert oversize.status_code == 413 and oversize.json()["error"]
    assert client.get("/ocsp/" + "A" * (MAX_OCSP_GET + 4)).status_code == 414


def test_json_api_fuzz_never_5xx(client: TestClient, authority: Authority) -> None:
    rng = random.Random(2026)
    for case in range(400):
        method, path = rng.choice(JSON_ENDPOINTS)
        kind = case % 5
        headers = dict(AUTH) if rng.random() < 0.8 else {}
        if kind == 0:
            content = bytes(rng.randrange(256) for _ in range(rng.randrange(0, 200)))
        elif kind == 1:
            content = rng.choice([b"{", b"[]", b"null", b"1", b'"x"', b"{\"a\":", b"\xff\xfe{}", b"[" * 5000])
        else:
            body = {name: rng.choice(VALUES) for name in rng.sample(FIELDS, rng.randrange(0, 8))}
            content = json.dumps(body).encode()
        response = client.request(method, path, content=content,
                                  headers={**headers, "Content-Type": "application/json"})
        _assert_4xx_json_or_ok(response, f"{method} {path} case {case}: {content[:120]!r}")
        assert response.status_code != 200 or path in ("/api/v1/check", "/api/v1/verify"), (path, content)
    for path in GET_ENDPOINTS:
        _assert_4xx_json_or_ok(client.get(path), path)
    for method, path in JSON_ENDPOINTS:
        _assert_4xx_json_or_ok(client.request("PUT", path), f"PUT {path}")
        big = client.request(method, path, content=b" " * (MAX_JSON_BODY + 1), headers=AUTH)
        assert big.status_code in (401, 413), path  # no token is refused before reading the body
        lying = client.request(method, path, content=b"{}", headers={**AUTH, "Content-Length": "abc"})
        _assert_4xx_json_or_ok(lying, f"bad Content-Length {path}")


REQUEST_ENDPOINTS = [
    ("POST", "/api/v1/requests"), ("POST", "/api/v1/requests/tick"), ("POST", "{one}/login"),
    ("POST", "{one}/sections/empresa"), ("POST", "{one}/sections/documentos"), ("POST", "{one}/documents"),
    ("POST", "{one}/finalize"), ("POST", "{one}/approve"), ("POST", "{one}/reject"),
    ("POST", "{one}/identity-failed"), ("POST", "{one}/payment"), ("POST", "{one}/loan"),
    ("POST", "{one}/loan/letter"), ("POST", "/api/v1/vendor/certificate"), ("POST", "/api/v1/vendor/settings"),
]
REQUEST_FIELDS = [*REQUEST_FORM, "password", "password_confirmation", "channel", "user", "new_password", "fields",
                  "kind", "filename", "content_base64", "reason", "detail", "reference", "amount_cop", "loan_days",
                  "price_cop", "nit", "name"]
REQUEST_VALUES: list[Any] = [*VALUES, PASSWORD, "vendor", "dian", "rut", "../x.pdf", "JVBERi0xLjQK", "Antioquia",
                             {"email": 1}, {"ciudad": "Envigado"}, {"x": None}, {"\ud800": "x"}, 10**6, -5, 2**63,
                             "a" * 5000, "\ud800", "a\udfffb", "\x9b31m\u202e.pdf", "\x01", "línea\nnueva"]
#: Sent as they are (the client percent-encodes what a URL cannot hold; the server decodes it).
ODD_RADICADOS = ["x", "\x00", "../..", "..\\..", "ñandú", "A" * 3000, "cdc3cc2c-deaa-4070-bada-5588f305dda4", " ",
                 "\ud800"]


def test_request_api_fuzz_never_5xx(client: TestClient, authority: Authority) -> None:
    radicados = []
    for channel in ("dian", "vendor"):  # one in each first state, so state checks and bodies both run
        filed = client.post("/api/v1/requests", headers=AUTH,
                            json={**REQUEST_FORM, "password": PASSWORD, "channel": channel})
        assert filed.status_code == 201
        radicados.append(filed.json()["radicado"])
    radicado = radicados[0]
    rng = random.Random(5)
    for case in range(500):
        method, path = rng.choice(REQUEST_ENDPOINTS)
        odd = urllib.parse.quote(rng.choice(ODD_RADICADOS), safe="", errors="surrogatepass")
        one = "/api/v1/requests/" + (rng.choice(radicados) if rng.random() < 0.8 else odd)
        path = path.replace("{one}", one)
        kind = case % 5
        if kind == 0:
            content = bytes(rng.randrange(256) for _ in range(rng.randrange(0, 200)))
        elif kind == 1:
            content = rng.choice([b"", b"{", b"[]", b"null", b'{"fields": [1]}', b"\xff\xfe{}", b"{" * 3000])
        else:
            body = {name: rng.choice(REQUEST_VALUES) for name in rng.sample(REQUEST_FIELDS, rng.randrange(0, 9))}
            content = json.dumps(body).encode()
        headers = dict(AUTH) if rng.random() < 0.9 else {}
        headers["Content-Type"] = "application/json"
        response = client.request(method, path, content=content, headers=headers)
        _assert_4xx_json_or_ok(response, f"{method} {path[:80]} case {case}: {content[:120]!r}")
    for radicado_text in ODD_RADICADOS:
        quoted = urllib.parse.quote(radicado_text, safe="", errors="surrogatepass")
        for path in (f"/api/v1/requests/{quoted}", f"/api/v1/requests/{quoted}/loan/letter"):
            _assert_4xx_json_or_ok(client.get(path, headers=AUTH), path[:80])
    for path in ("/api/v1/outbox?radicado=%00", "/api/v1/outbox/0", "/api/v1/outbox/-1", "/api/v1/outbox/x.eml",
                 "/api/v1/outbox/" + "9" * 40, "/api/v1/outbox/" + "9" * 5000, "/api/v1/outbox/%ED%A0%80",
                 "/api/v1/outbox/" + "9" * 5000 + ".eml", "/api/v1/vendor/settings", "/api/v1/requests"):
        _assert_4xx_json_or_ok(client.get(path, headers=AUTH), path[:80])
    big = client.post(f"/api/v1/requests/{radicado}/documents", headers=AUTH, content=b" " * (MAX_UPLOAD_BODY + 1))
    assert big.status_code == 413 and big.json()["error"]
