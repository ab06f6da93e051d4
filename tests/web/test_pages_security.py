"""The pages' defences, with a plain HTTP client against the real server (no browser): CSRF on every
form, sessions that only open their own request, the operator's token, cookie flags, sign-in limits,
bounded uploads, the keystore checks of "Adicionar certificado", and nothing secret in URLs or logs."""

from __future__ import annotations

import base64
import json
import logging
import re
from collections.abc import Callable, Iterator
from typing import Any

import httpx2 as httpx
import pytest
from starlette.routing import Route
from support import NOW, PASSWORD, REQUEST_FORM
from web_support import TOKEN, Served, complete_request, serve, welcome_password

from minica.ca.issuance import IssueRequest, issue_certificate
from minica.ca.requests import outbox, process
from minica.clock import FixedClock
from minica.dian.gratuita import accounts
from minica.identity import Nit
from minica.server.app import ServerSettings, create_app
from minica.storage.database import Database
from minica.storage.home import Home

DIAN_PASSWORD = "Empresa#2026"
PLATFORM_PASSWORD = "Plataforma#1"
AREAS = ("/dian", "/plataforma", "/proveedor", "/operador")
OTHER_FORM = {**REQUEST_FORM, "nit": "800197268-4", "razon_social": "OTRA EMPRESA S.A.S.",
              "email": "otra@otra.example.co"}  # fmt: skip


@pytest.fixture
def clients(site: Served) -> Iterator[Callable[..., httpx.Client]]:
    """New browsers-without-a-browser (each its own cookie jar) on the site, or on another server."""
    opened: list[httpx.Client] = []

    def make(url: str = site.url, cookies: dict[str, str] | None = None) -> httpx.Client:
        opened.append(httpx.Client(base_url=url, follow_redirects=False, cookies=cookies, timeout=60))
        return opened[-1]

    yield make
    for client in opened:
        client.close()


def csrf(client: httpx.Client, path: str = "/dian") -> str:
    match = re.search(r'name="csrf" value="([^"]+)"', client.get(path).text)
    assert match
    return match.group(1)


def sign_in_everywhere(client: httpx.Client, home: Home, radicado: str) -> None:
    accounts.register(home, NOW, nit=REQUEST_FORM["nit"], razon_social=REQUEST_FORM["razon_social"],
                      email=REQUEST_FORM["email"], password=DIAN_PASSWORD, confirmation=DIAN_PASSWORD)  # fmt: skip
    token = csrf(client)
    user = process.summary(home, FixedClock(NOW), radicado)["nit"].split("-")[0] + "-" + radicado.split("-")[0]
    for path, form in (("/dian/ingreso", {"nit": REQUEST_FORM["nit"], "password": DIAN_PASSWORD}),
                       ("/operador/ingreso", {"token": TOKEN}),
                       ("/plataforma/ingreso", {"radicado": radicado, "user": user, "password": PLATFORM_PASSWORD})):
        assert client.post(path, data={**form, "csrf": token}).status_code == 303, path


def page_posts(home: Home) -> list[str]:
    app = create_app(ServerSettings(home=home, clock=FixedClock(NOW), token=TOKEN, workers=1))
    app.close()
    inner: Any = app
    while not hasattr(inner, "routes"):
        inner = inner.app
    return [route.path for route in inner.routes
            if isinstance(route, Route) and "POST" in (route.methods or ()) and route.path.startswith(AREAS)
            and ".svc" not in route.path]  # fmt: skip


def test_every_form_is_refused_without_its_csrf_token(home: Home, clients: Callable[..., httpx.Client]) -> None:
    radicado = complete_request(home, FixedClock(NOW), REQUEST_FORM, PASSWORD, PLATFORM_PASSWORD)
    client = clients()
    sign_in_everywhere(client, home, radicado)
    token = csrf(client)
    posts = page_posts(home)
    assert len(posts) >= 20, posts
    for path in posts:
        url = path.replace("{radicado}", radicado).replace("{name}", "solicitante").replace("{serial}", "1")
        for data in ({}, {"csrf": ""}, {"csrf": token[:-2] + "xx"}):
            reply = client.post(url, data=data)
            assert reply.status_code in (403, 404), (url, data, reply.status_code)
            if reply.status_code == 403:
                assert "CSRF" in reply.text
    # Another browser (no cookie) with a token copied from this page is refused too.
    stranger = clients()
    assert stranger.post("/operador/solicitudes/" + radicado + "/aprobar", data={"csrf": token}).status_code == 401
    assert stranger.post("/dian/registro", data={"csrf": token}).status_code == 403
    assert process.summary(home, FixedClock(NOW), radicado)["status"] == "completa"  # nothing happened


