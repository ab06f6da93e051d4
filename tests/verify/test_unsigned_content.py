"""Issue 10 §4: a signed document must not carry unsigned content a reader could take for it.

XML-DSig signs what the references cover; the enveloped transform removes the whole ds:Signature
from the document digest and canonicalization drops comments. So content added inside the
signature (a second ds:Object with a forged copy of the invoice, text, a Manifest, unsigned
properties …) or in a comment keeps the maths intact: xmlsec1 accepts it. minica refuses each
shape with its own rule code, by an allow-list of DIAN's signature profile.

*Attacker* shapes (``unsigned_shapes.SHAPES``) are added to the signed bytes without the key;
*re-signed* shapes put off-profile content in the signed parts with a valid key, proving the
allow-list stands on its own there too.
"""

from __future__ import annotations

import copy
import datetime as dt
import json
import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest
import unsigned_shapes as shapes
import verify_kit as kit
from cryptography.hazmat.primitives.serialization import Encoding
from lxml import etree
from support import XMLSEC_IDS, Cli, xmlsec1_verify
from verify_kit import VECTORS, VERDICTS, failing, message

from minica.ca.hierarchy import Authority
from minica.signing import xades
from minica.signing.checks_signature_shape import RULES, SHAPE
from minica.signing.verifier import VerificationResult, verify_document

NS = kit.NS
TESTDATA = Path(__file__).resolve().parents[2] / "testdata"
INVOICE = TESTDATA / "invoice-habilitacion.xml"
SHAPE_RULES = tuple(RULES)
ON_DISK = [s for s in shapes.SHAPES if s.on_disk]
#: Inside the validity of the test PKI's signer (2025 → 2027), after the signing time.
XMLSEC_AT = "2026-03-01 12:00:00"
#: Inside the validity of DIAN's 2017–2020 test certificate (as in test_vectors).
AT_2020 = dt.datetime(2020, 6, 1, tzinfo=dt.timezone.utc)
#: xmlsec1 on DIAN's vectors: maths only (their CA is not ours), as in tests/vectors/README.md.
XMLSEC_INSECURE = ["xmlsec1", "--verify", "--insecure", "--enabled-key-data", "x509", *XMLSEC_IDS]


@pytest.fixture(scope="module")
def signed(pki: kit.Pki) -> bytes:
    """testdata's habilitación invoice signed by minica's signer (with the chain in KeyInfo)."""
    return xades.sign_document(
        INVOICE.read_bytes(),
        key=pki.key,
        certificate=pki.signer,
        chain=(pki.intermediate, pki.root),
        signing_time=kit.t("2026-02-27T15:00:00"),
    )


def test_allow_list_is_closed() -> None:
    """Every element the allow-list lets in has its own entry (UnsignedProperties is checked apart)."""
    allowed = {child for slot in SHAPE.values() for child in slot.children}
    assert allowed - set(SHAPE) == {f"{{{kit.XADES}}}UnsignedProperties"}
    assert all(not slot.children for slot in SHAPE.values() if slot.text)


def _shape_checks(result: VerificationResult) -> dict[str, str]:
    return {c.rule: c.status for c in result.checks if c.rule in RULES}


def _passes_every_shape_check(result: VerificationResult) -> None:
    assert _shape_checks(result) == dict.fromkeys(SHAPE_RULES, "pass"), result.failures


# --- what stays accepted ----------------------------------------------------------------------


def test_minica_signed_invoice_passes_every_check(signed: bytes, verify) -> None:
    result = verify(signed)
    assert result.valid and result.intact and result.trusted, result.failures
    _passes_every_shape_check(result)


@pytest.mark.parametrize("name", sorted(VERDICTS))
def test_real_dian_vectors_pass_every_shape_check(name: str, vectors: dict[str, bytes]) -> None:
    """DIAN's own examples (even those whose digests fail) are the profile: none is refused."""
    result = verify_document(vectors[name], at=AT_2020)
    _passes_every_shape_check(result)


