"""DIAN's habilitación portal page: the company's registered software (numbering range, technical
key, test-set counters) and each document the local DIAN received, with its rule results and
DIAN's ApplicationResponse. Documents arrive through the real SOAP endpoint (zeep, as in tests/dian)."""

from __future__ import annotations

import datetime as dt
import re
import sys
from pathlib import Path

import httpx2 as httpx
from support import NOW, PASSWORD, REQUEST_FORM
from web_support import Served

from minica.ca.hierarchy import Authority
from minica.ca.issuance import IssueRequest, issue_certificate
from minica.clock import FixedClock
from minica.dian.gratuita import accounts
from minica.dian.registration import RegistrationRequest, register_software
from minica.environment import Environment
from minica.identity import Nit
from minica.signing.service import Signer
from minica.storage.home import Home

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "dian"))  # for ``dian_kit``
from dian_kit import DianSignature, answer, pem_pair, unsigned_document, zeep_client, zipped  # noqa: E402

DIAN_PASSWORD = "Empresa#2026"


class _Endpoint:
    def __init__(self, base: str) -> None:
        self.base = base

    def endpoint(self, environment: str = "habilitacion") -> str:
        return f"{self.base}/dian/{environment}/WcfDianCustomerServices.svc"


def test_the_portal_shows_software_counters_and_each_received_document(
    site: Served, home: Home, clock: FixedClock, authority: Authority
) -> None:
    nit = Nit.parse(REQUEST_FORM["nit"])
    company = issue_certificate(home, IssueRequest(nit, "ACME S.A.S."), store_password=PASSWORD.encode(), clock=clock)
    registration = register_software(home, clock, RegistrationRequest(nit, pin="12345",
                                                                      provider_nit=Nit.parse("830095213")))  # fmt: skip
    signer = Signer.from_keystore(company.store_paths[Environment.HABILITACION], PASSWORD.encode(),
                                  trust=[authority.root])  # fmt: skip
    stamp = (NOW - dt.timedelta(seconds=5), NOW + dt.timedelta(minutes=5))
    client = zeep_client(_Endpoint(site.url), DianSignature(*pem_pair(signer), stamp))  # type: ignore[arg-type]
    signed = signer.sign(unsigned_document(registration), signing_time=NOW)
    accepted = answer(client.service.SendBillSync(fileName="a.zip", contentFile=zipped(("fv.xml", signed))))
    outside = signer.sign(unsigned_document(registration, number="SETP999999999", fix_keys=True), signing_time=NOW)
    refused = answer(client.service.SendBillSync(fileName="b.zip", contentFile=zipped(("fv2.xml", outside))))
    assert accepted.is_valid and not refused.is_valid

    accounts.register(home, NOW, nit=nit.with_dv, razon_social="ACME S.A.S.", email="a@acme.example.co",
                      password=DIAN_PASSWORD, confirmation=DIAN_PASSWORD)  # fmt: skip
    with httpx.Client(base_url=site.url, follow_redirects=False, timeout=60) as http:
        assert http.get("/dian/habilitacion").status_code == 401
        token = re.search(r'name="csrf" value="([^"]+)"', http.get("/dian").text)
        assert token
        http.post("/dian/ingreso", data={"csrf": token.group(1), "nit": nit.with_dv, "password": DIAN_PASSWORD})
        portal = http.get("/dian/habilitacion").text
        assert registration.software_id in portal and registration.test_set_id in portal
        assert registration.numbering.technical_key in portal and registration.pin not in portal
        counters = re.search(r'data-tipo="invoices"><td>Facturas</td><td>(\d+)</td><td>(\d+)</td><td>(\d+)</td>',
                             portal)  # fmt: skip
        required = registration.quota.to_json()["invoices"]
        assert counters and counters.groups() == (str(required), "0", "0"), counters  # SendBillSync is no test set
        numbers = re.findall(r'href="/dian/habilitacion/documentos/(\d+)"', portal)
        assert len(numbers) == 2
        pages = [http.get(f"/dian/habilitacion/documentos/{n}").text for n in numbers]
        good = next(p for p in pages if accepted.key and accepted.key in p)
        assert "ApplicationResponse" in good and "Procesado Correctamente" in good
        bad = next(p for p in pages if p is not good)
        assert "Rechazo" in bad
        assert http.get("/dian/habilitacion/documentos/999").status_code == 404
