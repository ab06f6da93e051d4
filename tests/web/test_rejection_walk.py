"""A rejection in a real browser, and the reminders and expiry that follow as the clock moves: a
second and a third server on the same home at later fixed clocks (as ``minica serve --at`` would)."""

from __future__ import annotations

import datetime as dt

from support import NOW, PASSWORD, REQUEST_FORM
from web_support import TOKEN, Browser, complete_request, serve

from minica.ca.requests import platform
from minica.clock import FixedClock
from minica.storage.home import Home

PLATFORM_PASSWORD = "Plataforma#1"
REASON = "El RUT no está actualizado"


def test_a_rejection_brings_reminders_then_expiry_as_the_clock_moves(browser: Browser, home: Home,
                                                                   clock: FixedClock) -> None:
    radicado = complete_request(home, clock, REQUEST_FORM, PASSWORD, PLATFORM_PASSWORD)
    user = platform.platform_user(REQUEST_FORM["nit"].split("-")[0], radicado)

    # The operator rejects, with the reason.
    browser.go("/operador")
    browser.fill("#token", TOKEN)
    browser.submit("#ingresar")
    browser.go(f"/operador/solicitudes/{radicado}")
    browser.submit("#rechazar")
    assert "reason" in browser.text("#error")  # a rejection needs a reason: the page says so, nothing changes
    browser.fill("#reason", REASON)
    browser.submit("#rechazar")
    assert browser.text("#estado") == "Rechazada" and REASON in browser.text("#recordatorios")

    # The requester sees what to correct and until when; the form is open again.
    browser.go(f"/plataforma?radicado={radicado}")
    browser.fill_all({"user": user, "password": PLATFORM_PASSWORD})
    browser.submit("#ingresar")
    assert REASON in browser.text("#rechazo") and browser.all("#guardar-solicitante")

    # Eight days later (another server on the same home): the day-3 and day-7 reminders went out.
    with serve(home, FixedClock(NOW + dt.timedelta(days=8))) as later:
        browser.base = later.url  # the session cookie is the host's: still signed in
        browser.go("/operador/correos")
        kinds = [row.get_attribute("data-tipo") for row in browser.all("#correos tbody tr")]
        assert kinds[:2] == ["recordatorio_dia_7", "recordatorio_dia_3"], kinds
        browser.go(f"/operador/solicitudes/{radicado}")
        assert "(pendiente)" in browser.text("#recordatorios") and browser.text("#estado") == "Rechazada"

    # Sixteen days later: the day-13 warning, then the process expired; nothing can be done any more.
    with serve(home, FixedClock(NOW + dt.timedelta(days=16))) as much_later:
        browser.base = much_later.url
        browser.go("/plataforma/solicitud")
        assert browser.text("#estado") == "Caducada" and not browser.all("#guardar-solicitante")
        browser.go("/operador/correos")
        kinds = [row.get_attribute("data-tipo") for row in browser.all("#correos tbody tr")]
        assert kinds[:2] == ["caducada", "aviso_caducidad"], kinds
        browser.submit("#correos tr[data-tipo='caducada'] a")
        assert "caducó" in browser.text("#cuerpo") and radicado in browser.text("#cuerpo")