def _real_world_extras(root: etree._Element) -> None:
    """The optional elements real DIAN-signed documents carry (profile §5, §6.5, §8, §12)."""
    sig = kit.signature(root)
    key_info = sig.find("ds:KeyInfo", NS)
    data = key_info.find("ds:X509Data", NS)
    subject = etree.SubElement(data, f"{{{kit.DS}}}X509SubjectName")  # production Andes invoice
    subject.text = "CN=Firmante de prueba,O=minica pruebas,C=CO"
    issuer_serial = etree.SubElement(data, f"{{{kit.DS}}}X509IssuerSerial")
    etree.SubElement(issuer_serial, f"{{{kit.DS}}}X509IssuerName").text = "CN=minica test issuing CA"
    etree.SubElement(issuer_serial, f"{{{kit.DS}}}X509SerialNumber").text = "1"
    key_value = etree.SubElement(key_info, f"{{{kit.DS}}}KeyValue")  # DIAN's own signer, facho
    rsa_value = etree.SubElement(key_value, f"{{{kit.DS}}}RSAKeyValue")
    etree.SubElement(rsa_value, f"{{{kit.DS}}}Modulus").text = "AQAB"
    etree.SubElement(rsa_value, f"{{{kit.DS}}}Exponent").text = "AQAB"
    obj = sig.find("ds:Object", NS)
    obj.set("Id", "XadesObjectId-1")  # DIAN's own signer
    qualifying = obj.find("xades:QualifyingProperties", NS)
    qualifying.set("Id", "QualifyingProperties-1")
    qualifying.find(".//xades:Description", NS).text = None  # DIAN's AR: empty Description
    props = qualifying.find("xades:SignedProperties", NS)
    data_objects = etree.SubElement(props, f"{{{kit.XADES}}}SignedDataObjectProperties")
    data_format = etree.SubElement(data_objects, f"{{{kit.XADES}}}DataObjectFormat")
    data_format.set("ObjectReference", "#" + sig.find("ds:SignedInfo/ds:Reference", NS).get("Id"))
    etree.SubElement(data_format, f"{{{kit.XADES}}}MimeType").text = "text/xml"
    etree.SubElement(data_format, f"{{{kit.XADES}}}Encoding").text = "UTF-8"
    unsigned = etree.SubElement(qualifying, f"{{{kit.XADES}}}UnsignedProperties")
    etree.SubElement(unsigned, f"{{{kit.XADES}}}UnsignedSignatureProperties")
    for element in sig.iter(etree.Element):  # DIAN's toolbox examples: newlines and tabs
        if len(element):
            element.text = "\n\t"
            for child in element:
                child.tail = "\n\t"
    root.insert(1, etree.Comment("Version #1.0.2 (plain comment, no markup)"))


def test_optional_elements_of_real_documents_accepted(pki, signed: bytes, verify) -> None:
    result = verify(kit.resign(signed, pki.key, _real_world_extras))
    assert result.valid and result.intact, result.failures
    _passes_every_shape_check(result)


def test_empty_unsigned_properties_tolerated_even_added_after_signing(signed: bytes, verify) -> None:
    data = shapes.insert(
        signed, b"</xades:QualifyingProperties>",
        before=b'<xades:UnsignedProperties Id="up"><xades:UnsignedSignatureProperties/></xades:UnsignedProperties>',
    )
    result = verify(data)
    assert result.valid, result.failures


# --- attacker shapes: added without the key, the maths still holds ----------------------------


@pytest.mark.parametrize("shape", shapes.SHAPES, ids=lambda s: s.name)
def test_attacker_shape_refused_by_its_rule(signed: bytes, verify, shape: shapes.Shape) -> None:
    result = verify(shape(signed))
    assert set(failing(result)) == shape.rules
    assert not result.valid and not result.profile and result.signer is None
    digests_fail = any(c.failed and c.message.startswith("reference") for c in result.check("ZE02"))
    assert result.intact == (not digests_fail)  # intact: every digest matches, nothing more
    for rule in shape.rules - {"ZE02"}:
        assert len(result.check(rule)) == 1
        assert "/Invoice" in message(result, rule)  # names where it was found
    if "ZE02" not in shape.rules:
        assert result.signature_valid  # the maths alone would have accepted it
        assert all(c.status == "pass" for c in result.check("ZE02"))