def test_a_platform_user_sees_their_own_request_and_no_other(home: Home, clients: Callable[..., httpx.Client]) -> None:
    clock = FixedClock(NOW)
    mine = process.file_form(home, clock, REQUEST_FORM, PASSWORD, PASSWORD)
    other = process.file_form(home, clock, OTHER_FORM, PASSWORD, PASSWORD)
    client = clients()
    token = csrf(client, "/plataforma")
    sign_in = {"csrf": token, "user": mine.platform_user, "password": welcome_password(home, mine.radicado)}
    # My user and password do not open the other request.
    assert client.post("/plataforma/ingreso", data={**sign_in, "radicado": other.radicado}).status_code == 403
    assert client.post("/plataforma/ingreso", data={**sign_in, "radicado": mine.radicado}).status_code == 303
    assert client.post("/plataforma/cambio-contrasena", data={
        "csrf": token, "current": sign_in["password"], "password": PLATFORM_PASSWORD,
        "password_confirmation": PLATFORM_PASSWORD}).status_code == 303  # fmt: skip
    page = client.get("/plataforma/solicitud", params={"radicado": other.radicado})
    assert page.status_code == 200 and mine.radicado in page.text and other.radicado not in page.text
    # A session edited by hand (the other radicado, unsigned) is no session at all.
    cookie = client.cookies["minica_sesion"]
    body = json.loads(base64.urlsafe_b64decode(cookie.split(".")[0] + "=="))
    body["plataforma"]["radicado"] = other.radicado
    forged = base64.urlsafe_b64encode(json.dumps(body).encode()).decode().rstrip("=") + "." + cookie.split(".")[1]
    client.cookies.clear()
    client.cookies.set("minica_sesion", forged)
    assert client.get("/plataforma/solicitud").status_code == 401
    # The DIAN inbox of one company never lists another's e-mails.
    accounts.register(home, NOW, nit=OTHER_FORM["nit"], razon_social=OTHER_FORM["razon_social"],
                      email=OTHER_FORM["email"], password=DIAN_PASSWORD, confirmation=DIAN_PASSWORD)  # fmt: skip
    dian = clients()
    assert dian.post("/dian/ingreso", data={"csrf": csrf(dian), "nit": OTHER_FORM["nit"],
                                            "password": DIAN_PASSWORD}).status_code == 303  # fmt: skip
    inbox = dian.get("/dian/notificaciones").text
    assert other.radicado in inbox and mine.radicado not in inbox
    with Database.open(home) as db:
        my_emails = [entry.id for entry in outbox.entries(db.connection, home, mine.radicado)]
    assert my_emails and all(dian.get(f"/dian/notificaciones/{n}").status_code == 404 for n in my_emails)


def test_the_operator_pages_refuse_without_the_token(home: Home, clients: Callable[..., httpx.Client]) -> None:
    radicado = complete_request(home, FixedClock(NOW), REQUEST_FORM, PASSWORD, PLATFORM_PASSWORD)
    client = clients()
    for path in ("/operador/solicitudes", f"/operador/solicitudes/{radicado}", "/operador/correos",
                 "/operador/correos/1", "/operador/certificados", f"/operador/solicitudes/{radicado}/documentos/1",
                 f"/operador/solicitudes?token={TOKEN}"):  # fmt: skip
        reply = client.get(path)
        assert reply.status_code == 401 and radicado not in reply.text, path
    token = csrf(client, "/operador")
    assert client.post("/operador/ingreso", data={"csrf": token, "token": TOKEN + "x"}).status_code == 401
    assert client.post("/operador/ingreso", data={"csrf": token, "token": TOKEN}).status_code == 303
    assert client.get(f"/operador/solicitudes/{radicado}").status_code == 200
    # A server with another token signs the operator out (the cookie proves the old token only).
    with serve(home, FixedClock(NOW), token="another-token-0123456789") as another:
        other = clients(another.url, cookies=dict(client.cookies))
        assert other.get("/operador/solicitudes").status_code == 401
    assert TOKEN not in client.cookies["minica_sesion"]


