"""The document generator (issue 13 §1): generated invoices, notes and nómina are valid DIAN documents.

Once signed by minica's signer they pass every check of minica's verifier (CUFE / CUDE / CUNE and
software security code included), the local DIAN answers them StatusCode 00, and xmlsec1 and
signxml accept their signatures. Their keys,
sums and references are checked here independently, from the XML, with DIAN's formulas written
in this file (not minica's ``cufe.py``).
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Callable
from decimal import ROUND_DOWN, ROUND_HALF_UP, Decimal
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization
from lxml import etree
from support import NOW, xmlsec1_verify

from minica.ca.hierarchy import Authority
from minica.clock import COLOMBIA, FixedClock
from minica.dian.generator import (
    Employee,
    InvoiceReference,
    Issuer,
    Line,
    Party,
    generate,
    generate_credit_note,
    generate_debit_note,
    generate_invoice,
    generate_nomina,
    parse_kind,
)
from minica.dian.registration import (
    NumberingRange,
    RegistrationRequest,
    SoftwareRegistration,
    load_registration,
    register_software,
)
from minica.dian.validation import Validator
from minica.environment import Environment
from minica.errors import InvalidInput, InvalidNit
from minica.identity import DocumentType, Nit, PersonType
from minica.signing.document import DocumentKind
from minica.storage.database import Database
from minica.storage.home import Home
from minica.testing import MockCA, MockCertificate

CBC = "urn:oasis:names:specification:ubl:schema:xsd:CommonBasicComponents-2"
CAC = "urn:oasis:names:specification:ubl:schema:xsd:CommonAggregateComponents-2"
STS = "dian:gov:co:facturaelectronica:Structures-2-1"
NOMINA = "dian:gov:co:facturaelectronica:NominaIndividual"
NS = {"cbc": CBC, "cac": CAC, "sts": STS, "n": NOMINA}
VECTORS = Path(__file__).resolve().parents[1] / "vectors" / "dian"

TECHNICAL_KEY = "fc8eac422eba16e22ffd8c6f94b3f40a6e38162c"  # DIAN's public habilitación test key
PIN = "12345"
SOFTWARE_ID = "5e1b7c1a-3f0e-4c59-9c5e-6f2d7a9b1c30"
RANGE = NumberingRange("SETP", 990000000, 995000000, "18760000001", dt.date(2026, 1, 1), dt.date(2026, 1, 1),
                       dt.date(2027, 12, 31), TECHNICAL_KEY)
ISSUER = Issuer(Party("900373987-9", "MINICA PRUEBAS S.A.S."), SOFTWARE_ID, PIN, RANGE,
                provider=Party("830095213-0", "PROVEEDOR DE SOFTWARE S.A.S."))
KINDS = ("invoice", "creditnote", "debitnote", "nomina")


# --- DIAN's formulas, written here from the Anexo técnico (concatenation, then SHA-384) ----------------

def _text(root: etree._Element, path: str) -> str:
    return (root.findtext(path, namespaces=NS) or "").strip()


def independent_ubl_key(data: bytes, secret: str) -> str:
    """CUFE (secret = technical key) or CUDE (secret = PIN): NumFac FecFac HorFac ValFac 01 ValImp1
    04 ValImp2 03 ValImp3 ValTot NitOFE NumAdq secret TipoAmbiente, amounts with two decimals."""
    root = etree.fromstring(data)
    totals = "cac:RequestedMonetaryTotal" if etree.QName(root).localname == "DebitNote" else "cac:LegalMonetaryTotal"
    taxes = {"01": Decimal(0), "04": Decimal(0), "03": Decimal(0)}
    for total in root.findall("cac:TaxTotal", NS):
        scheme = _text(total, "cac:TaxSubtotal/cac:TaxCategory/cac:TaxScheme/cbc:ID")
        if scheme in taxes:
            taxes[scheme] += Decimal(_text(total, "cbc:TaxAmount"))
    two = Decimal("0.01")
    text = (_text(root, "cbc:ID") + _text(root, "cbc:IssueDate") + _text(root, "cbc:IssueTime")
            + str(Decimal(_text(root, f"{totals}/cbc:LineExtensionAmount")).quantize(two))
            + "".join(code + str(taxes[code].quantize(two)) for code in ("01", "04", "03"))
            + str(Decimal(_text(root, f"{totals}/cbc:PayableAmount")).quantize(two))
            + _text(root, "cac:AccountingSupplierParty/cac:Party/cac:PartyTaxScheme/cbc:CompanyID")
            + _text(root, "cac:AccountingCustomerParty/cac:Party/cac:PartyTaxScheme/cbc:CompanyID")
            + secret + _text(root, "cbc:ProfileExecutionID"))
    return hashlib.sha384(text.encode("utf-8")).hexdigest()


def independent_cune(data: bytes, pin: str) -> str:
    """CUNE: NumNE FecNE HorNE ValDev ValDed ValTolNE NitNE DocEmp TipoXML PIN TipAmb (amounts
    truncated to two decimals)."""
    root = etree.fromstring(data)
    general = root.find("n:InformacionGeneral", NS)
    assert general is not None

    def amount(tag: str) -> str:
        return str(Decimal(_text(root, f"n:{tag}")).quantize(Decimal("0.01"), rounding=ROUND_DOWN))

    text = "".join([
        root.find("n:NumeroSecuenciaXML", NS).get("Numero"), general.get("FechaGen"), general.get("HoraGen"),
        amount("DevengadosTotal"), amount("DeduccionesTotal"), amount("ComprobanteTotal"),
        root.find("n:Empleador", NS).get("NIT"), root.find("n:Trabajador", NS).get("NumeroDocumento"),
        general.get("TipoXML"), pin, general.get("Ambiente"),
    ])  # fmt: skip
    return hashlib.sha384(text.encode("utf-8")).hexdigest()


def test_the_independent_formula_reproduces_dians_own_cufe() -> None:
    """The formula above is DIAN's: it gives the CUFE of DIAN's toolbox invoice Consumidor Final."""
    data = (VECTORS / "Kreo-one__dian-fe19-consumidor-final-invoice.xml").read_bytes()
    assert independent_ubl_key(data, TECHNICAL_KEY) == _text(etree.fromstring(data), "cbc:UUID")


# --- fixtures ------------------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def mock_ca() -> MockCA:
    return MockCA(now=NOW - dt.timedelta(days=1))


@pytest.fixture(scope="module")
def mock_company(mock_ca: MockCA) -> MockCertificate:
    return mock_ca.issue("900373987-9", "MINICA PRUEBAS S.A.S.", profile="andes")


@pytest.fixture(scope="module")
def invoice() -> bytes:
    return generate_invoice(ISSUER, "SETP990000001", NOW, lines=5)


@pytest.fixture(scope="module")
def documents(invoice: bytes) -> dict[str, bytes]:
    return {
        "invoice": invoice,
        "creditnote": generate_credit_note(ISSUER, "NC1", NOW + dt.timedelta(hours=2), invoice=invoice, lines=2),
        "debitnote": generate_debit_note(ISSUER, "ND1", NOW + dt.timedelta(hours=3), invoice=invoice, concept="1"),
        "nomina": generate_nomina(ISSUER, "NI1", NOW),
    }


@pytest.fixture(scope="module")
def signed(documents: dict[str, bytes], mock_company: MockCertificate) -> dict[str, bytes]:
    signer = mock_company.signer(environment="habilitacion")
    return {kind: signer.sign(data, signing_time=NOW + dt.timedelta(hours=4)) for kind, data in documents.items()}


# --- signed, they verify --------------------------------------------------------------------------------

@pytest.mark.parametrize("kind", KINDS)
def test_signed_document_passes_every_check_of_minicas_verifier(kind: str, signed: dict[str, bytes],
                                                                 mock_ca: MockCA) -> None:
    result = mock_ca.verify(signed[kind], at=NOW + dt.timedelta(hours=5), technical_key=TECHNICAL_KEY,
                       software_pin=PIN)
    assert [(c.rule, c.status, c.message) for c in result.checks if c.status != "pass"] == []
    assert result.valid and result.intact and result.signature_valid and result.trusted
    rules = {c.rule for c in result.checks}
    key_rule = {"invoice": "MINICA-CUFE", "nomina": "MINICA-CUNE"}.get(kind, "MINICA-CUDE")
    assert key_rule in rules
    if kind != "nomina":
        assert "MINICA-SOFTWARE-SECURITY-CODE" in rules


@pytest.mark.parametrize("kind", KINDS)
def test_xmlsec1_and_signxml_accept_the_signature(
    kind: str, signed: dict[str, bytes], documents: dict[str, bytes], mock_ca: MockCA, mock_company: MockCertificate,
    tmp_path: Path,
) -> None:
    import signxml  # a test dependency: an independent verifier

    document, root_pem, issuing_pem = tmp_path / "signed.xml", tmp_path / "root.pem", tmp_path / "issuing.pem"
    document.write_bytes(signed[kind])
    root_pem.write_bytes(mock_ca.root_pem)
    issuing_pem.write_bytes(mock_ca.issuing.public_bytes(serialization.Encoding.PEM))
    at = (NOW + dt.timedelta(hours=5)).astimezone(dt.timezone.utc).strftime("%Y-%m-%d %H:%M:%S")
    result = xmlsec1_verify(document, trusted=root_pem, untrusted=issuing_pem, at=at)
    assert result.returncode == 0 and "OK" in result.stderr, result.stderr
    assert "SignedInfo References (ok/all): 3/3" in result.stderr

    # signxml builds the path from KeyInfo alone: sign with the issuing CA's certificate in it.
    with_chain = mock_company.signer(environment="habilitacion").sign(documents[kind], signing_time=NOW,
                                                                  include_chain=True)
    config = signxml.SignatureConfiguration(expect_references=3, verification_time=NOW + dt.timedelta(hours=5))
    verified = signxml.XMLVerifier().verify(with_chain, ca_pem_file=str(root_pem), expect_config=config)
    assert len(verified) == 3


@pytest.mark.parametrize("kind", KINDS)
def test_the_local_dian_accepts_every_generated_document(kind: str, registration: SoftwareRegistration,
                                                         sign: Callable[[bytes], bytes], authority: Authority,
                                                         home: Home) -> None:
    """Signed with the company's stored certificate, each kind gets StatusCode 00 and no rule at all."""
    invoice = generate_invoice(registration, f"SETP{registration.numbering.from_number + 1}", NOW)
    data = {"invoice": lambda: invoice, "nomina": lambda: generate_nomina(registration, "NI1", NOW),
            "creditnote": lambda: generate_credit_note(registration, "NC1", NOW, invoice=invoice),
            "debitnote": lambda: generate_debit_note(registration, "ND1", NOW, invoice=invoice)}[kind]()
    validator = Validator(home, Environment.HABILITACION, NOW, [authority.root], [authority.issuing], None)
    with Database.open(home) as db:
        outcome = validator.validate(f"{kind}.xml", sign(data), sender_nit="900373987",
                                     kinds=frozenset(DocumentKind), conn=db.connection)
    assert (outcome.status_code, [rule.text for rule in outcome.rules]) == ("00", [])