def test_forged_copy_is_what_a_first_match_reader_sees(signed: bytes, verify) -> None:
    forged = shapes.SHAPES[0](signed)
    tree = etree.fromstring(forged)
    first = tree.find(".//cbc:PayableAmount", NS)
    genuine = etree.fromstring(signed).find(".//cbc:PayableAmount", NS)
    assert first.text == shapes.FORGED_AMOUNT != genuine.text
    assert kit.signature(tree) in first.iterancestors()
    result = verify(forged)
    assert failing(result) == ["MINICA-SIGNATURE-OBJECT"]
    assert "ds:Object[2]" in message(result, "MINICA-SIGNATURE-OBJECT")
    assert "exactly one ds:Object" in message(result, "MINICA-SIGNATURE-OBJECT")


def test_forged_object_placed_first_is_the_one_refused(signed: bytes, verify) -> None:
    result = verify(shapes.SHAPES[1](signed))
    text = message(result, "MINICA-SIGNATURE-OBJECT")
    assert "ds:Object[1]" in text and "holding Invoice" in text
    assert result.check("DC20")[0].status == "pass"  # the real QualifyingProperties still found


def test_second_signature_inside_an_extra_object_refused(signed: bytes, verify) -> None:
    inner = etree.tostring(kit.signature(etree.fromstring(signed)))
    inner = inner.replace(b'Id="', b'Id="copy-')
    result = verify(shapes.insert(signed, b"</ds:Signature>", before=b"<ds:Object>" + inner + b"</ds:Object>"))
    assert {"AA04", "MINICA-SIGNATURE-OBJECT"} <= set(failing(result))


def test_extension_added_after_signing_breaks_the_document_digest(signed: bytes, verify) -> None:
    """Content outside ds:Signature is covered by URI="": already refused (ZE02), no new rule."""
    extension = f'<ext:UBLExtension><ext:ExtensionContent>{shapes.FORGED_TOTAL.decode()}' \
                '</ext:ExtensionContent></ext:UBLExtension>'
    result = verify(shapes.insert(signed, b"</ext:UBLExtensions>", before=extension.encode()))
    assert failing(result) == ["ZE02"] and "URI=''" in message(result, "ZE02")
    _passes_every_shape_check(result)


@pytest.mark.parametrize("place", ["before the root element", "after the root element", "in /Invoice/cac:"])
def test_comment_with_markup_refused_wherever_it_stands(signed: bytes, verify, place: str) -> None:
    comment = b"<!--" + shapes.FORGED_TOTAL + b"-->"
    if place.startswith("before"):
        data = shapes.insert(signed, b"?>", after=comment)
    elif place.startswith("after"):
        data = signed + comment
    else:
        data = shapes.insert(signed, b"<cac:LegalMonetaryTotal>", after=comment)
    result = verify(data)
    assert failing(result) == ["MINICA-UNSIGNED-COMMENT"] and result.signature_valid
    assert place in message(result, "MINICA-UNSIGNED-COMMENT")


def test_many_refusals_make_one_bounded_message(signed: bytes, verify) -> None:
    junk = b"".join(b"<cbc:Note xmlns:cbc='urn:x'>%d</cbc:Note>" % i for i in range(2000))
    result = verify(shapes.insert(signed, b"</ds:Object>", before=junk))
    assert failing(result) == ["MINICA-SIGNATURE-NAMESPACE"]
    text = message(result, "MINICA-SIGNATURE-NAMESPACE")
    assert "and 1999 more" in text and len(text) < 2000


# --- re-signed shapes: off-profile content in the signed parts ---------------------------------


def _add(path: str, tag: str, text: str | None = None, index: int | None = None) -> Callable[[etree._Element], None]:
    def mutate(root: etree._Element) -> None:
        parent = kit.signature(root).find(path, NS)
        element = etree.Element(tag)
        element.text = text
        if index is None:
            parent.append(element)
        else:
            parent.insert(index, element)
    return mutate


