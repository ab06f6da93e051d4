"""What DIAN refuses in the ZIP and in the document (issue 12 §4), each with its own test: ZIP
pre-checks answer 89 with DIAN's kind of message; document rules answer 99 with ``Regla: …,
Rechazo: …`` and an ApplicationResponse with ResponseCode 04."""

from __future__ import annotations

import base64
from collections.abc import Callable

import pytest
from dian_kit import answer, unsigned_document, zipped
from lxml import etree

from minica.dian.registration import SoftwareRegistration
from minica.signing import namespaces as ns


def _sync(client, content: bytes):  # type: ignore[no-untyped-def]
    return answer(client.service.SendBillSync(fileName="z.zip", contentFile=content))


def _rejected(result, rule: str) -> str:  # type: ignore[no-untyped-def]
    assert (result.status_code, result.is_valid) == ("99", False)
    lines = [e for e in result.errors if e.startswith(f"Regla: {rule}, Rechazo: ")]
    assert lines, result.errors
    root = etree.fromstring(result.application_response)
    assert root.findtext(f".//{{{ns.CAC}}}DocumentResponse/{{{ns.CAC}}}Response/{{{ns.CBC}}}ResponseCode") == "04"
    codes = [e.text for e in root.iterfind(f".//{{{ns.CAC}}}LineResponse/{{{ns.CAC}}}Response/{{{ns.CBC}}}"
                                           "ResponseCode")]
    assert rule in codes
    return str(lines[0])


@pytest.mark.parametrize("content, message", [
    (b"", "No se encontró el archivo"),
    (b"not a zip at all", "no es un archivo ZIP"),
    (zipped(("leame.txt", b"hola")), "no contiene ningún archivo XML"),
    (zipped(("a.xml", b"<a/>"), ("b.xml", b"<b/>")), "esta operación recibe uno solo"),
    (zipped(("bomba.xml", b"<a>" + b" " * 4_000_000 + b"</a>")), "ZIP bomb"),
], ids=["no-file", "not-a-zip", "no-xml", "two-xml-to-sync", "zip-bomb"])
def test_zip_prechecks_answer_89(client, content: bytes, message: str) -> None:  # type: ignore[no-untyped-def]
    result = _sync(client, content)
    assert (result.status_code, result.is_valid, result.application_response) == ("89", False, None)
    assert any(message in e for e in result.errors), result.errors


def test_a_produccion_document_sent_to_habilitacion_is_rejected(client, registration: SoftwareRegistration,  # type: ignore[no-untyped-def]
                                                                sign: Callable[[bytes], bytes]) -> None:
    result = _sync(client, zipped(("fv.xml", sign(unsigned_document(registration, env="1")))))
    assert "ProfileExecutionID del documento es 1" in _rejected(result, "MINICA-AMBIENTE")


def test_a_wrong_cufe_is_rejected(client, registration: SoftwareRegistration,  # type: ignore[no-untyped-def]
                                  sign: Callable[[bytes], bytes]) -> None:
    tree = etree.fromstring(unsigned_document(registration))
    tree.find(f"{{{ns.CBC}}}UUID").text = "0" * 96
    result = _sync(client, zipped(("fv.xml", sign(etree.tostring(tree, xml_declaration=True, encoding="UTF-8")))))
    assert "Valor del CUFE no está calculado correctamente" in _rejected(result, "FAD06")


def test_a_wrong_cude_is_rejected(client, registration: SoftwareRegistration,  # type: ignore[no-untyped-def]
                                  sign: Callable[[bytes], bytes]) -> None:
    document = unsigned_document(registration, root="CreditNote", number="NC1")
    good = _sync(client, zipped(("nc.xml", sign(document))))
    assert (good.status_code, good.errors) == ("00", [])
    tree = etree.fromstring(unsigned_document(registration, root="CreditNote", number="NC2"))
    tree.find(f"{{{ns.CBC}}}UUID").text = "1" * 96
    result = _sync(client, zipped(("nc.xml", sign(etree.tostring(tree, xml_declaration=True, encoding="UTF-8")))))
    assert "CUDE" in _rejected(result, "CAD06")


@pytest.mark.parametrize("number, rule", [("SETP995000001", "MINICA-RANGO"), ("SETT990000001", "MINICA-PREFIJO")])
def test_a_number_outside_the_range_is_rejected(client, registration: SoftwareRegistration,  # type: ignore[no-untyped-def]
                                                sign: Callable[[bytes], bytes], number: str, rule: str) -> None:
    result = _sync(client, zipped(("fv.xml", sign(unsigned_document(registration, number=number)))))
    assert number in _rejected(result, rule)


def test_the_same_document_twice_is_refused_as_processed_before(client, registration: SoftwareRegistration,  # type: ignore[no-untyped-def]
                                                                sign: Callable[[bytes], bytes]) -> None:
    content = zipped(("fv.xml", sign(unsigned_document(registration))))
    first = _sync(client, content)
    assert first.status_code == "00"
    second = _sync(client, content)
    assert "Documento procesado anteriormente." in _rejected(second, "90")
    assert second.key == first.key


def test_a_tampered_amount_is_rejected_by_ze02(client, registration: SoftwareRegistration,  # type: ignore[no-untyped-def]
                                               sign: Callable[[bytes], bytes]) -> None:
    signed = sign(unsigned_document(registration))
    payable = etree.fromstring(signed).findtext(f".//{{{ns.CBC}}}PayableAmount")
    tampered = signed.replace(f">{payable}</cbc:PayableAmount>".encode(), b">1.00</cbc:PayableAmount>")
    assert tampered != signed
    _rejected(_sync(client, zipped(("fv.xml", tampered))), "ZE02")


def test_an_unsigned_document_is_rejected(client, registration: SoftwareRegistration) -> None:  # type: ignore[no-untyped-def]
    result = _sync(client, zipped(("fv.xml", unsigned_document(registration))))
    assert result.status_code == "99" and result.errors


def test_xml_that_is_not_a_dian_document_is_zb01(client) -> None:  # type: ignore[no-untyped-def]
    result = _sync(client, zipped(("fv.xml", b"<?xml version='1.0'?><Factura/>")))
    assert result.status_code == "99"
    assert result.errors[0].startswith("Regla: ZB01, Rechazo: ")


def test_base64_of_the_answer_is_the_application_response(client, registration: SoftwareRegistration,  # type: ignore[no-untyped-def]
                                                          sign: Callable[[bytes], bytes]) -> None:
    result = _sync(client, zipped(("fv.xml", sign(unsigned_document(registration)))))
    assert result.application_response.startswith(b"<?xml")
    assert base64.b64encode(result.application_response)