def test_a_changed_amount_breaks_the_cufe_check(signed: dict[str, bytes], mock_ca: MockCA) -> None:
    """The verifier's CUFE check looks at what the generator wrote (not a rubber stamp)."""
    unsigned = generate_invoice(ISSUER, "SETP990000001", NOW, lines=5)
    tampered = unsigned.replace(b"<cbc:PayableAmount currencyID=\"COP\">", b"<cbc:PayableAmount currencyID=\"COP\">1")
    result = mock_ca.verify(tampered, at=NOW, technical_key=TECHNICAL_KEY, software_pin=PIN)
    assert any(c.rule == "MINICA-CUFE" and c.status == "fail" for c in result.checks)


# --- keys, codes, sums and references, checked from the XML ---------------------------------------------

@pytest.mark.parametrize("kind", KINDS)
def test_uuid_is_dians_key_recomputed_independently(kind: str, documents: dict[str, bytes]) -> None:
    data = documents[kind]
    root = etree.fromstring(data)
    if kind == "nomina":
        general = root.find("n:InformacionGeneral", NS)
        assert general.get("EncripCUNE") == "CUNE-SHA384"
        assert general.get("CUNE") == independent_cune(data, PIN)
        assert _text(root, "n:CodigoQR") == ("https://catalogo-vpfe-hab.dian.gov.co/document/searchqr?documentkey="
                                             + independent_cune(data, PIN))
        return
    expected = independent_ubl_key(data, TECHNICAL_KEY if kind == "invoice" else PIN)
    uuid = root.find("cbc:UUID", NS)
    assert uuid.text == expected
    assert uuid.get("schemeName") == ("CUFE-SHA384" if kind == "invoice" else "CUDE-SHA384")
    assert uuid.get("schemeID") == "2" == _text(root, "cbc:ProfileExecutionID")
    assert _text(root, ".//sts:QRCode") == (
        "https://catalogo-vpfe-hab.dian.gov.co/document/searchqr?documentkey=" + expected)