def _set_text(path: str, text: str) -> Callable[[etree._Element], None]:
    def mutate(root: etree._Element) -> None:
        kit.signature(root).find(path, NS).text = text
    return mutate


def _beside_signature(root: etree._Element) -> None:
    kit.signature(root).addnext(etree.fromstring(shapes.FORGED_TOTAL))


def _text_beside_signature(root: etree._Element) -> None:
    kit.signature(root).tail = "Total a pagar: 1.00 COP"


def _attribute_on_key_info(root: etree._Element) -> None:
    kit.signature(root).find("ds:KeyInfo", NS).set("PayableAmount", "1.00")


def _second_signing_time(root: etree._Element) -> None:
    ssp = kit.signature(root).find(".//xades:SignedSignatureProperties", NS)
    ssp.insert(1, copy.deepcopy(ssp.find("xades:SigningTime", NS)))


#: Exclusive C14N's parameter: allowed only inside an exclusive canonicalization (test_declared_c14n).
INCLUSIVE_NAMESPACES = "{http://www.w3.org/2001/10/xml-exc-c14n#}InclusiveNamespaces"

RESIGNED = {
    "foreign-element-in-keyinfo": (
        _add("ds:KeyInfo", f"{{{kit.NS['cac']}}}LegalMonetaryTotal", "1.00"), "MINICA-SIGNATURE-NAMESPACE"),
    "keyname-in-keyinfo": (_add("ds:KeyInfo", f"{{{kit.DS}}}KeyName", "factura"), "MINICA-SIGNATURE-ELEMENT"),
    "second-x509data": (_add("ds:KeyInfo", f"{{{kit.DS}}}X509Data"), "MINICA-SIGNATURE-ELEMENT"),
    "production-place-in-signed-properties": (
        _add(".//xades:SignedSignatureProperties", f"{{{kit.XADES}}}SignatureProductionPlace"),
        "MINICA-SIGNATURE-ELEMENT"),
    "invoice-element-in-signed-properties": (
        _add(".//xades:SignedProperties", f"{{{kit.NS['cbc']}}}PayableAmount", "1.00"),
        "MINICA-SIGNATURE-NAMESPACE"),
    "second-signing-time": (_second_signing_time, "MINICA-SIGNATURE-ELEMENT"),
    "manifest-in-signed-info": (_add("ds:SignedInfo", f"{{{kit.DS}}}Manifest"), "MINICA-SIGNATURE-MANIFEST"),
    "text-in-signed-signature-properties": (
        _set_text(".//xades:SignedSignatureProperties", "Total a pagar: 1.00 COP"), "MINICA-SIGNATURE-TEXT"),
    "attribute-on-keyinfo": (_attribute_on_key_info, "MINICA-SIGNATURE-ATTRIBUTE"),
    "inclusive-namespaces-with-inclusive-c14n": (
        _add("ds:SignedInfo/ds:CanonicalizationMethod", INCLUSIVE_NAMESPACES), "MINICA-SIGNATURE-ELEMENT"),
    "inclusive-namespaces-in-reference": (
        _add("ds:SignedInfo/ds:Reference", INCLUSIVE_NAMESPACES), "MINICA-SIGNATURE-NAMESPACE"),
    "element-beside-signature": (_beside_signature, "MINICA-EXTENSION-CONTENT"),
    "text-beside-signature": (_text_beside_signature, "MINICA-EXTENSION-CONTENT"),
}


@pytest.mark.parametrize("name", sorted(RESIGNED))
def test_resigned_shape_refused_by_its_rule(pki, signed: bytes, verify, name: str) -> None:
    mutate, rule = RESIGNED[name]
    result = verify(kit.resign(signed, pki.key, mutate))
    assert failing(result) == [rule]
    assert result.signature_valid and all(c.status == "pass" for c in result.check("ZE02"))
    assert not result.valid and result.signer is None
    if rule != "MINICA-EXTENSION-CONTENT":
        assert "signed (inside" in message(result, rule)  # covered, yet not DIAN's profile


