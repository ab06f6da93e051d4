"""What the walks leave out, in a real browser: the operator's filters, "Identidad no validada", a
certificate revoked from its page and its PEM downloads; DIAN's user menu (Datos del usuario, Cambio
de contraseña, Cerrar sesión) and the certificate table's paging; and, over plain HTTP, the sign-in
limit on DIAN's and the platform's sign-in as on the operator's."""

from __future__ import annotations

import re

import httpx2 as httpx
import pytest
from cryptography import x509
from support import NOW, PASSWORD, REQUEST_FORM
from web_support import TOKEN, Browser, Served, complete_request, welcome_password

from minica.ca import registry
from minica.ca.issuance import IssueRequest, issue_certificate
from minica.ca.requests import process
from minica.clock import FixedClock
from minica.dian.gratuita import accounts
from minica.identity import Nit
from minica.storage.home import Home

DIAN_PASSWORD = "Empresa#2026"
NEW_DIAN_PASSWORD = "Empresa#2027"
OTHER_FORM = {**REQUEST_FORM, "nit": "800197268-4", "razon_social": "OTRA EMPRESA S.A.S.",
              "email": "otra@otra.example.co"}  # fmt: skip


def _operator(browser: Browser) -> None:
    browser.go("/operador")
    browser.fill("#token", TOKEN)
    browser.submit("#ingresar")


def _listed(browser: Browser) -> list[str]:
    return [row.get_attribute("data-radicado") for row in browser.all("#solicitudes tbody tr[data-radicado]")]


def test_the_operator_filters_fails_an_identity_and_revokes_a_certificate(browser: Browser, site: Served,
                                                                          home: Home, clock: FixedClock) -> None:
    mine = complete_request(home, clock, REQUEST_FORM, PASSWORD, "Plataforma#1")  # finalized: under review
    other = process.file_form(home, clock, OTHER_FORM, PASSWORD, PASSWORD, channel="vendor")
    _operator(browser)

    # Filters by channel, by text, by status: the form's GET, its values kept on the page.
    browser.choose("#canal", "vendor")
    browser.submit("#filtrar")
    assert _listed(browser) == [other.radicado] and "canal=vendor" in browser.path()
    browser.choose("#canal", "")
    browser.fill("#q", "acme")
    browser.submit("#filtrar")
    assert _listed(browser) == [mine] and browser.find("#q").get_attribute("value") == "acme"
    browser.fill("#q", "")
    browser.choose("#estado", "identidad_fallida")
    browser.submit("#filtrar")
    assert _listed(browser) == []

    # Identity not validated: the request ends, and the e-mail that says so is readable in the outbox.
    browser.go(f"/operador/solicitudes/{mine}")
    browser.fill("#detail", "La cédula no coincide con el RUES")
    browser.submit("#identidad")
    assert browser.text("#estado") == "Identidad no validada"
    assert not browser.all("#aprobar") and not browser.all("#identidad")
    browser.go("/operador/solicitudes?estado=identidad_fallida")
    assert _listed(browser) == [mine]
    browser.go("/operador/correos")
    browser.submit("#correos tr[data-tipo='identidad_fallida'] a")
    assert mine in browser.text("#cuerpo")

    # A certificate from the list, revoked from its page with a reason; its PEMs download, for the operator only.
    issued = issue_certificate(home, IssueRequest(Nit.parse(REQUEST_FORM["nit"]), "ACME S.A.S."),
                               store_password=PASSWORD.encode(), clock=clock)
    browser.go("/operador/certificados")
    browser.submit(f"#certificados tr[data-serial='{issued.serial_hex}'] a")
    assert browser.text("#estado") == "valid"
    browser.choose("#reason", "keyCompromise")
    browser.submit("#revocar")
    assert browser.text("#estado") == "revoked" and "keyCompromise" in browser.text("#datos")
    assert not browser.all("#revocar")
    assert registry.get_certificate(home, issued.serial_hex).revocation_reason == "keyCompromise"
    pem = browser.find("#descargar-certificado").get_attribute("href")
    with httpx.Client(cookies={"minica_sesion": browser.cookie()}, timeout=60) as operator, \
            httpx.Client(timeout=60) as stranger:  # fmt: skip
        leaf = x509.load_pem_x509_certificate(operator.get(pem).content)
        assert format(leaf.serial_number, "X") == issued.serial_hex
        assert stranger.get(pem).status_code == 401