@pytest.mark.parametrize("kind", KINDS)
def test_software_security_code_is_sha384_of_software_id_pin_and_number(kind: str,
                                                                        documents: dict[str, bytes]) -> None:
    root = etree.fromstring(documents[kind])
    if kind == "nomina":
        provider = root.find("n:ProveedorXML", NS)
        number = root.find("n:NumeroSecuenciaXML", NS).get("Numero")
        assert (provider.get("SoftwareID"), provider.get("NIT"), provider.get("DV")) == (SOFTWARE_ID, "830095213", "0")
        assert provider.get("SoftwareSC") == hashlib.sha384((SOFTWARE_ID + PIN + number).encode()).hexdigest()
        return
    number = _text(root, "cbc:ID")
    assert _text(root, ".//sts:SoftwareID") == SOFTWARE_ID
    expected = hashlib.sha384((SOFTWARE_ID + PIN + number).encode()).hexdigest()
    assert _text(root, ".//sts:SoftwareSecurityCode") == expected
    provider = root.find(".//sts:SoftwareProvider/sts:ProviderID", NS)
    assert (provider.text, provider.get("schemeID"), provider.get("schemeName")) == ("830095213", "0", "31")


def _amount(element: etree._Element, path: str) -> Decimal:
    return Decimal(_text(element, path))