# --- independent verifier: xmlsec1 accepts what only minica's allow-list refuses -------------


def _pem(path: Path, cert) -> Path:
    path.write_bytes(cert.public_bytes(Encoding.PEM))
    return path


def test_xmlsec1_accepts_second_object_with_forged_invoice(pki, signed: bytes, verify, tmp_path: Path) -> None:
    trusted, untrusted = _pem(tmp_path / "root.pem", pki.root), _pem(tmp_path / "ca.pem", pki.intermediate)
    genuine, forged = tmp_path / "signed.xml", tmp_path / "forged.xml"
    genuine.write_bytes(signed)
    forged.write_bytes(shapes.SHAPES[0](signed))
    for path in (genuine, forged):
        run = xmlsec1_verify(path, trusted=trusted, untrusted=untrusted, at=XMLSEC_AT)
        assert run.returncode == 0 and "OK" in run.stdout + run.stderr, run.stderr
    assert verify(genuine.read_bytes()).valid
    assert failing(verify(forged.read_bytes())) == ["MINICA-SIGNATURE-OBJECT"]


# --- on-disk negative vectors (tests/vectors/unsigned-content/) --------------------------------


def test_on_disk_vectors_are_the_shapes_applied_to_dians_credit_note() -> None:
    source = shapes.SOURCE.read_bytes()
    readme = (shapes.VECTORS.parent / "README.md").read_text(encoding="utf-8")
    assert sorted(p.name for p in shapes.VECTORS.glob("*.xml")) == sorted(shapes.vector_name(s) for s in ON_DISK)
    for shape in ON_DISK:
        assert (shapes.VECTORS / shapes.vector_name(shape)).read_bytes() == shape(source), shape.name
        assert shapes.vector_name(shape) in readme


@pytest.mark.parametrize("shape", ON_DISK, ids=lambda s: s.name)
def test_on_disk_vector_refused_yet_accepted_by_xmlsec1(shape: shapes.Shape) -> None:
    path = shapes.VECTORS / shapes.vector_name(shape)
    result = verify_document(path.read_bytes(), at=AT_2020)
    assert set(failing(result)) == shape.rules | {"ZD05"}  # ZD05: DIAN's test CA is not ours
    assert result.signature_valid and all(c.status == "pass" for c in result.check("ZE02"))
    run = subprocess.run([*XMLSEC_INSECURE, str(path)], capture_output=True, timeout=60, check=False)
    assert run.returncode == 0, run.stderr  # DIAN's real signature still verifies for xmlsec1


def test_on_disk_vectors_come_from_a_valid_vector() -> None:
    assert VERDICTS[shapes.SOURCE.name] == "VALID" and (VECTORS / shapes.SOURCE.name).exists()


# --- the CLI ------------------------------------------------------------------------------------


def test_cli_verify_exits_1_on_every_shape(
    authority: Authority, run: Cli, password_file: Path, tmp_path: Path
) -> None:
    issued = run("issue", "--nit", "900373987-9", "--name", "MINICA PRUEBAS S.A.S.",
                 "--password-file", str(password_file))
    assert issued.exit_code == 0, issued.stderr
    out = tmp_path / "signed.xml"
    assert run("sign", str(INVOICE), "-o", str(out), "--password-file", str(password_file)).exit_code == 0
    assert run("verify", str(out)).exit_code == 0
    for shape in shapes.SHAPES:
        path = tmp_path / f"{shape.name}.xml"
        path.write_bytes(shape(out.read_bytes()))
        result = run("verify", str(path), "--json")
        assert result.exit_code == 1, shape.name
        report = json.loads(result.stdout)["documents"][0]
        assert report["valid"] is False
        assert {c["rule"] for c in report["checks"] if c["status"] == "fail"} == shape.rules, shape.name
        human = run("verify", str(path))
        assert human.exit_code == 1 and "INVALID" in human.stdout
        assert all(rule in human.stdout for rule in shape.rules)
