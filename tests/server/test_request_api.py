"""The request process over the JSON API: filing, the platform, sections and documents, review,
rejection with reminders and expiry, identity failure, the vendor's payment and loan, the outbox.

The main walk runs against a real server with a plain HTTP client; the time-travel tests build
one in-process app per moment over the same home (each app has its own fixed clock)."""

from __future__ import annotations

import base64
import datetime as dt
import email
import email.policy
import re
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest
from server_support import TOKEN, RunningServer, call
from starlette.testclient import TestClient
from support import NOW, PASSWORD, REQUEST_FORM, files_under

from minica.ca.hierarchy import Authority
from minica.ca.requests.pdf import simple_pdf
from minica.clock import FixedClock
from minica.server.app import ServerSettings, create_app
from minica.storage.home import Home
from minica.storage.keystore import read_keystore

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "tests" / "requests"))  # for ``pdf_samples``
from pdf_samples import signed_letter  # noqa: E402

HAB = ROOT / "testdata" / "invoice-habilitacion.xml"
AUTH = {"Authorization": f"Bearer {TOKEN}"}
NEW_PLATFORM_PASSWORD = "Plataforma#1"
PDF = simple_pdf("Documento de prueba", ["Contenido del documento."])
PDF_B64 = base64.b64encode(PDF).decode()
DOCUMENTS = ("rut", "camara_comercio", "documento_identidad")
SECTIONS = ("solicitante", "empresa", "representante", "documentos")


def _temporary_password(text: str) -> str:
    match = re.search(r"Contraseña temporal: (\S+)", text)
    assert match, text
    return match.group(1)


