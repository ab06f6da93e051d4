"""CUFE / CUDE / CUNE recomputation against the DIAN toolbox vectors (input string in cbc:Note)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from lxml import etree
from verify_kit import VECTORS

from minica.signing import cufe
from minica.signing.verifier import verify_document

CBC = "{urn:oasis:names:specification:ubl:schema:xsd:CommonBasicComponents-2}"
TECHNICAL_KEY = "fc8eac422eba16e22ffd8c6f94b3f40a6e38162c"
PIN = "20191"
UNSIGNED = Path("/work/shared/vectors/dian-unsigned")
AT = dt.datetime(2020, 6, 1, tzinfo=dt.timezone.utc)
#: DIAN edited these examples after computing the key: the note's issuer NIT is not the
#: document's supplier CompanyID (see tests/vectors/README.md).
NOTE_NIT, DOC_NIT = "900508908", "800197268"

CASES = [
    ("Kreo-one__dian-fe19-consumidor-final-invoice.xml", "CUFE", TECHNICAL_KEY, True),
    ("Kreo-one__dian-fe19-generica-invoice.xml", "CUFE", TECHNICAL_KEY, False),
    ("Kreo-one__dian-fe19-generica-pago-anticipado-invoice.xml", "CUFE", TECHNICAL_KEY, False),
    ("Kreo-one__dian-fe19-creditnote.xml", "CUDE", PIN, False),
    ("Kreo-one__dian-fe19-debitnote.xml", "CUDE", PIN, False),
]


def _root(name: str) -> etree._Element:
    return etree.fromstring((VECTORS / name).read_bytes())


@pytest.mark.parametrize("name,kind,secret,exact", CASES)
def test_toolbox_note_is_the_key_input(name: str, kind: str, secret: str, exact: bool) -> None:
    root = _root(name)
    note, uuid = root.findtext(CBC + "Note"), root.findtext(CBC + "UUID")
    assert cufe.sha384_hex(note) == uuid  # the vector itself is consistent
    kw = {"technical_key": secret} if kind == "CUFE" else {"software_pin": secret}
    key = cufe.document_key(root, **kw)
    assert key is not None and key.kind == kind and key.declared == uuid
    if exact:
        assert key.input == note and key.computed == uuid and key.matches
    else:
        assert key.input.replace(DOC_NIT, NOTE_NIT, 1).replace("15024.07", "14024.07") == note


def test_generica_note_shows_the_post_signing_edit() -> None:
    """The PARTIAL Generica vector: the note has ValTot 14024.07, the body 15024.07."""
    key = cufe.document_key(_root("Kreo-one__dian-fe19-generica-invoice.xml"), technical_key=TECHNICAL_KEY)
    assert key is not None and "15024.07" in key.input and not key.matches


def test_event_cude_note_matches_uuid_and_shape() -> None:
    root = etree.parse(str(UNSIGNED / "Kreo-one__dian-fe19-radian-030-acuse-applicationresponse.xml")).getroot()
    note = root.findtext(CBC + "Note")
    assert cufe.sha384_hex(note) == root.findtext(CBC + "UUID")
    key = cufe.document_key(root, software_pin=PIN)
    assert key is not None and key.inferred
    # Same fields and order; only the two NITs differ from the example's (unconfirmed XPaths).
    assert key.input.replace("900373979", "900373987").replace("900373972", "900373981") == note


def test_software_security_code_of_generica() -> None:
    root = _root("Kreo-one__dian-fe19-generica-invoice.xml")
    code = cufe.software_security_code("56f2ae4e-9812-4fad-9255-08fcfcd5ccb0", PIN, "SETP990000002")
    assert code == root.findtext(".//{dian:gov:co:facturaelectronica:Structures-2-1}SoftwareSecurityCode")


def test_cune_formula() -> None:
    doc = b"""<NominaIndividual xmlns="dian:gov:co:facturaelectronica:NominaIndividual">
      <NumeroSecuenciaXML Numero="NE00001"/>
      <InformacionGeneral FechaGen="2026-02-27" HoraGen="10:00:00-05:00" TipoXML="102" Ambiente="2"
         CUNE="x" EncripCUNE="CUNE-SHA384"/>
      <Empleador NIT="900373987"/><Trabajador NumeroDocumento="1020304050"/>
      <DevengadosTotal>3000000.009</DevengadosTotal><DeduccionesTotal>240000</DeduccionesTotal>
      <ComprobanteTotal>2760000.00</ComprobanteTotal></NominaIndividual>"""
    root = etree.fromstring(doc)
    expected = "NE000012026-02-2710:00:00-05:003000000.00240000.002760000.009003739871020304050102" + PIN + "2"
    key = cufe.document_key(root, software_pin=PIN)
    assert key is not None and key.kind == "CUNE" and key.input == expected
    root.find("{dian:gov:co:facturaelectronica:NominaIndividual}InformacionGeneral").set("CUNE", key.computed)
    assert cufe.document_key(root, software_pin=PIN).matches  # type: ignore[union-attr]


def test_verifier_reports_cufe_pass_and_skip() -> None:
    data = (VECTORS / "Kreo-one__dian-fe19-consumidor-final-invoice.xml").read_bytes()
    passed = verify_document(data, at=AT, technical_key=TECHNICAL_KEY)
    assert [c.status for c in passed.checks if c.rule == "MINICA-CUFE"] == ["pass"]
    skipped = verify_document(data, at=AT)
    assert [c.status for c in skipped.checks if c.rule == "MINICA-CUFE"] == ["skip"]


def test_verifier_reports_cude_mismatch_with_the_input_string() -> None:
    data = (VECTORS / "Kreo-one__dian-fe19-creditnote.xml").read_bytes()
    result = verify_document(data, at=AT, software_pin=PIN)
    [check] = [c for c in result.checks if c.rule == "MINICA-CUDE"]
    assert check.status == "fail" and DOC_NIT in check.message and "cbc:UUID" in check.message
    [ssc] = [c for c in result.checks if c.rule == "MINICA-SOFTWARE-SECURITY-CODE"]
    assert ssc.status == "pass"