@pytest.mark.parametrize("kind", ["invoice", "creditnote", "debitnote"])
def test_lines_taxes_and_totals_add_up(kind: str) -> None:
    """Every line is quantity × price with its IVA; the IVA per rate and the totals are the sums."""
    invoice = generate_invoice(ISSUER, "SETP990000002", NOW, lines=2)
    lines = [Line("Servicio de soporte (hora)", Decimal("3.5"), Decimal("65000.33")),
             Line("Café, bolsa 500 g", Decimal(7), Decimal("18500.45"), Decimal(5)),
             Line("Libro exento", Decimal(1), Decimal("30000.00"), Decimal(0)),
             Line("Licencia mensual", Decimal("0.333333"), Decimal("89900.99"))]
    data = generate(parse_kind(kind), ISSUER, "SETP990000003" if kind == "invoice" else "N1", NOW, lines=lines,
                    invoice=None if kind == "invoice" else invoice)
    root = etree.fromstring(data)
    line_tag = {"invoice": "InvoiceLine", "creditnote": "CreditNoteLine", "debitnote": "DebitNoteLine"}[kind]
    quantity_tag = {"invoice": "InvoicedQuantity", "creditnote": "CreditedQuantity", "debitnote": "DebitedQuantity"}
    by_rate: dict[Decimal, list[Decimal]] = {}
    line_total = Decimal(0)
    nodes = root.findall(f"cac:{line_tag}", NS)
    assert len(nodes) == len(lines) == int(_text(root, "cbc:LineCountNumeric"))
    for node in nodes:
        amount = _amount(node, "cbc:LineExtensionAmount")
        price = _amount(node, "cac:Price/cbc:PriceAmount")
        assert amount == (_amount(node, f"cbc:{quantity_tag[kind]}") * price).quantize(Decimal("0.01"), ROUND_HALF_UP)
        percent = _amount(node, "cac:TaxTotal/cac:TaxSubtotal/cac:TaxCategory/cbc:Percent")
        tax = _amount(node, "cac:TaxTotal/cbc:TaxAmount")
        assert tax == _amount(node, "cac:TaxTotal/cac:TaxSubtotal/cbc:TaxAmount")
        assert tax == (amount * percent / 100).quantize(Decimal("0.01"), ROUND_HALF_UP)
        assert _amount(node, "cac:TaxTotal/cac:TaxSubtotal/cbc:TaxableAmount") == amount
        by_rate.setdefault(percent, []).append(amount)
        by_rate.setdefault(-percent - 1, []).append(tax)  # the taxes, kept beside the bases
        line_total += amount
    (tax_total,) = root.findall("cac:TaxTotal", NS)
    subtotals = tax_total.findall("cac:TaxSubtotal", NS)
    assert sorted(_amount(s, "cac:TaxCategory/cbc:Percent") for s in subtotals) == [0, 5, 19]
    for subtotal in subtotals:
        percent = _amount(subtotal, "cac:TaxCategory/cbc:Percent")
        assert _text(subtotal, "cac:TaxCategory/cac:TaxScheme/cbc:ID") == "01"
        assert _amount(subtotal, "cbc:TaxableAmount") == sum(by_rate[percent])
        assert _amount(subtotal, "cbc:TaxAmount") == sum(by_rate[-percent - 1])
        assert abs(_amount(subtotal, "cbc:TaxableAmount") * percent / 100 - _amount(subtotal, "cbc:TaxAmount")) \
            <= Decimal("0.01") * len(by_rate[percent])
    taxes = sum(_amount(s, "cbc:TaxAmount") for s in subtotals)
    assert _amount(tax_total, "cbc:TaxAmount") == taxes
    totals = root.find("cac:RequestedMonetaryTotal" if kind == "debitnote" else "cac:LegalMonetaryTotal", NS)
    assert _amount(totals, "cbc:LineExtensionAmount") == line_total
    assert _amount(totals, "cbc:TaxExclusiveAmount") == sum(_amount(s, "cbc:TaxableAmount") for s in subtotals)
    assert _amount(totals, "cbc:TaxInclusiveAmount") == line_total + taxes
    assert _amount(totals, "cbc:PayableAmount") == line_total + taxes