def test_the_whole_process_over_http_issues_a_certificate_that_signs(
    server: RunningServer, home: Home, authority: Authority
) -> None:
    status, filed = call(server, "POST", "/api/v1/requests", {**REQUEST_FORM, "password": PASSWORD,
                                                              "password_confirmation": PASSWORD})
    assert status == 201 and filed["status"] == "radicada", filed
    radicado, user = filed["radicado"], filed["platform_user"]
    one = f"/api/v1/requests/{radicado}"

    # The welcome e-mail (token only: it holds the temporary password) gives user and password.
    assert call(server, "GET", f"/api/v1/outbox?radicado={radicado}", token=None)[0] == 401
    status, listed = call(server, "GET", f"/api/v1/outbox?radicado={radicado}")
    assert status == 200 and [e["kind"] for e in listed["emails"]] == ["bienvenida"]
    welcome_id = listed["emails"][0]["id"]
    status, welcome = call(server, "GET", f"/api/v1/outbox/{welcome_id}")
    assert status == 200 and welcome["to"] == REQUEST_FORM["email"] and user in welcome["text"]
    temporary = _temporary_password(welcome["text"])
    status, raw = call(server, "GET", f"/api/v1/outbox/{welcome_id}.eml")
    parsed = email.message_from_bytes(raw, policy=email.policy.default)
    assert status == 200 and parsed["Subject"] == welcome["subject"]

    # Nothing can be saved before signing in; the first sign-in must change the password.
    status, refused = call(server, "POST", f"{one}/sections/solicitante", {})
    assert status == 409 and "sign in first" in refused["hint"]
    status, wrong = call(server, "POST", f"{one}/login", {"user": "Otra#Clave1", "password": temporary})
    assert status == 403 and "wrong platform user or password" in wrong["error"]
    status, must = call(server, "POST", f"{one}/login", {"user": user, "password": temporary})
    assert status == 409 and "must be changed" in must["error"]
    status, signed_in = call(server, "POST", f"{one}/login",
                             {"user": user, "password": temporary, "new_password": NEW_PLATFORM_PASSWORD})
    assert status == 200 and signed_in["password_changed"] and signed_in["status"] == "en_diligenciamiento"

    # The documents section needs every document; sections report what is still pending.
    status, incomplete = call(server, "POST", f"{one}/sections/documentos")
    assert status == 409 and "camara_comercio" in incomplete["error"]
    for kind in DOCUMENTS:
        status, doc = call(server, "POST", f"{one}/documents",
                           {"kind": kind, "filename": f"{kind}.pdf", "content_base64": PDF_B64})
        assert status == 201 and doc["kind"] == kind and doc["size"] == len(PDF), doc
    status, saved = call(server, "POST", f"{one}/sections/solicitante",
                         {"fields": {"email": "certificados@acme.example.co"}})
    assert status == 200 and saved["pending_sections"] == ["empresa", "representante", "documentos"]
    for name in SECTIONS[1:]:
        status, saved = call(server, "POST", f"{one}/sections/{name}")
        assert status == 200, saved
    assert saved["pending_sections"] == [] and saved["progress"] == "4/4"

    status, final = call(server, "POST", f"{one}/finalize")
    assert status == 200 and final["status"] == "completa"
    status, locked = call(server, "POST", f"{one}/sections/empresa", {"fields": {"ciudad": "Envigado"}})
    assert status == 409 and "locked" in locked["error"]

    status, approved = call(server, "POST", f"{one}/approve")
    assert status == 200 and approved["status"] == "aprobada", approved
    certificate = approved["certificate"]
    assert certificate["status"] == "valid" and certificate["nit"].startswith("900373987")
    assert "stores" not in certificate and "BEGIN CERTIFICATE" in certificate["certificate_pem"]

    # The view: history in order, the e-mails (no server paths), the new e-mail address.
    assert call(server, "GET", one, token=None)[0] == 401  # personal data: the token again
    status, view = call(server, "GET", one)
    assert status == 200 and view["status"] == "aprobada" and view["serial"] == certificate["serial"]
    assert view["form"]["email"] == "certificados@acme.example.co"
    events = [e["event"] for e in view["history"]]
    assert events[0] == "radicada" and events[-1] == "aprobada" and "finalizada" in events
    assert events.count("ingreso_fallido") == 1 and "Otra#Clave1" not in str(view)  # recorded, not what was typed
    assert str(home.root) not in str(view)  # no server paths anywhere, history included
    assert [e["kind"] for e in view["emails"]] == ["bienvenida", "completa", "emitido"]
    assert all("file" not in e for e in view["emails"]) and all("path" not in d for d in view["documents"])
    status, rows = call(server, "GET", "/api/v1/requests")
    assert status == 200 and [r["radicado"] for r in rows["requests"]] == [radicado]

    # The certificate is in both stores under the form's password, and the API signs with it.
    for env in ("habilitacion", "produccion"):
        stores = list((home.root / "stores" / env).glob("*.p12"))
        assert len(stores) == 1
        stored = read_keystore(stores[0], PASSWORD.encode()).certificate
        assert format(stored.serial_number, "X") == certificate["serial"]
    status, signed = call(server, "POST", "/api/v1/sign", {
        "document_base64": base64.b64encode(HAB.read_bytes()).decode(), "password": PASSWORD,
        "serial": certificate["serial"]})
    assert status == 200 and signed["serial"] == certificate["serial"], signed
    status, report = call(server, "POST", "/api/v1/verify", {"document_base64": signed["document_base64"]},
                          token=None)
    assert status == 200 and report["valid"], report


def _app(home: Home, when: dt.datetime) -> TestClient:
    return TestClient(create_app(ServerSettings(home=home, clock=FixedClock(when), token=TOKEN)))


def _filed_and_complete(client: TestClient, form: dict[str, str] | None = None) -> str:
    """File, sign in, upload, save every section and Finalizar; returns the radicado."""
    reply = client.post("/api/v1/requests", json={**(form or REQUEST_FORM), "password": PASSWORD}, headers=AUTH)
    assert reply.status_code == 201, reply.text
    radicado, user = reply.json()["radicado"], reply.json()["platform_user"]
    welcome = client.get("/api/v1/outbox", params={"radicado": radicado}, headers=AUTH).json()["emails"][0]
    text = client.get(f"/api/v1/outbox/{welcome['id']}", headers=AUTH).json()["text"]
    one = f"/api/v1/requests/{radicado}"
    assert client.post(f"{one}/login", headers=AUTH, json={
        "user": user, "password": _temporary_password(text), "new_password": NEW_PLATFORM_PASSWORD}).status_code == 200
    for kind in DOCUMENTS:
        assert client.post(f"{one}/documents", headers=AUTH, json={
            "kind": kind, "filename": f"{kind}.pdf", "content_base64": PDF_B64}).status_code == 201
    for name in SECTIONS:
        assert client.post(f"{one}/sections/{name}", headers=AUTH).status_code == 200
    assert client.post(f"{one}/finalize", headers=AUTH).json()["status"] == "completa"
    return radicado


