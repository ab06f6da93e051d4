"""Issue 11 §4: the API speaks API — its hints name the endpoint and the field, never a CLI
command or flag, and never a path on the server; every time it writes is in Colombian time."""

from __future__ import annotations

import base64
import datetime as dt
import re
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives import serialization
from server_support import TOKEN
from starlette.testclient import TestClient
from support import NOW, PASSWORD, REQUEST_FORM
from test_request_api import _filed_and_complete

from minica.ca.hierarchy import Authority
from minica.ca.issuance import IssuedCertificate
from minica.clock import FixedClock
from minica.server.app import ServerSettings, create_app
from minica.storage.home import Home

ROOT = Path(__file__).resolve().parents[2]
HAB = ROOT / "testdata" / "invoice-habilitacion.xml"
AUTH = {"Authorization": f"Bearer {TOKEN}"}
CLI_WORDS = re.compile(r"`minica |'minica (?!serve)|(?:^|[\s(])--[a-z]|\$MINICA_STORE_PASSWORD|the prompt")
COLOMBIAN = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d+)?-05:00")
ANY_TIME = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d+)?(?:[+-]\d\d:\d\d|Z)")


def _client(home: Home, when: dt.datetime = NOW) -> TestClient:
    return TestClient(create_app(ServerSettings(home=home, clock=FixedClock(when), token=TOKEN)))


def _refusal(reply: Any, status: int) -> dict[str, str]:
    assert reply.status_code == status, reply.text
    body: dict[str, str] = reply.json()
    assert not CLI_WORDS.search(body["hint"]), body
    return body


def test_hints_name_endpoints_and_fields_and_errors_no_server_paths(
    home: Home, authority: Authority, leaf: IssuedCertificate
) -> None:
    client = _client(home)
    sign = {"document_base64": base64.b64encode(HAB.read_bytes()).decode(), "password": "Wrong#Pass1"}
    wrong = _refusal(client.post("/api/v1/sign", json=sign, headers=AUTH), 403)
    assert "the field 'password'" in wrong["hint"]
    assert str(home.root) not in str(wrong) and "/tmp" not in str(wrong) and "stores/" in wrong["error"]

    filed = client.post("/api/v1/requests", json={**REQUEST_FORM, "password": PASSWORD}, headers=AUTH).json()
    one = f"/api/v1/requests/{filed['radicado']}"
    early = _refusal(client.post(f"{one}/sections/empresa", headers=AUTH), 409)
    assert f"POST {one.replace(filed['radicado'], '{radicado}')}/login" in early["hint"]
    welcome = client.get("/api/v1/outbox", headers=AUTH).json()["emails"][0]
    text = client.get(f"/api/v1/outbox/{welcome['id']}", headers=AUTH).json()["text"]
    temporary = re.search(r"Contraseña temporal: (\S+)", text).group(1)  # type: ignore[union-attr]
    must = _refusal(client.post(f"{one}/login", json={"user": filed["platform_user"], "password": temporary},
                                headers=AUTH), 409)  # fmt: skip
    assert "the field 'new_password'" in must["hint"]
    assert client.post(f"{one}/login", json={"user": filed["platform_user"], "password": temporary,
                                             "new_password": "Plataforma#1"}, headers=AUTH).status_code == 200
    pending = _refusal(client.post(f"{one}/finalize", headers=AUTH), 409)
    assert "POST /api/v1/requests/{radicado}/sections/{section}" in pending["hint"]

    vendor = client.post("/api/v1/requests", json={**REQUEST_FORM, "channel": "vendor", "password": PASSWORD},
                         headers=AUTH).json()  # fmt: skip
    blank = _refusal(client.post(f"/api/v1/requests/{vendor['radicado']}/payment", json={"reference": " "},
                                 headers=AUTH), 422)  # fmt: skip
    assert "the field 'reference'" in blank["hint"]
    unknown = _refusal(client.get("/api/v1/certificates/ABCDEF"), 404)
    assert "GET /api/v1/certificates" in unknown["hint"]


def _times(data: Any) -> list[str]:
    return ANY_TIME.findall(str(data))


def test_every_time_the_api_writes_is_colombian(home: Home, authority: Authority, leaf: IssuedCertificate) -> None:
    client = _client(home)
    pem = leaf.certificate.public_bytes(serialization.Encoding.PEM).decode()
    answers: list[Any] = [client.get("/api/v1/certificates").json(), client.get("/api/v1/check").json(),
                          client.post("/api/v1/check", json={"certificate": pem}).json()]
    signed = client.post("/api/v1/sign", headers=AUTH, json={
        "document_base64": base64.b64encode(HAB.read_bytes()).decode(), "password": PASSWORD}).json()
    answers.append({"signing_time": signed["signing_time"]})
    verified = client.post("/api/v1/verify", json={"document_base64": signed["document_base64"]}).json()
    answers += [verified["signer"], {"signing_time": verified["signing_time"]},
                {"messages": " ".join(c["message"] for c in verified["checks"] if c["rule"] in ("DC24", "ZD07"))}]
    revoked = client.post(f"/api/v1/certificates/{leaf.serial_hex}/revoke", json={}, headers=AUTH).json()
    answers.append(revoked)

    filed = client.post("/api/v1/requests", json={**REQUEST_FORM, "password": PASSWORD}, headers=AUTH).json()
    answers.append(client.get(f"/api/v1/requests/{filed['radicado']}", headers=AUTH).json())
    answers.append(client.get("/api/v1/outbox", headers=AUTH).json())
    # A rejected request's reminders, applied by tick days later, and its history's times.
    radicado = _filed_and_complete(client)
    assert client.post(f"/api/v1/requests/{radicado}/reject", json={"reason": "RUT ilegible"},
                       headers=AUTH).status_code == 200  # fmt: skip
    later = _client(home, NOW + dt.timedelta(days=9))
    ticked = later.post("/api/v1/requests/tick", headers=AUTH).json()
    assert len(ticked["applied"]) == 2
    answers += [ticked, later.get(f"/api/v1/requests/{radicado}", headers=AUTH).json()]
    found = [t for answer in answers for t in _times(answer)]
    assert len(found) > 40
    assert [t for t in found if not COLOMBIAN.fullmatch(t)] == []