def test_nomina_totals_add_up() -> None:
    worker = Employee("1020304050", "ANDRÉS", "PÉREZ", "GÓMEZ", Decimal("1423500.00"),
                      transport_allowance=Decimal("200000.00"), hire_date=dt.date(2025, 3, 1))
    root = etree.fromstring(generate_nomina(ISSUER, "NI77", NOW, employee=worker))
    earned = Decimal(root.find("n:Devengados/n:Basico", NS).get("SueldoTrabajado")) \
        + Decimal(root.find("n:Devengados/n:Transporte", NS).get("AuxilioTransporte"))
    health = root.find("n:Deducciones/n:Salud", NS)
    pension = root.find("n:Deducciones/n:FondoPension", NS)
    assert Decimal(health.get("Deduccion")) == Decimal("1423500.00") * Decimal(health.get("Porcentaje")) / 100
    deducted = Decimal(health.get("Deduccion")) + Decimal(pension.get("Deduccion"))
    assert _amount(root, "n:DevengadosTotal") == earned == Decimal("1623500.00")
    assert _amount(root, "n:DeduccionesTotal") == deducted
    assert _amount(root, "n:ComprobanteTotal") == earned - deducted
    period = root.find("n:Periodo", NS)
    assert (period.get("FechaLiquidacionInicio"), period.get("FechaLiquidacionFin")) == ("2026-10-01", "2026-10-31")
    assert root.find("n:Trabajador", NS).get("NumeroDocumento") == "1020304050"
    assert root.find("n:Empleador", NS).get("NIT") == "900373987"


@pytest.mark.parametrize("kind", ["creditnote", "debitnote"])
def test_notes_reference_their_invoice(kind: str, documents: dict[str, bytes], invoice: bytes) -> None:
    original, note = etree.fromstring(invoice), etree.fromstring(documents[kind])
    reference = note.find("cac:BillingReference/cac:InvoiceDocumentReference", NS)
    assert _text(reference, "cbc:ID") == _text(original, "cbc:ID") == "SETP990000001"
    assert _text(reference, "cbc:UUID") == _text(original, "cbc:UUID")
    assert reference.find("cbc:UUID", NS).get("schemeName") == "CUFE-SHA384"
    assert _text(reference, "cbc:IssueDate") == _text(original, "cbc:IssueDate")
    assert _text(note, "cac:DiscrepancyResponse/cbc:ReferenceID") == "SETP990000001"
    assert _text(note, "cac:DiscrepancyResponse/cbc:ResponseCode") == "1"
    assert _text(note, "cac:DiscrepancyResponse/cbc:Description")
    assert note.find(".//sts:InvoiceControl", NS) is None  # the numbering range is the invoice's
    if kind == "creditnote":
        assert _text(note, "cbc:CreditNoteTypeCode") == "91"