def test_simultaneous_approvals_issue_one_certificate(server: RunningServer, home: Home, authority: Authority) -> None:
    radicado = _filed_and_complete(_app(home, NOW))
    with ThreadPoolExecutor(max_workers=4) as pool:
        replies = list(pool.map(lambda _: call(server, "POST", f"/api/v1/requests/{radicado}/approve"), range(4)))
    statuses = sorted(status for status, _ in replies)
    assert statuses == [200, 409, 409, 409], replies
    assert len(call(server, "GET", "/api/v1/certificates", token=None)[1]["certificates"]) == 1
    assert len(list((home.root / "stores").rglob("*.p12"))) == 2


def test_simultaneous_vendor_certificates_issue_one(server: RunningServer, home: Home, authority: Authority) -> None:
    with ThreadPoolExecutor(max_workers=3) as pool:
        replies = list(pool.map(
            lambda _: call(server, "POST", "/api/v1/vendor/certificate", {"password": PASSWORD}), range(3)))
    assert sorted(status for status, _ in replies) == [201, 409, 409], replies
    assert len(call(server, "GET", "/api/v1/certificates", token=None)[1]["certificates"]) == 1
    status, settings = call(server, "GET", "/api/v1/vendor/settings")
    assert status == 200 and settings["vendor_serial"] == next(b["serial"] for s, b in replies if s == 201)


def _end_of_day(days: int) -> dt.datetime:
    """A moment just after the end of day ``days`` counted from NOW (Bogotá's midnight)."""
    return (NOW + dt.timedelta(days=days)).replace(hour=23, minute=59, second=59) + dt.timedelta(seconds=2)


def test_rejection_reminders_and_expiry_follow_the_servers_clock(home: Home, authority: Authority) -> None:
    radicado = _filed_and_complete(_app(home, NOW))
    one = f"/api/v1/requests/{radicado}"
    rejected = _app(home, NOW).post(f"{one}/reject", headers=AUTH, json={"reason": "El RUT es ilegible"})
    assert rejected.status_code == 200 and rejected.json()["status"] == "rechazada"

    day3 = _app(home, _end_of_day(3))
    first = day3.post("/api/v1/requests/tick", headers=AUTH).json()
    assert first["applied"] and all(radicado in line for line in first["applied"])
    assert day3.post("/api/v1/requests/tick", headers=AUTH).json()["applied"] == []  # once only

    late = _app(home, NOW + dt.timedelta(days=16))
    view = late.get(one, headers=AUTH).json()  # reading catches up too
    assert view["status"] == "caducada"
    kinds = [e["kind"] for e in view["emails"]]
    assert kinds[-4:] == ["recordatorio_dia_3", "recordatorio_dia_7", "aviso_caducidad", "caducada"]
    refused = late.post(f"{one}/finalize", headers=AUTH)
    assert refused.status_code == 409 and "file a new request" in refused.json()["hint"]


def test_identity_failure_ends_the_request(home: Home, authority: Authority) -> None:
    client = _app(home, NOW)
    radicado = _filed_and_complete(client)
    one = f"/api/v1/requests/{radicado}"
    ended = client.post(f"{one}/identity-failed", headers=AUTH, json={"detail": "cédula no coincide"})
    assert ended.status_code == 200 and ended.json()["status"] == "identidad_fallida"
    view = client.get(one, headers=AUTH).json()
    assert view["emails"][-1]["kind"] == "identidad_fallida" and not view["keystore_password_sealed"]
    refused = client.post(f"{one}/approve", headers=AUTH)
    assert refused.status_code == 409 and refused.json()["error"].endswith("it is identidad_fallida")
    assert client.get("/api/v1/certificates").json()["certificates"] == []