def test_dians_user_menu_and_the_certificate_tables_pages(browser: Browser, home: Home, clock: FixedClock) -> None:
    nit = Nit.parse(REQUEST_FORM["nit"])
    accounts.register(home, NOW, nit=nit.with_dv, razon_social=REQUEST_FORM["razon_social"],
                      email=REQUEST_FORM["email"], password=DIAN_PASSWORD, confirmation=DIAN_PASSWORD)  # fmt: skip
    serials = [issue_certificate(home, IssueRequest(nit, f"ACME {n:02d} S.A.S."), store_password=PASSWORD.encode(),
                                 clock=clock).serial_hex for n in range(11)]  # fmt: skip
    browser.go("/dian")
    browser.fill_all({"nit-ingreso": nit.with_dv, "password-ingreso": DIAN_PASSWORD})
    browser.submit("#ingresar")

    browser.submit("#menu-datos")
    data = browser.text("#datos-usuario")
    assert nit.with_dv in data and REQUEST_FORM["email"] in data and REQUEST_FORM["razon_social"] in data

    # Certificado digital: ten a page, the eleventh on the next one.
    browser.submit("#menu-certificado")
    assert "Página 1 de 2 · 11 certificado(s)" in browser.text("#paginas")
    first = {row.text.split()[-1] for row in browser.all("#certificados tbody tr")}
    browser.submit("#siguiente")
    second = {row.text.split()[-1] for row in browser.all("#certificados tbody tr")}
    assert "Página 2 de 2" in browser.text("#paginas") and len(first) == 10 and len(second) == 1
    assert first | second == set(serials)

    # Cambio de contraseña: the current one must be right and the new one follow the rules.
    browser.submit("#menu-contrasena")
    browser.fill_all({"current": "Equivocada#1", "password": NEW_DIAN_PASSWORD,
                      "password_confirmation": NEW_DIAN_PASSWORD})  # fmt: skip
    browser.submit("#cambiar")
    assert browser.text("#error") == "La contraseña actual no es correcta."
    browser.fill_all({"current": DIAN_PASSWORD, "password": "debil", "password_confirmation": "debil"})
    browser.submit("#cambiar")
    assert "necesita" in browser.text("#error-password")
    browser.fill_all({"current": DIAN_PASSWORD, "password": NEW_DIAN_PASSWORD,
                      "password_confirmation": NEW_DIAN_PASSWORD})  # fmt: skip
    browser.submit("#cambiar")
    assert "La contraseña fue cambiada." in browser.text("main")

    # Cerrar sesión: the menu's pages close; the old password no longer opens them, the new one does.
    browser.submit("#menu-salir")
    browser.go("/dian/usuario")
    assert not browser.all("#datos-usuario")
    browser.go("/dian")
    browser.fill_all({"nit-ingreso": nit.with_dv, "password-ingreso": DIAN_PASSWORD})
    browser.submit("#ingresar")
    assert not browser.all("#menu-datos")
    browser.fill_all({"nit-ingreso": nit.with_dv, "password-ingreso": NEW_DIAN_PASSWORD})
    browser.submit("#ingresar")
    assert browser.all("#menu-datos")


def _csrf(client: httpx.Client, path: str) -> str:
    match = re.search(r'name="csrf" value="([^"]+)"', client.get(path).text)
    assert match
    return match.group(1)


@pytest.mark.parametrize("area", ["dian", "plataforma"])
def test_sign_in_is_rate_limited_in_every_area(site: Served, home: Home, clock: FixedClock, area: str) -> None:
    """Five failures, then even the right password is refused (429) for a while, as at /operador."""
    accounts.register(home, NOW, nit=REQUEST_FORM["nit"], razon_social=REQUEST_FORM["razon_social"],
                      email=REQUEST_FORM["email"], password=DIAN_PASSWORD, confirmation=DIAN_PASSWORD)  # fmt: skip
    filed = process.file_form(home, clock, REQUEST_FORM, PASSWORD, PASSWORD)
    right = ({"nit": REQUEST_FORM["nit"], "password": DIAN_PASSWORD} if area == "dian" else
             {"radicado": filed.radicado, "user": filed.platform_user,
              "password": welcome_password(home, filed.radicado)})  # fmt: skip
    with httpx.Client(base_url=site.url, follow_redirects=False, timeout=60) as client:
        token = _csrf(client, f"/{area}")
        for _ in range(5):
            wrong = client.post(f"/{area}/ingreso", data={**right, "password": "Equivocada#1", "csrf": token})
            assert wrong.status_code in (401, 403), wrong.status_code
        limited = client.post(f"/{area}/ingreso", data={**right, "csrf": token})
        assert limited.status_code == 429 and "Demasiados intentos" in limited.text


def test_adicionar_certificado_refuses_another_cas_and_an_encipherment_only_keystore(
    site: Served, home: Home, clock: FixedClock
) -> None:
    """The chain and key-usage checks of "Adicionar certificado" (validity, NIT and password: test_pages_security)."""
    from minica.testing import MockCA

    nit = Nit.parse(REQUEST_FORM["nit"])
    encipherment = issue_certificate(home, IssueRequest(nit, "ACME S.A.S.", key_usage="encipherment"),
                                     store_password=PASSWORD.encode(), clock=clock)
    stranger = MockCA(now=NOW).issue(nit.with_dv, "ACME S.A.S.").pkcs12(PASSWORD.encode())
    accounts.register(home, NOW, nit=nit.with_dv, razon_social="ACME S.A.S.", email="a@acme.example.co",
                      password=DIAN_PASSWORD, confirmation=DIAN_PASSWORD)  # fmt: skip
    with httpx.Client(base_url=site.url, follow_redirects=False, timeout=60) as client:
        token = _csrf(client, "/dian")
        assert client.post("/dian/ingreso", data={"csrf": token, "nit": nit.with_dv,
                                                   "password": DIAN_PASSWORD}).status_code == 303  # fmt: skip

        def add(data: bytes) -> httpx.Response:
            return client.post("/dian/certificados/adicionar", data={"csrf": token, "password": PASSWORD,
                                                                      "descripcion": "Firma"},
                               files={"archivo": ("empresa.p12", data, "application/x-pkcs12")})  # fmt: skip

        other_ca = add(stranger)
        assert other_ca.status_code == 422 and "chain" in other_ca.text, other_ca.text[-600:]
        ciphering = add(next(iter(encipherment.store_paths.values())).read_bytes())
        assert ciphering.status_code == 422 and "usage" in ciphering.text.lower(), ciphering.text[-600:]
        assert "No hay certificados" in client.get("/dian/certificados", params={"q": "firma"}).text
