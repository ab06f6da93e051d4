"""Every mocked operation through zeep built from the mock's WSDL (issue 12 §1), and the WSDL itself."""

from __future__ import annotations

import base64
from collections.abc import Callable

import pytest
import requests
import zeep.exceptions
from dian_kit import Served, answer, unsigned_document, zipped
from lxml import etree
from support import NOW

from minica.dian.generator import generate_nomina
from minica.dian.registration import SoftwareRegistration
from minica.signing import namespaces as ns
from minica.signing.cufe import document_key, software_security_code


def test_the_wsdl_names_the_mocks_own_url(served: Served) -> None:
    for environment in ("habilitacion", "produccion"):
        reply = requests.get(served.endpoint(environment) + "?wsdl", timeout=30)
        assert reply.status_code == 200
        address = etree.fromstring(reply.content).find(".//{http://schemas.xmlsoap.org/wsdl/soap12/}address")
        assert address.get("location") == served.endpoint(environment)
    assert requests.get(served.base + "/dian/pruebas/WcfDianCustomerServices.svc?wsdl", timeout=30).status_code == 404


def test_get_numbering_range_returns_the_registration(client, registration: SoftwareRegistration) -> None:  # type: ignore[no-untyped-def]
    result = client.service.GetNumberingRange(accountCode="900373987", accountCodeT="830095213",
                                              softwareCode=registration.software_id)
    assert result.OperationCode == "100"
    (found,) = result.ResponseList.NumberRangeResponse
    numbering = registration.numbering
    assert (found.Prefix, found.FromNumber, found.ToNumber) == ("SETP", 990000000, 995000000)
    assert (found.ResolutionNumber, found.TechnicalKey) == (numbering.resolution_number, numbering.technical_key)
    assert found.ValidDateFrom == numbering.valid_from.isoformat()
    wrong = client.service.GetNumberingRange(accountCode="900373987", accountCodeT="1",
                                             softwareCode=registration.software_id)
    assert wrong.OperationCode != "100" and not wrong.ResponseList


def test_get_status_and_get_xml_by_document_key_find_what_was_sent(client, registration: SoftwareRegistration,  # type: ignore[no-untyped-def]
                                                                   sign: Callable[[bytes], bytes]) -> None:
    signed = sign(unsigned_document(registration))
    sent = answer(client.service.SendBillSync(fileName="z.zip", contentFile=zipped(("fv.xml", signed))))
    status = answer(client.service.GetStatus(trackId=sent.key))
    assert (status.status_code, status.is_valid, status.key) == ("00", True, sent.key)
    assert status.application_response == sent.application_response
    xml = client.service.GetXmlByDocumentKey(trackId=sent.key)
    assert xml.Code == "100" and base64.b64decode(xml.XmlBytesBase64) == signed
    assert answer(client.service.GetStatus(trackId="f" * 96)).status_code == "66"
    assert answer(client.service.GetStatus(trackId="abc")).status_code == "89"
    assert client.service.GetXmlByDocumentKey(trackId="f" * 96).Code == "404"


def test_send_nomina_sync_checks_the_cune(client, registration: SoftwareRegistration,  # type: ignore[no-untyped-def]
                                          sign: Callable[[bytes], bytes]) -> None:
    nomina = sign(generate_nomina(registration, "NOM1", NOW))
    result = answer(client.service.SendNominaSync(contentFile=zipped(("ni.xml", nomina))))
    assert (result.status_code, result.errors) == ("00", [])
    reference = etree.fromstring(result.application_response).find(f".//{{{ns.CAC}}}DocumentReference/"
                                                                   f"{{{ns.CBC}}}UUID")
    assert reference.get("schemeName") == "CUNE-SHA384"
    invoice = sign(unsigned_document(registration))
    refused = answer(client.service.SendNominaSync(contentFile=zipped(("fv.xml", invoice))))
    assert refused.status_code == "99" and refused.errors[0].startswith("Regla: ZB01")


def test_send_event_update_status_takes_an_application_response(client, registration: SoftwareRegistration,  # type: ignore[no-untyped-def]
                                                                sign: Callable[[bytes], bytes]) -> None:
    from dian_kit import ROOT

    event = (ROOT / "testdata" / "applicationresponse-030-acuse.xml").read_bytes()
    tree = etree.fromstring(event)
    tree.find(f".//{{{ns.STS}}}SoftwareID").text = registration.software_id
    tree.find(f"{{{ns.CAC}}}SenderParty/{{{ns.CAC}}}PartyTaxScheme/{{{ns.CBC}}}CompanyID").text = "900373987"
    tree.find(f".//{{{ns.STS}}}SoftwareSecurityCode").text = software_security_code(
        registration.software_id, registration.pin, tree.findtext(f"{{{ns.CBC}}}ID"))
    tree.find(f"{{{ns.CBC}}}UUID").text = document_key(tree, software_pin=registration.pin).computed
    result = answer(client.service.SendEventUpdateStatus(contentFile=zipped((
        "ar.xml", sign(etree.tostring(tree, xml_declaration=True, encoding="UTF-8"))))))
    assert (result.status_code, result.errors) == ("00", [])
    assert result.application_response is not None


@pytest.mark.parametrize("operation, arguments", [
    ("SendBillAttachmentAsync", {"fileName": "a.zip", "contentFile": b"PK"}),
    ("GetStatusEvent", {"trackId": "f" * 96}),
    ("GetExchangeEmails", {}),
    ("GetDocIdentifierWithEvents", {"contributorCode": "900373987", "dateNumber": "20261122"}),
    ("GetReferenceNotes", {"trackId": "f" * 96}),
])
def test_operations_not_mocked_answer_a_fault(client, operation: str, arguments: dict[str, object]) -> None:  # type: ignore[no-untyped-def]
    """Every operation of DIAN's WSDL that minica does not mock: a SOAP Fault naming it."""
    with pytest.raises(zeep.exceptions.Fault, match=f"{operation} no está simulada"):
        client.service[operation](**arguments)


def test_the_wsdl_lists_the_mocked_operations_and_dians_others(client) -> None:  # type: ignore[no-untyped-def]
    mocked = {"SendBillSync", "SendBillAsync", "SendTestSetAsync", "GetStatus", "GetStatusZip", "GetNumberingRange",
              "GetXmlByDocumentKey", "SendEventUpdateStatus", "SendNominaSync"}
    offered = set(client.service._binding._operations)
    assert mocked <= offered and offered - mocked == {"SendBillAttachmentAsync", "GetStatusEvent", "GetExchangeEmails",
                                                      "GetDocIdentifierWithEvents", "GetReferenceNotes"}
