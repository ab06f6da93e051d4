"""The vendor's variant in a real browser: file for a client company, borrow the vendor's certificate
(the legal representative's data, the exoneration letter downloaded, signed and uploaded)."""

from __future__ import annotations

import datetime as dt
import sys
from pathlib import Path

import httpx2 as httpx
from support import NOW, PASSWORD, REQUEST_FORM
from web_support import Browser, Served, serve

from minica.ca.requests import vendor
from minica.clock import FixedClock
from minica.storage.home import Home

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "requests"))  # for ``pdf_samples``
from pdf_samples import signed_letter  # noqa: E402

REPRESENTATIVE = {key: REQUEST_FORM[key] for key in ("representante_nombres", "representante_apellidos",
                                                     "representante_tipo_documento",
                                                     "representante_numero_documento")}  # fmt: skip


def test_a_client_borrows_the_vendors_certificate_with_the_signed_letter(
    browser: Browser, site: Served, home: Home, clock: FixedClock, tmp_path: Path
) -> None:
    vendor.issue_vendor_certificate(home, clock, store_password=PASSWORD.encode())

    # The vendor files the client's request without the legal representative (it may wait).
    browser.go("/proveedor")
    browser.choose("#departamento", "11")
    browser.wait_option("#ciudad", "11001")
    browser.choose("#ciudad", "11001")
    browser.fill_all({key: REQUEST_FORM[key] for key in ("razon_social", "nit", "tipo_persona", "email",
                                                         "telefono_movil")})  # fmt: skip
    browser.fill_all({"password": PASSWORD, "password_confirmation": PASSWORD})
    browser.submit("#enviar-solicitud")
    assert browser.text("#estado") == "Pendiente de pago" and "1 año" in browser.text("main")
    radicado = browser.path().rsplit("/", 1)[-1]

    # The loan needs every field of the legal representative: each missing one is named.
    browser.submit("#prestamo-solicitar")
    marked = {e.get_attribute("id") for e in browser.all("#form-prestamo .error")}
    assert marked == {f"error-{key}" for key in REPRESENTATIVE}, marked
    browser.fill_all({k: v for k, v in REPRESENTATIVE.items()}, "#form-prestamo")
    browser.submit("#prestamo-solicitar")
    assert browser.text("#estado") == "Préstamo: falta la carta firmada"

    # The letter downloads as a PDF with the representative's data; unsigned, it is refused.
    with httpx.Client(base_url=site.url, cookies={"minica_sesion": browser.cookie()}, timeout=60) as http:
        reply = http.get(f"/proveedor/solicitudes/{radicado}/carta")
    assert reply.status_code == 200 and reply.content.startswith(b"%PDF-")
    unsigned, signed = tmp_path / "carta.pdf", tmp_path / "carta-firmada.pdf"
    unsigned.write_bytes(reply.content)
    signed.write_bytes(signed_letter(reply.content))
    browser.find("#archivo").send_keys(str(unsigned))
    browser.submit("#cargar-carta")
    assert "unsigned" in browser.text("#error") and browser.text("#estado") == "Préstamo: falta la carta firmada"

    browser.find("#archivo").send_keys(str(signed))
    browser.submit("#cargar-carta")
    assert browser.text("#estado") == "Préstamo activo" and browser.all("#siguiente-paso")
    start, end = browser.text("#prestamo-inicio"), browser.text("#prestamo-fin")
    assert start == NOW.strftime("%Y-%m-%d %H:%M") and end == (NOW + dt.timedelta(days=90)).strftime("%Y-%m-%d %H:%M")

    # A later upload (two days on, another server on the same home) is kept but moves nothing.
    with serve(home, FixedClock(NOW + dt.timedelta(days=2))) as later:
        browser.base = later.url
        browser.go(f"/proveedor/solicitudes/{radicado}")
        browser.find("#archivo").send_keys(str(signed))
        browser.submit("#cargar-carta")
        assert browser.text("#prestamo-inicio") == start and len(browser.all("#documentos tbody tr")) == 2
