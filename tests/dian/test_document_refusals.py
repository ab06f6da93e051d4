"""What DIAN refuses in the ZIP and in the document (issue 12 §4), each with its own test: ZIP
pre-checks answer 89 with DIAN's kind of message; document rules answer 99 with ``Regla: …,
Rechazo: …`` and an ApplicationResponse with ResponseCode 04."""

from __future__ import annotations

import base64
import datetime as dt
import io
import struct
import zipfile
from collections.abc import Callable
from pathlib import Path

import pytest
from cryptography import x509
from dian_kit import DianSignature, answer, pem_pair, unsigned_document, zeep_client, zipped
from lxml import etree
from support import NOW, PASSWORD

from minica.ca import registry
from minica.ca.hierarchy import Authority
from minica.ca.issuance import IssueRequest, issue_certificate
from minica.clock import FixedClock
from minica.dian.registration import SoftwareRegistration
from minica.environment import Environment
from minica.identity import Nit
from minica.signing import namespaces as ns
from minica.signing.service import Signer
from minica.storage.home import Home
from minica.testing import MockCA


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


def _lying_sizes(name: str, data: bytes, declared: int) -> bytes:
    """A ZIP whose headers say its entry inflates to ``declared`` bytes, though it inflates to more."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr(name, data)
    content = bytearray(buffer.getvalue())
    struct.pack_into("<I", content, 22, declared)  # the local header's uncompressed size
    struct.pack_into("<I", content, content.index(b"PK\x01\x02") + 24, declared)  # the central directory's
    return bytes(content)


@pytest.mark.parametrize("content, message", [
    (b"", "No se encontró el archivo"),
    (b"not a zip at all", "no es un archivo ZIP"),
    (zipped(), "no contiene ningún archivo XML"),
    (zipped(("leame.txt", b"hola")), "no contiene ningún archivo XML"),
    (zipped(("a.xml", b"<a/>"), ("b.xml", b"<b/>")), "esta operación recibe uno solo"),
    (zipped(("bomba.xml", b"<a>" + b" " * 4_000_000 + b"</a>")), "ZIP bomb"),
    (_lying_sizes("bomba.xml", b"<a>" + b" " * 100_000 + b"</a>", 100), "del ZIP está dañado"),
], ids=["no-file", "not-a-zip", "empty-zip", "no-xml", "two-xml-to-sync", "zip-bomb", "bomb-lying-sizes"])
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


def _signed_by(store: Path, data: bytes, at: dt.datetime, anchors: list[x509.Certificate]) -> bytes:
    return Signer.from_keystore(store, PASSWORD.encode(), trust=anchors).sign(data, signing_time=at)


def test_a_document_signed_by_another_cas_certificate_is_rejected_by_zd05(  # type: ignore[no-untyped-def]
        client, registration: SoftwareRegistration) -> None:
    other = MockCA(now=NOW).issue("900373987-9", "MINICA PRUEBAS S.A.S.")
    result = _sync(client, zipped(("fv.xml", other.sign(unsigned_document(registration), at=NOW))))
    assert "ZE02" not in [e.split(",")[0].removeprefix("Regla: ") for e in result.errors]  # intact, but untrusted
    _rejected(result, "ZD05")


def test_a_document_signed_by_a_certificate_expired_since_is_rejected_by_zd07(  # type: ignore[no-untyped-def]
        serve, signer: Signer, registration: SoftwareRegistration, home: Home, clock: FixedClock,
        authority: Authority) -> None:
    """Signed while its certificate was valid, received by DIAN (a server two hours later) after it expired."""
    brief = issue_certificate(home, IssueRequest(Nit.parse("900373987-9"), "MINICA PRUEBAS S.A.S.",
                                                 not_before=NOW, not_after=NOW + dt.timedelta(hours=1)),
                              store_password=PASSWORD.encode(), clock=clock)
    signed = _signed_by(brief.store_paths[Environment.HABILITACION], unsigned_document(registration), NOW,
                        [authority.root])
    later = NOW + dt.timedelta(hours=2)
    served = serve(clock=FixedClock(later))
    client = zeep_client(served, DianSignature(*pem_pair(signer), (later, later + dt.timedelta(minutes=5))))
    assert "expired" in _rejected(_sync(client, zipped(("fv.xml", signed))), "ZD07")


def test_a_document_signed_by_a_certificate_revoked_since_is_rejected_by_zd04(  # type: ignore[no-untyped-def]
        client, registration: SoftwareRegistration, home: Home, clock: FixedClock, authority: Authority) -> None:
    second = issue_certificate(home, IssueRequest(Nit.parse("900373987-9"), "MINICA PRUEBAS S.A.S."),
                               store_password=PASSWORD.encode(), clock=clock)
    signed = _signed_by(second.store_paths[Environment.HABILITACION], unsigned_document(registration), NOW,
                        [authority.root])
    registry.revoke(home, second.serial_hex, registry.RevocationReason.KEY_COMPROMISE, now=NOW)
    _rejected(_sync(client, zipped(("fv.xml", signed))), "ZD04")