def test_a_bad_form_names_every_problem_and_files_nothing(home: Home, authority: Authority) -> None:
    client = _app(home, NOW)
    bad = {**REQUEST_FORM, "nit": "900373987-1", "ciudad": "Atlantis", "email": "no-es-correo",
           "password": "corta", "password_confirmation": "otra"}
    reply = client.post("/api/v1/requests", json=bad, headers=AUTH)
    assert reply.status_code == 422
    body = reply.json()
    assert set(body["problems"]) == {"nit", "ciudad", "email", "password", "password_confirmation"}
    assert "9" in body["problems"]["nit"] and body["error"].startswith("the request form has 5 problems")
    # A key that is not the form's is named alone, shortly, with the closest valid key.
    misspelt = client.post("/api/v1/requests", json={**bad, "razon_socal": "X", "pasword": "Y"}, headers=AUTH)
    assert misspelt.status_code == 422 and len(misspelt.text) < 400
    assert misspelt.json()["problems"] == {"pasword": "unknown field; did you mean 'password'?",
                                           "razon_socal": "unknown field; did you mean 'razon_social'?"}
    wrong_type = client.post("/api/v1/requests", json={**REQUEST_FORM, "nit": 900373987, "password": PASSWORD},
                             headers=AUTH)
    assert wrong_type.status_code == 422 and "'nit' must be a string" in wrong_type.json()["error"]
    assert client.get("/api/v1/requests", headers=AUTH).json()["requests"] == []
    assert not (home.root / "outbox").exists() or not any((home.root / "outbox").iterdir())


def test_uploads_are_checked_and_their_names_kept_harmless(home: Home, authority: Authority) -> None:
    client = _app(home, NOW)
    radicado = _filed_and_complete(client)
    one = f"/api/v1/requests/{radicado}"
    assert client.post(f"{one}/reject", headers=AUTH, json={"reason": "Falta el RUT"}).status_code == 200

    def upload(**body: Any) -> Any:
        return client.post(f"{one}/documents", headers=AUTH, json={"kind": "rut", "filename": "rut.pdf", **body})

    not_pdf = upload(content_base64=base64.b64encode(b"PK\x03\x04 a zip").decode())
    assert not_pdf.status_code == 422 and "is not a PDF" in not_pdf.json()["error"]
    big = upload(content_base64=base64.b64encode(PDF[:-6] + b" " * (1024 * 1024) + PDF[-6:]).decode())
    assert big.status_code == 422 and "more than the 1 MB" in big.json()["error"]
    assert upload(content_base64="no es base64!").status_code == 422
    assert upload(content_base64=PDF_B64, kind="pasaporte").status_code == 422
    sneaky = upload(content_base64=PDF_B64, filename="../../etc/rut final.pdf")
    assert sneaky.status_code == 201 and sneaky.json()["filename"] == "rut final.pdf"
    assert upload(content_base64=PDF_B64, filename="..").status_code == 422
    stored = sorted(p.name for p in home.root.rglob("*.pdf"))
    assert len(stored) == 4 and all(re.fullmatch(r"\d{3}-[a-z_]+\.pdf", name) for name in stored)


