#!/usr/bin/env python3
"""Take the screenshots of the web pages shown in README ("The web pages") into docs/web-*.png.

Runs ``minica serve``'s app over a fresh temporary home at a fixed instant (22 Nov 2026, 09:00 in
Bogotá), walks the pages in Debian's headless Chromium (as the tests in tests/web do) and saves a
full-page PNG of each main page. Needs the test environment: ./scripts/test.sh installs it.

    .venv/bin/python scripts/screenshots.py [--out docs]
"""

from __future__ import annotations

import argparse
import base64
import datetime as dt
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT / "tests"), str(ROOT / "tests" / "web")]

from web_support import TOKEN, Browser, chromium, free_port, serve, welcome_password  # noqa: E402

from minica.ca.hierarchy import create_authority  # noqa: E402
from minica.ca.requests import process, vendor  # noqa: E402
from minica.ca.requests.pdf import simple_pdf  # noqa: E402
from minica.clock import COLOMBIA, FixedClock  # noqa: E402
from minica.dian.gratuita import accounts  # noqa: E402
from minica.dian.registration import RegistrationRequest, register_software  # noqa: E402
from minica.identity import Nit  # noqa: E402
from minica.storage.home import Home  # noqa: E402

NOW = dt.datetime(2026, 11, 22, 9, 0, tzinfo=COLOMBIA)
STORE_PASSWORD = "Factura#2026"
DIAN_PASSWORD = "Empresa#2026"
PLATFORM_PASSWORD = "Plataforma#1"
FORM = {
    "razon_social": "ACME COMERCIALIZADORA S.A.S.", "nit": "900373987-9", "tipo_persona": "juridica",
    "departamento": "05", "ciudad": "05001", "email": "facturacion@acme.example.co",
    "telefono_movil": "310 123 4567", "representante_nombres": "María José",
    "representante_apellidos": "Pérez Gómez", "representante_tipo_documento": "CC",
    "representante_numero_documento": "1020304050", "autoridad_certificacion": "andes",
}  # fmt: skip


def shot(browser: Browser, out: Path, name: str) -> None:
    """A full-page PNG of what the browser shows (Chromium's DevTools capture beyond the viewport)."""
    size = browser.driver.execute_cdp_cmd("Page.getLayoutMetrics", {})["cssContentSize"]
    clip = {"x": 0, "y": 0, "width": 1280, "height": min(int(size["height"]), 6000), "scale": 1}
    picture = browser.driver.execute_cdp_cmd("Page.captureScreenshot", {"format": "png", "clip": clip,
                                                                        "captureBeyondViewport": True})  # fmt: skip
    (out / f"web-{name}.png").write_bytes(base64.b64decode(picture["data"]))
    print(f"docs/web-{name}.png")