def test_invoice_names_the_range_the_parties_and_the_environment(invoice: bytes) -> None:
    root = etree.fromstring(invoice)
    control = root.find(".//sts:InvoiceControl", NS)
    assert _text(control, "sts:InvoiceAuthorization") == "18760000001"
    assert (_text(control, "sts:AuthorizationPeriod/cbc:StartDate"),
            _text(control, "sts:AuthorizationPeriod/cbc:EndDate")) == ("2026-01-01", "2027-12-31")
    assert [_text(control, f"sts:AuthorizedInvoices/sts:{tag}") for tag in ("Prefix", "From", "To")] == \
        ["SETP", "990000000", "995000000"]
    for party, nit in (("AccountingSupplierParty", "900373987"), ("AccountingCustomerParty", "860001022")):
        for company_id in root.findall(f"cac:{party}/cac:Party/*/cbc:CompanyID", NS):
            assert company_id.text == nit
            assert company_id.get("schemeID") == str(Nit(nit).dv) and company_id.get("schemeName") == "31"
    assert (_text(root, "cbc:IssueDate"), _text(root, "cbc:IssueTime")) == ("2026-11-22", "09:00:00-05:00")
    assert _text(root, "cbc:InvoiceTypeCode") == "01" and _text(root, "cbc:ProfileExecutionID") == "2"
    assert b"\n<" not in invoice.split(b"\n", 1)[1] and not invoice.startswith(b"\xef\xbb\xbf")


def test_produccion_documents_say_profile_execution_id_1_and_use_the_production_qr_url() -> None:
    issuer = Issuer(ISSUER.company, SOFTWARE_ID, PIN, RANGE, environment=Environment.PRODUCCION)
    for data in (generate_invoice(issuer, "SETP990000009", NOW), generate_nomina(issuer, "NI9", NOW)):
        root = etree.fromstring(data)
        if root.find("n:InformacionGeneral", NS) is not None:
            assert root.find("n:InformacionGeneral", NS).get("Ambiente") == "1"
            assert _text(root, "n:CodigoQR").startswith("https://catalogo-vpfe.dian.gov.co/document/searchqr?")
        else:
            assert _text(root, "cbc:ProfileExecutionID") == "1" == root.find("cbc:UUID", NS).get("schemeID")
            assert _text(root, ".//sts:QRCode").startswith("https://catalogo-vpfe.dian.gov.co/document/searchqr?")
            assert _text(root, "cbc:UUID") == independent_ubl_key(data, TECHNICAL_KEY)


def test_a_buyer_identified_by_cedula_is_a_natural_person_without_check_digit() -> None:
    buyer = Party("1020304050", "MARÍA JOSÉ PÉREZ", document_type=DocumentType.CC, person=PersonType.NATURAL)
    data = generate_invoice(ISSUER, "SETP990000005", NOW, customer=buyer)
    root = etree.fromstring(data)
    party = root.find("cac:AccountingCustomerParty", NS)
    assert _text(party, "cbc:AdditionalAccountID") == "2"
    company_id = party.find("cac:Party/cac:PartyTaxScheme/cbc:CompanyID", NS)
    assert (company_id.text, company_id.get("schemeName"), company_id.get("schemeID")) == ("1020304050", "13", None)
    assert _text(root, "cbc:UUID") == independent_ubl_key(data, TECHNICAL_KEY)


# --- the Python API's contract -------------------------------------------------------------------------

def test_same_inputs_give_the_same_bytes_and_the_time_is_only_what_is_passed_in() -> None:
    first = generate_invoice(ISSUER, "SETP990000004", NOW, lines=3)
    assert generate_invoice(ISSUER, "SETP990000004", NOW.astimezone(dt.timezone.utc), lines=3) == first
    later = generate_invoice(ISSUER, "SETP990000004", NOW + dt.timedelta(seconds=1), lines=3)
    assert later != first and etree.fromstring(later).findtext("cbc:IssueTime", namespaces=NS) == "09:00:01-05:00"