def test_the_session_cookie_is_httponly_samesite_strict_and_sign_in_is_rate_limited(
    clients: Callable[..., httpx.Client]
) -> None:
    client = clients()
    reply = client.get("/operador")
    cookie = reply.headers["set-cookie"]
    assert "HttpOnly" in cookie and "SameSite=strict" in cookie and "Path=/" in cookie
    assert "frame-ancestors 'none'" in reply.headers["content-security-policy"]
    assert reply.headers["cache-control"] == "no-store"
    token = csrf(client, "/operador")
    for _ in range(5):
        assert client.post("/operador/ingreso", data={"csrf": token, "token": "wrong-token"}).status_code == 401
    limited = client.post("/operador/ingreso", data={"csrf": token, "token": TOKEN})
    assert limited.status_code == 429 and "Demasiados intentos" in limited.text


def test_uploads_are_bounded_and_nothing_secret_reaches_the_log(
    home: Home, clients: Callable[..., httpx.Client], caplog: pytest.LogCaptureFixture
) -> None:
    radicado = complete_request(home, FixedClock(NOW), REQUEST_FORM, PASSWORD, PLATFORM_PASSWORD)
    process.reject(home, FixedClock(NOW), radicado, "RUT ilegible")
    client = clients()
    with caplog.at_level(logging.INFO, logger="minica.server"):
        token = csrf(client, "/plataforma")
        user = process.load(home, FixedClock(NOW), radicado)[1]["platform_user"]
        client.post("/plataforma/ingreso", data={"csrf": token, "radicado": radicado, "user": user,
                                                 "password": PLATFORM_PASSWORD})  # fmt: skip
        big = client.post("/plataforma/documentos", data={"csrf": token, "kind": "rut"},
                          files={"archivo": ("rut.pdf", b"%PDF-1.4\n" + b"0" * (2 * 1024 * 1024), "application/pdf")})
        assert big.status_code == 413
        not_pdf = client.post("/plataforma/documentos", data={"csrf": token, "kind": "rut"},
                              files={"archivo": ("rut.pdf", b"hola", "application/pdf")})
        assert not_pdf.status_code == 422 and "not a PDF" in not_pdf.text
    logged = caplog.text
    assert PLATFORM_PASSWORD not in logged and TOKEN not in logged and token not in logged


def test_adicionar_certificado_checks_the_keystore_and_never_keeps_its_password(
    home: Home, clock: FixedClock, clients: Callable[..., httpx.Client]
) -> None:
    nit = Nit.parse(REQUEST_FORM["nit"])
    good = issue_certificate(home, IssueRequest(nit, "ACME S.A.S.", profile="andes"), store_password=PASSWORD.encode(),
                             clock=clock)  # fmt: skip
    expired = issue_certificate(home, IssueRequest(nit, "ACME VENCIDO S.A.S.", not_before=NOW.replace(year=2024),
                                                   not_after=NOW.replace(year=2025)),
                                store_password=PASSWORD.encode(), clock=clock)  # fmt: skip
    other = issue_certificate(home, IssueRequest(Nit.parse(OTHER_FORM["nit"]), "OTRA S.A.S."),
                              store_password=PASSWORD.encode(), clock=clock)  # fmt: skip
    client = clients()
    accounts.register(home, NOW, nit=REQUEST_FORM["nit"], razon_social="ACME S.A.S.", email="a@acme.example.co",
                      password=DIAN_PASSWORD, confirmation=DIAN_PASSWORD)  # fmt: skip
    token = csrf(client)
    client.post("/dian/ingreso", data={"csrf": token, "nit": REQUEST_FORM["nit"], "password": DIAN_PASSWORD})

    def add(issued: Any, password: str = PASSWORD) -> Any:
        data = next(iter(issued.store_paths.values())).read_bytes()
        return client.post("/dian/certificados/adicionar", data={"csrf": token, "password": password,
                                                                  "descripcion": "Firma de facturas"},
                           files={"archivo": ("empresa.p12", data, "application/x-pkcs12")})  # fmt: skip

    assert add(good, "Otra#Clave1").status_code == 422
    assert "expired" in add(expired).text
    refused = add(other)
    assert refused.status_code == 422 and "not the company" in refused.text
    assert add(good).status_code == 303
    listed = client.get("/dian/certificados", params={"q": "firma de"}).text
    assert good.serial_hex in listed and "Firma de facturas" in listed and expired.serial_hex not in listed
    kept = b"".join(p.read_bytes() for p in (home.root / "dian").rglob("*") if p.is_file())
    assert PASSWORD.encode() not in kept and b"PRIVATE KEY" not in kept
