"""The whole process in a real browser: the welcome e-mail's link → sign in → forced password change →
sections → uploads → Finalizar → the operator approves → the certificate is listed at DIAN."""

from __future__ import annotations

import hashlib
from pathlib import Path

import httpx2 as httpx
from cryptography import x509
from support import NOW, PASSWORD, REQUEST_FORM
from web_support import TOKEN, Browser, Served, temporary_password

from minica.ca.requests import process
from minica.ca.requests.pdf import simple_pdf
from minica.clock import FixedClock
from minica.dian.gratuita import accounts
from minica.storage.home import Home

DIAN_PASSWORD = "Empresa#2026"
NEW_PLATFORM_PASSWORD = "Plataforma#1"
KINDS = ("rut", "camara_comercio", "documento_identidad")


def sign_in_to_dian(browser: Browser, nit: str = REQUEST_FORM["nit"]) -> None:
    browser.go("/dian")
    browser.fill_all({"nit-ingreso": nit, "password-ingreso": DIAN_PASSWORD})
    browser.submit("#ingresar")


def sign_in_as_operator(browser: Browser, path: str = "/operador") -> None:
    browser.go(path)
    browser.fill("#token", TOKEN)
    browser.submit("#ingresar")


def test_from_the_welcome_link_to_an_issued_certificate_listed_at_dian(
    browser: Browser, site: Served, home: Home, clock: FixedClock, tmp_path: Path
) -> None:
    accounts.register(home, NOW, nit=REQUEST_FORM["nit"], razon_social=REQUEST_FORM["razon_social"],
                      email=REQUEST_FORM["email"], password=DIAN_PASSWORD, confirmation=DIAN_PASSWORD)  # fmt: skip
    filed = process.file_form(home, clock, REQUEST_FORM, PASSWORD, PASSWORD)

    # The welcome e-mail, read in DIAN's inbox, links to the platform on this server.
    sign_in_to_dian(browser)
    browser.submit("#menu-notificaciones")
    browser.submit("#bandeja tr[data-tipo='bienvenida'] a")
    body = browser.text("#cuerpo")
    assert filed.platform_user in body
    link = browser.find("#cuerpo a")
    assert link.get_attribute("href") == f"{site.url}/plataforma?radicado={filed.radicado}"
    temporary = temporary_password(body)
    browser.submit("#cuerpo a")

    # Sign in with the e-mail's user and temporary password: the change is forced first.
    assert browser.find("#radicado").get_attribute("value") == filed.radicado
    browser.fill_all({"user": filed.platform_user, "password": "Equivocada#1"})
    browser.submit("#ingresar")
    assert "incorrectos" in browser.text("#error")
    browser.fill_all({"user": filed.platform_user, "password": temporary})
    browser.submit("#ingresar")
    assert browser.path() == "/plataforma/cambio-contrasena" and browser.all("#cambio-obligatorio")
    browser.go("/plataforma/solicitud")  # nothing else is open before the change
    assert "Inicie sesión" in browser.text("h1")
    browser.go("/plataforma/cambio-contrasena")
    browser.fill_all({"current": temporary, "password": "corta", "password_confirmation": "corta"})
    browser.submit("#cambiar")
    assert "necesita" in browser.text("#error-password")
    browser.fill_all({"current": temporary, "password": NEW_PLATFORM_PASSWORD,
                      "password_confirmation": NEW_PLATFORM_PASSWORD})  # fmt: skip
    browser.submit("#cambiar")
    assert browser.text("#estado") == "En diligenciamiento" and "0 de 4" in browser.text("#avance")

    # Guardar sección, one by one, each ticked on the progress bar; a broken rule stays on its field.
    browser.fill("#form-solicitante #telefono_movil", "123")
    browser.submit("#guardar-solicitante")
    assert "Colombian mobile" in browser.text("#error-telefono_movil")
    browser.fill("#form-solicitante #telefono_movil", "315 555 0101")
    browser.submit("#guardar-solicitante")
    assert "1 de 4" in browser.text("#avance") and "hecho" in browser.find("#paso-solicitante").get_attribute("class")
    for name in ("empresa", "representante"):
        browser.submit(f"#guardar-{name}")
    assert "3 de 4" in browser.text("#avance")

    # Documents: PDFs of at most 1 MB, listed with their size and SHA-256.
    uploads = {}
    for kind in KINDS:
        path = tmp_path / f"{kind}.pdf"
        path.write_bytes(simple_pdf(f"Documento {kind}", [f"Contenido de {kind}."]))
        uploads[kind] = path
        browser.choose("#kind", kind)
        browser.find("#archivo").send_keys(str(path))
        browser.submit("#cargar")
    rows = [row.text for row in browser.all("#documentos tbody tr")]
    for kind, path in uploads.items():
        data = path.read_bytes()
        assert any(kind in row and hashlib.sha256(data).hexdigest() in row and f"{len(data):,}".replace(",", ".")
                   in row for row in rows), rows  # fmt: skip
    browser.submit("#guardar-documentos")
    assert "4 de 4" in browser.text("#avance")

    # Finalizar asks first, then locks the form: "Completo".
    browser.submit("#finalizar")
    assert "¿Finalizar" in browser.text("h1")
    browser.submit("#confirmar-finalizar")
    assert browser.text("#estado") == "Completo" and browser.all("#completo")
    assert not browser.all("#guardar-solicitante") and not browser.all("#cargar") and not browser.all("#finalizar")
    assert [e.text for e in browser.all("#historial td:nth-child(2)")][-1] == "finalizada"

    # The operator reviews and approves: the certificate is issued.
    sign_in_as_operator(browser)
    browser.go("/operador/solicitudes?estado=completa")
    assert [r.get_attribute("data-radicado") for r in browser.all("#solicitudes tbody tr")] == [filed.radicado]
    browser.submit(f"#solicitudes a[href='/operador/solicitudes/{filed.radicado}']")
    assert "315 555 0101" not in browser.text("#datos") and "3155550101" in browser.text("#datos")
    browser.submit("#aprobar")
    assert browser.text("#estado") == "Aprobada"
    serial = browser.text("#certificado")
    browser.submit("#certificado")
    assert browser.text("#estado") == "valid" and "habilitacion, produccion" in browser.text("#datos")
    with httpx.Client(base_url=site.url, cookies={"minica_sesion": browser.cookie()}, timeout=60) as http:
        leaf = x509.load_pem_x509_certificate(http.get(f"/operador/certificados/{serial}/certificado.pem").content)
        chain = x509.load_pem_x509_certificates(http.get(f"/operador/certificados/{serial}/cadena.pem").content)
    assert format(leaf.serial_number, "X") == serial and len(chain) == 3 and chain[0] == leaf

    # At DIAN (still signed in there): the certificate is in the company's table, the e-mail in its inbox.
    browser.go("/dian")
    browser.submit("#menu-certificado")
    row = browser.text("#certificados tbody tr")
    assert REQUEST_FORM["nit"] in row and serial in row and "emitido por MINICA" in row
    assert str(leaf.not_valid_after_utc.year) in row
    browser.submit("#menu-notificaciones")
    assert browser.all("#bandeja tr[data-tipo='emitido']")