def test_a_whole_test_set_is_numbered_in_the_range_and_every_key_distinct() -> None:
    """The habilitación set (30 invoices, 10 credit and 10 debit notes), as ``dian habilitacion`` will make it
    (its speed is measured in benchmarks/, not asserted here)."""
    invoices = [generate_invoice(ISSUER, RANGE.prefix + str(RANGE.from_number + n), NOW, lines=1 + n % 4)
                for n in range(1, 31)]
    notes = [generate_credit_note(ISSUER, RANGE.prefix + str(RANGE.from_number + 30 + n), NOW, invoice=invoices[n])
             for n in range(1, 11)]
    notes += [generate_debit_note(ISSUER, RANGE.prefix + str(RANGE.from_number + 40 + n), NOW, invoice=invoices[n])
              for n in range(1, 11)]
    keys, numbers = set(), set()
    for data in invoices + notes:
        root = etree.fromstring(data)
        number = _text(root, "cbc:ID")
        assert number.startswith("SETP") and RANGE.from_number <= int(number[4:]) <= RANGE.to_number
        numbers.add(number)
        keys.add(_text(root, "cbc:UUID"))
    assert len(keys) == len(numbers) == 50


def test_a_registration_of_the_local_dian_is_an_issuer(tmp_path: Path) -> None:
    home = Home(tmp_path / "home")
    registration = register_software(home, FixedClock(NOW), RegistrationRequest(nit=Nit.parse("900373987-9"),
                                                                                 pin="24680"))
    loaded = load_registration(home, "900373987")
    number = f"SETP{loaded.numbering.from_number + 7}"
    data = generate_invoice(loaded, number, NOW)
    root = etree.fromstring(data)
    assert _text(root, "cbc:UUID") == independent_ubl_key(data, registration.numbering.technical_key)
    assert _text(root, ".//sts:SoftwareID") == registration.software_id
    assert _text(root, ".//sts:SoftwareSecurityCode") == hashlib.sha384(
        (registration.software_id + "24680" + number).encode()).hexdigest()
    note = generate_credit_note(loaded, "NC7", NOW, invoice=InvoiceReference.of_invoice(data))
    assert _text(etree.fromstring(note), "cbc:UUID") == independent_ubl_key(note, "24680")


def test_invoice_number_outside_the_range_is_refused() -> None:
    with pytest.raises(InvalidInput, match="not in the numbering range"):
        generate_invoice(ISSUER, "SETP995000001", NOW)
    with pytest.raises(InvalidInput, match="not in the numbering range"):
        generate_invoice(ISSUER, "FE990000001", NOW)


def test_issue_date_outside_the_range_validity_is_refused() -> None:
    with pytest.raises(InvalidInput, match="outside the numbering range's validity"):
        generate_invoice(ISSUER, "SETP990000001", dt.datetime(2028, 1, 1, 8, 0, tzinfo=COLOMBIA))


def test_a_note_without_its_invoice_is_refused() -> None:
    with pytest.raises(InvalidInput, match="must reference the invoice"):
        generate(parse_kind("creditnote"), ISSUER, "NC1", NOW)


def test_unknown_correction_concept_is_refused(invoice: bytes) -> None:
    with pytest.raises(InvalidInput, match="not a correction concept"):
        generate_debit_note(ISSUER, "ND1", NOW, invoice=invoice, concept="5")


def test_a_note_cannot_reference_another_note(documents: dict[str, bytes]) -> None:
    with pytest.raises(InvalidInput, match="not an Invoice"):
        generate_credit_note(ISSUER, "NC2", NOW, invoice=documents["creditnote"])


def test_naive_issue_time_is_refused() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        generate_invoice(ISSUER, "SETP990000001", dt.datetime(2026, 11, 22, 9, 0))


def test_customer_nit_with_a_wrong_check_digit_is_refused() -> None:
    with pytest.raises(InvalidNit, match="check digit of 860001022 is 7"):
        Party("860001022-3", "CLIENTE")


def test_float_amounts_are_refused() -> None:
    with pytest.raises(TypeError, match="not a float"):
        Line("Café", 1, 18500.5)  # type: ignore[arg-type]