def test_the_vendor_loan_and_payment_over_the_api(home: Home, authority: Authority) -> None:
    client = _app(home, NOW)
    no_vendor = client.post("/api/v1/requests", headers=AUTH,
                            json={**REQUEST_FORM, "channel": "vendor", "password": PASSWORD}).json()["radicado"]
    refused = client.post(f"/api/v1/requests/{no_vendor}/loan", headers=AUTH)
    assert refused.status_code == 409 and "no certificate to lend" in refused.json()["error"]

    vendor_cert = client.post("/api/v1/vendor/certificate", headers=AUTH, json={"password": PASSWORD})
    assert vendor_cert.status_code == 201, vendor_cert.text
    settings = client.get("/api/v1/vendor/settings", headers=AUTH).json()
    assert settings["vendor_serial"] == vendor_cert.json()["serial"]
    changed = client.post("/api/v1/vendor/settings", headers=AUTH, json={"loan_days": 30})
    assert changed.status_code == 200 and changed.json()["loan_days"] == 30

    partial = {k: v for k, v in REQUEST_FORM.items() if not k.startswith("representante")}
    filed = client.post("/api/v1/requests", headers=AUTH, json={**partial, "channel": "vendor", "password": PASSWORD})
    assert filed.status_code == 201 and filed.json()["status"] == "pendiente_pago"
    one = f"/api/v1/requests/{filed.json()['radicado']}"
    missing = client.post(f"{one}/loan", headers=AUTH)
    assert missing.status_code == 422 and "representante_nombres" in missing.json()["problems"]
    representative = {k: v for k, v in REQUEST_FORM.items() if k.startswith("representante")}
    assert client.post(f"{one}/loan", headers=AUTH, json=representative).json()["status"] == "prestamo_pendiente_carta"
    letter = client.get(f"{one}/loan/letter", headers=AUTH)
    assert letter.status_code == 200 and letter.headers["content-type"] == "application/pdf"
    assert letter.content.startswith(b"%PDF-") and b"Carta de exoneraci" in letter.content
    signed = base64.b64encode(signed_letter(letter.content)).decode()
    upload = {"filename": "carta-firmada.pdf", "content_base64": signed}
    started = client.post(f"{one}/loan/letter", headers=AUTH, json=upload)
    assert started.status_code == 200 and started.json()["status"] == "prestamo_activo"
    loan = started.json()["loan"]
    assert dt.datetime.fromisoformat(loan["end"]) - dt.datetime.fromisoformat(loan["start"]) == dt.timedelta(days=30)
    later = _app(home, NOW + dt.timedelta(days=5)).post(f"{one}/loan/letter", headers=AUTH, json=upload)
    assert later.status_code == 200 and later.json()["loan"] == loan  # the first upload fixed the dates

    paid = client.post("/api/v1/requests", headers=AUTH,
                       json={**REQUEST_FORM, "channel": "vendor", "password": PASSWORD}).json()["radicado"]
    short = client.post(f"/api/v1/requests/{paid}/payment", headers=AUTH, json={"reference": "R-1", "amount_cop": 1})
    assert short.status_code == 409 and "does not cover the price" in short.json()["error"]
    huge = client.post(f"/api/v1/requests/{paid}/payment", headers=AUTH, json={"reference": "R-1", "amount_cop": 2**63})
    assert huge.status_code == 422 and "out of range" in huge.json()["error"]
    full = client.post(f"/api/v1/requests/{paid}/payment", headers=AUTH, json={"reference": "R-2"})
    assert full.status_code == 200 and full.json()["status"] == "radicada"
    kinds = [e["kind"] for e in client.get("/api/v1/outbox", params={"radicado": paid}, headers=AUTH).json()["emails"]]
    assert kinds == ["pago_registrado", "bienvenida"]


NEEDS_TOKEN = [
    ("GET", "/api/v1/requests"), ("GET", "/api/v1/requests/{r}"),
    ("POST", "/api/v1/requests"), ("POST", "/api/v1/requests/tick"), ("POST", "/api/v1/requests/{r}/login"),
    ("POST", "/api/v1/requests/{r}/sections/empresa"), ("POST", "/api/v1/requests/{r}/documents"),
    ("POST", "/api/v1/requests/{r}/finalize"), ("POST", "/api/v1/requests/{r}/approve"),
    ("POST", "/api/v1/requests/{r}/reject"), ("POST", "/api/v1/requests/{r}/identity-failed"),
    ("POST", "/api/v1/requests/{r}/payment"), ("POST", "/api/v1/requests/{r}/loan"),
    ("GET", "/api/v1/requests/{r}/loan/letter"), ("POST", "/api/v1/requests/{r}/loan/letter"),
    ("GET", "/api/v1/outbox"), ("GET", "/api/v1/outbox/1"), ("GET", "/api/v1/outbox/1.eml"),
    ("POST", "/api/v1/vendor/certificate"), ("GET", "/api/v1/vendor/settings"), ("POST", "/api/v1/vendor/settings"),
]


def _state(home: Home) -> tuple[Any, ...]:
    """Everything a refused call must leave alone: files, requests with history, vendor settings."""
    from minica.ca.requests import process, vendor

    clock = FixedClock(NOW)
    views = [process.load(home, clock, r["radicado"])[1] for r in process.list_requests(home, clock)]
    return (files_under(home.root), views, vendor.current_settings(home))


