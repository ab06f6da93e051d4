"""SendBillSync through zeep built from the mock's WSDL: a valid invoice is accepted with DIAN's
signed ApplicationResponse (verified by xmlsec1 and ``minica verify``), and each refusal the issue
lists answers with its rule."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from pathlib import Path

from dian_kit import answer, unsigned_document, zipped
from lxml import etree
from support import NOW, Cli, xmlsec1_verify

from minica.ca.hierarchy import Authority
from minica.dian.registration import SoftwareRegistration
from minica.signing import namespaces as ns
from minica.storage.home import Home


def test_a_valid_invoice_is_accepted_with_dians_signed_application_response(
        client, registration: SoftwareRegistration, sign: Callable[[bytes], bytes], authority: Authority,
        home: Home, tmp_path: Path, run: Cli) -> None:  # type: ignore[no-untyped-def]
    signed = sign(unsigned_document(registration))
    result = answer(client.service.SendBillSync(fileName="z.zip", contentFile=zipped(("fv.xml", signed))))
    assert result.errors == [] and (result.status_code, result.is_valid) == ("00", True)
    assert result.raw.StatusDescription == "Procesado Correctamente."
    ar = result.application_response
    assert ar is not None
    root = etree.fromstring(ar)
    assert root.findtext(f".//{{{ns.CBC}}}ResponseCode") == "02"
    assert root.findtext(f"{{{ns.CBC}}}ProfileExecutionID") == "2"
    reference = root.find(f".//{{{ns.CAC}}}DocumentReference/{{{ns.CBC}}}UUID")
    assert reference.get("schemeName") == "CUFE-SHA384" and reference.text == result.key
    assert root.findtext(f"{{{ns.CAC}}}SenderParty/{{{ns.CAC}}}PartyTaxScheme/{{{ns.CBC}}}CompanyID") == "800197268"

    path = tmp_path / "ar.xml"
    path.write_bytes(ar)
    verified = run("--json", "verify", str(path))
    assert verified.exit_code == 0, verified.output
    trusted = tmp_path / "root.pem"
    trusted.write_bytes(home.root_cert_path.read_bytes())
    untrusted = tmp_path / "issuing.pem"
    untrusted.write_bytes(home.issuing_cert_path.read_bytes())
    outcome = xmlsec1_verify(path, trusted=trusted, untrusted=untrusted,
                             at=NOW.astimezone(dt.timezone.utc).strftime("%Y-%m-%d %H:%M:%S"))
    assert outcome.returncode == 0, outcome.stderr
