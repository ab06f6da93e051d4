"""DIAN's request form in a real browser: every broken rule marked at once, then filed (radicado)."""

from __future__ import annotations

import re

from support import PASSWORD
from web_support import Browser

NIT = "900373987-9"
DIAN_PASSWORD = "Empresa#2026"
#: The rest of a valid form, as typed (the departamento and ciudad are chosen apart).
VALID = {"razon_social": "ACME COMERCIALIZADORA S.A.S.", "tipo_persona": "juridica",
         "email": "facturacion@acme.example.co", "telefono_movil": "310 123 4567",
         "representante_nombres": "María José", "representante_apellidos": "Pérez Gómez",
         "representante_numero_documento": "1020304050", "autoridad_certificacion": "andes",
         "password": PASSWORD, "password_confirmation": PASSWORD}


def register(browser: Browser, nit: str = NIT, name: str = "ACME COMERCIALIZADORA S.A.S.") -> None:
    browser.go("/dian")
    browser.fill_all({"nit": nit, "razon_social": name, "email": "facturacion@acme.example.co",
                      "password": DIAN_PASSWORD, "password_confirmation": DIAN_PASSWORD}, "#form-registro")
    browser.submit("#registrar")
    assert "Bienvenido" in browser.text("h1")


def test_the_form_marks_every_broken_rule_at_once_then_files_with_a_radicado(browser: Browser) -> None:
    register(browser)
    browser.submit("#menu-certificado")
    browser.submit("#solicitar")
    assert browser.find("#nit").get_attribute("value") == NIT  # the signed-in company's, read-only

    # A form breaking many rules: each one is named next to its field, all at once.
    browser.fill_all({"razon_social": "", "email": "no-es-un-correo", "telefono_movil": "12345",
                      "representante_tipo_documento": "CC", "representante_numero_documento": "0123",
                      "password": "debil", "password_confirmation": "otra"})
    browser.submit("#enviar-solicitud")
    marked = {e.get_attribute("id").removeprefix("error-") for e in browser.all(".campo .error")}
    assert marked >= {"razon_social", "departamento", "ciudad", "email", "telefono_movil", "representante_nombres",
                      "representante_apellidos", "representante_numero_documento", "autoridad_certificacion",
                      "password", "password_confirmation", "tipo_persona"}, marked  # fmt: skip
    assert "Es obligatorio" in browser.text("#error-razon_social")
    password_problem = browser.text("#error-password")
    assert "necesita una letra mayúscula" in password_problem and "necesita un número" in password_problem
    assert browser.find("#email").get_attribute("value") == "no-es-un-correo"  # what was typed stays
    assert browser.find("#password").get_attribute("value") == ""  # a password is never sent back
    assert "Mínimo 8 caracteres" in browser.text("#reglas-contrasena")

    # Departamento → municipio from DIVIPOLA (the page's script loads them), then a valid form.
    browser.choose("#departamento", "05")
    browser.wait_option("#ciudad", "05001")
    browser.choose("#ciudad", "05001")
    browser.fill_all(VALID)
    browser.submit("#enviar-solicitud")
    assert browser.text("h1") == "Su solicitud fue radicada"
    radicado = browser.text("#radicado")
    assert re.fullmatch(r"[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}", radicado)
    assert browser.text(".estado") == "Radicada"

    # The CA's welcome e-mail is in the company's notification inbox.
    browser.submit("#ir-bandeja")
    assert "Bienvenido a la plataforma" in browser.text("#bandeja tbody tr[data-tipo='bienvenida']")