@pytest.mark.parametrize(("method", "path"), NEEDS_TOKEN)
def test_the_process_needs_the_token_and_a_refusal_changes_nothing(
    home: Home, authority: Authority, method: str, path: str
) -> None:
    client = _app(home, NOW)
    radicado = client.post("/api/v1/requests", headers=AUTH, json={**REQUEST_FORM, "password": PASSWORD}).json()[
        "radicado"]
    body = {**REQUEST_FORM, "password": PASSWORD, "reason": "x", "reference": "R-1", "loan_days": 5}
    before = _state(home)
    for headers in ({}, {"Authorization": "Bearer not-the-token-at-all"}, {"Authorization": TOKEN}):
        reply = client.request(method, path.replace("{r}", radicado), headers=headers, json=body)
        assert reply.status_code == 401 and reply.json()["error"] and "WWW-Authenticate" in reply.headers
    assert _state(home) == before
    assert _state(home) == before


def test_unknown_radicado_and_section_are_clear_4xx(home: Home, authority: Authority) -> None:
    client = _app(home, NOW)
    unknown = client.post("/api/v1/requests/cdc3cc2c-deaa-4070-bada-5588f305dda4/finalize", headers=AUTH)
    assert unknown.status_code == 404 and "no request with radicado" in unknown.json()["error"]
    assert client.get("/api/v1/requests/not-a-radicado", headers=AUTH).status_code == 404
    radicado = client.post("/api/v1/requests", headers=AUTH, json={**REQUEST_FORM, "password": PASSWORD}).json()[
        "radicado"]
    section = client.post(f"/api/v1/requests/{radicado}/sections/colores", headers=AUTH)
    assert section.status_code == 422 and "unknown section" in section.json()["error"]
    for missing in ("999", "9" * 5000, "0x1", "١٢", "-1"):  # long, hex, Arabic-Indic digits, negative
        reply = client.get(f"/api/v1/outbox/{missing}", headers=AUTH)
        assert reply.status_code == 404 and "no e-mail number" in reply.json()["error"], missing
    first = client.get("/api/v1/outbox", headers=AUTH).json()["emails"][0]
    next(home.root.glob(f"outbox/{first['id']:06d}-*.eml")).unlink()  # someone removed the file
    for suffix in ("", ".eml"):
        gone = client.get(f"/api/v1/outbox/{first['id']}{suffix}", headers=AUTH)
        assert gone.status_code == 404 and "missing from the outbox folder" in gone.json()["error"]


def test_every_api_route_is_described_in_openapi(home: Home, authority: Authority) -> None:
    app = create_app(ServerSettings(home=home, clock=FixedClock(NOW), token=TOKEN))
    spec = TestClient(app).get("/api/v1/openapi.json").json()
    described = {(path, method) for path, ops in spec["paths"].items() for method in ops}
    inner: Any = app
    while not hasattr(inner, "routes"):
        inner = inner.app
    served = {(re.sub(r"\{(\w+):\w+\}", r"{\1}", route.path), method.lower())
              for route in inner.routes if route.path.startswith("/api/v1/")
              for method in route.methods if method != "HEAD"}  # fmt: skip
    described_api = {(path, method) for path, method in described if path.startswith("/api/v1/")}
    assert served and served == described_api, (served - described_api, described_api - served)
    for (path, method) in served:
        op = spec["paths"][path][method]
        if method == "post" or path.startswith("/api/v1/outbox") or path.endswith("/letter"):
            needs_token = not path.endswith(("/check", "/verify"))
            assert ("security" in op) == needs_token, (path, method)


def test_openapi_says_which_bodies_are_required(home: Home, authority: Authority) -> None:
    """An empty body is refused (400) exactly where the description marks the body required."""
    client = _app(home, NOW)
    spec = client.get("/api/v1/openapi.json").json()
    checked = 0
    for path, ops in spec["paths"].items():
        op = ops.get("post")
        if not path.startswith("/api/v1/") or op is None:
            continue
        concrete = path.replace("{radicado}", "cdc3cc2c-deaa-4070-bada-5588f305dda4").replace("{serial}", "0A")
        concrete = concrete.replace("{section}", "empresa")
        reply = client.post(concrete, headers=AUTH)
        empty_refused = reply.status_code == 400 and "body is empty" in reply.json()["error"]
        assert empty_refused == op.get("requestBody", {}).get("required", False), (path, reply.text)
        checked += 1
    assert checked >= 18