def walk(browser: Browser, home: Home, clock: FixedClock, out: Path, scratch: Path) -> None:
    accounts.register(home, NOW, nit=FORM["nit"], razon_social=FORM["razon_social"], email=FORM["email"],
                      password=DIAN_PASSWORD, confirmation=DIAN_PASSWORD)  # fmt: skip
    # DIAN: the request form with its problems marked, then filed.
    browser.go("/dian")
    browser.fill_all({"nit-ingreso": FORM["nit"], "password-ingreso": DIAN_PASSWORD})
    browser.submit("#ingresar")
    browser.go("/dian/certificados/solicitar")
    browser.fill_all({"email": "facturacion@", "telefono_movil": "12345", "password": "debil",
                      "password_confirmation": "debil"})  # fmt: skip
    browser.submit("#enviar-solicitud")
    shot(browser, out, "dian-formulario")
    browser.choose("#departamento", "05")
    browser.wait_option("#ciudad", "05001")
    browser.fill_all({k: v for k, v in FORM.items() if k != "nit"})
    browser.fill_all({"password": STORE_PASSWORD, "password_confirmation": STORE_PASSWORD})
    browser.submit("#enviar-solicitud")
    shot(browser, out, "dian-radicada")
    radicado = browser.text("#radicado")
    browser.go("/dian/notificaciones")
    shot(browser, out, "dian-bandeja")

    # The CA's platform: forced change, sections, uploads.
    user = process.summary(home, clock, radicado)["nit"].split("-")[0] + "-" + radicado.split("-")[0]
    browser.go(f"/plataforma?radicado={radicado}")
    browser.fill_all({"user": user, "password": welcome_password(home, radicado)})
    browser.submit("#ingresar")
    shot(browser, out, "plataforma-cambio")
    browser.fill_all({"current": welcome_password(home, radicado), "password": PLATFORM_PASSWORD,
                      "password_confirmation": PLATFORM_PASSWORD})  # fmt: skip
    browser.submit("#cambiar")
    for name in ("solicitante", "empresa"):
        browser.submit(f"#guardar-{name}")
    pdf = scratch / "rut.pdf"
    pdf.write_bytes(simple_pdf("RUT", ["Registro Único Tributario de prueba."]))
    browser.choose("#kind", "rut")
    browser.find("#archivo").send_keys(str(pdf))
    browser.submit("#cargar")
    shot(browser, out, "plataforma-secciones")
    data = simple_pdf("Documento", ["Documento de prueba."])
    for kind in ("camara_comercio", "documento_identidad"):
        process.attach_data(home, clock, radicado, kind, f"{kind}.pdf", data)
    for name in ("representante", "documentos"):
        process.save_section(home, clock, radicado, name)
    browser.go("/plataforma/finalizar")
    browser.submit("#confirmar-finalizar")
    shot(browser, out, "plataforma-completo")

    # The operator: the list, one request, approval, the certificate.
    browser.go("/operador")
    browser.fill("#token", TOKEN)
    browser.submit("#ingresar")
    shot(browser, out, "operador-solicitudes")
    browser.go(f"/operador/solicitudes/{radicado}")
    shot(browser, out, "operador-solicitud")
    browser.submit("#aprobar")
    browser.submit("#certificado")
    shot(browser, out, "operador-certificado")
    browser.go("/dian/certificados")
    shot(browser, out, "dian-certificados")

    # The vendor's loan, and DIAN's habilitación portal.
    vendor.issue_vendor_certificate(home, clock, store_password=STORE_PASSWORD.encode())
    browser.go("/proveedor")
    browser.choose("#departamento", "11")
    browser.wait_option("#ciudad", "11001")
    browser.fill_all({"razon_social": "OTRO CLIENTE S.A.S.", "nit": "830095213-0", "tipo_persona": "juridica",
                      "ciudad": "11001", "email": "compras@otro.example.co", "telefono_movil": "3001234567",
                      "password": STORE_PASSWORD, "password_confirmation": STORE_PASSWORD})  # fmt: skip
    browser.submit("#enviar-solicitud")
    shot(browser, out, "proveedor-solicitud")
    register_software(home, clock, RegistrationRequest(Nit.parse(FORM["nit"]), pin="12345",
                                                       provider_nit=Nit.parse("830095213")))  # fmt: skip
    browser.go("/dian/habilitacion")
    shot(browser, out, "dian-habilitacion")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=ROOT / "docs")
    out = parser.parse_args().out.resolve()
    out.mkdir(parents=True, exist_ok=True)
    clock = FixedClock(NOW)
    with tempfile.TemporaryDirectory() as folder:
        home = Home(Path(folder) / "home")
        port = free_port()
        create_authority(home, now=NOW, key_size=2048, base_url=f"http://127.0.0.1:{port}")
        with serve(home, clock, port=port) as served:
            driver = chromium(Path(folder) / "chromium-profile")
            try:
                walk(Browser(driver, served.url), home, clock, out, Path(folder))
            finally:
                driver.quit()


if __name__ == "__main__":
    main()
