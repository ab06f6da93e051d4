"""The vendor's payment path over plain HTTP: the missing representative's fields named, the payment
recorded, the welcome e-mail sent; another browser cannot open the request."""

from __future__ import annotations

import re

import httpx2 as httpx
from support import PASSWORD, REQUEST_FORM
from web_support import Served

from minica.ca.requests import process
from minica.clock import FixedClock
from minica.storage.home import Home

REPRESENTATIVE = ("representante_nombres", "representante_apellidos", "representante_tipo_documento",
                  "representante_numero_documento", "autoridad_certificacion")  # fmt: skip


def _csrf(client: httpx.Client, path: str) -> str:
    match = re.search(r'name="csrf" value="([^"]+)"', client.get(path).text)
    assert match
    return match.group(1)


def test_the_vendor_pays_for_a_clients_certificate(site: Served, home: Home, clock: FixedClock) -> None:
    with httpx.Client(base_url=site.url, follow_redirects=False, timeout=60) as vendor, \
            httpx.Client(base_url=site.url, follow_redirects=False, timeout=60) as stranger:  # fmt: skip
        token = _csrf(vendor, "/proveedor")
        form = {k: v for k, v in REQUEST_FORM.items() if k not in REPRESENTATIVE}
        filed = vendor.post("/proveedor/solicitar", data={**form, "csrf": token, "password": PASSWORD,
                                                          "password_confirmation": PASSWORD})  # fmt: skip
        assert filed.status_code == 303
        page = filed.headers["location"]
        radicado = page.rsplit("/", 1)[-1]
        assert "Pendiente de pago" in vendor.get(page).text
        assert stranger.get(page).status_code == 404

        short = vendor.post(page + "/pago", data={"csrf": token, "reference": "PSE-1234", "amount_cop": "250.000"})
        assert short.status_code == 422
        assert {f"error-{k}" for k in REPRESENTATIVE} <= set(re.findall(r'id="(error-\w+)"', short.text))
        low = vendor.post(page + "/pago", data={"csrf": token, "reference": "PSE-1234", "amount_cop": "1000",
                                                **{k: REQUEST_FORM[k] for k in REPRESENTATIVE}})  # fmt: skip
        assert low.status_code == 409 and "does not cover" in low.text
        paid = vendor.post(page + "/pago", data={"csrf": token, "reference": "PSE-1234", "amount_cop": "250.000",
                                                 **{k: REQUEST_FORM[k] for k in REPRESENTATIVE}})  # fmt: skip
        assert paid.status_code == 303
        shown = vendor.get(page).text
        assert "Pago registrado: referencia PSE-1234" in shown and "Radicada" in shown
    _record, view = process.load(home, clock, radicado)
    assert view["status"] == "radicada" and [e["kind"] for e in view["emails"]] == ["pago_registrado", "bienvenida"]
