"""Negative vectors, one per defence and rule, named after the failure they expect.

Most are built by re-signing a DIAN vector under the test PKI (``verify_kit.rekey``/``resign``) so
that the maths is right and only the intended check refuses the document; the rest tamper bytes
without re-signing, as an attacker without the key would.
"""

from __future__ import annotations

import copy

import pytest
import verify_kit as kit
from lxml import etree
from verify_kit import failing, message

NS = kit.NS
CREDIT_NOTE = "Kreo-one__dian-fe19-creditnote.xml"


def _ssp(root: etree._Element) -> etree._Element:
    return root.find(".//xades:SignedSignatureProperties", NS)


# --- the baseline ------------------------------------------------------------------------------


def test_resigned_dian_vector_passes_every_check(ours: bytes, verify) -> None:
    result = verify(ours)
    assert failing(result) == []
    assert result.valid and result.intact and result.signature_valid and result.trusted
    assert [c for c in result.checks if c.status not in ("pass",)] == [
        c for c in result.checks if c.rule in ("MINICA-CUDE",)
    ]
    assert result.signer is not None and result.signing_time is not None


def test_full_chain_in_signing_certificate_and_sha384(pki, vectors, verify) -> None:
    data = kit.rekey(
        vectors["Kreo-one__dian-fe19-consumidor-final-invoice.xml"], pki.key, pki.signer,
        chain=(pki.intermediate, pki.root),
    )
    result = verify(data)
    assert failing(result) == [] and result.trusted
    assert [c.status for c in result.checks if c.rule == "DC36"] == ["pass", "pass"]


# --- content tampering (no re-signing) -------------------------------------------------------


def test_tampered_amount_fails_document_reference(ours: bytes, verify) -> None:
    amount = b'<cbc:PayableAmount currencyID="USD">'
    data = kit.swap(ours, amount + b"14994.07", amount + b"94994.07")
    result = verify(data)
    assert failing(result) == ["ZE02"]
    assert "URI=''" in message(result, "ZE02") and result.signature_valid and not result.intact
    assert result.signed_document is None and not result.valid


def test_tampered_signing_time_fails_signed_properties_reference(ours: bytes, verify) -> None:
    data = kit.swap(ours, b"2026-02-27T10:00:00.000-05:00", b"2026-02-20T10:00:00.000-05:00")
    result = verify(data)
    assert failing(result) == ["ZE02"]
    assert "signedproperties" in message(result, "ZE02")
    assert result.signing_time is None and result.signer is None


def test_tampered_signature_value_fails_ze02(ours: bytes, verify) -> None:
    root = etree.fromstring(ours)
    value = kit.signature(root).find("ds:SignatureValue", NS).text
    data = kit.swap(ours, value.encode(), (value[:10] + ("A" if value[10] != "A" else "B") + value[11:]).encode())
    result = verify(data)
    assert failing(result) == ["ZE02"] and not result.signature_valid and result.intact


# --- XAdES properties (re-signed, so only the property check fails) ---------------------------


def _rekeyed(pki, vectors, mutate) -> bytes:
    return kit.rekey(vectors[CREDIT_NOTE], pki.key, pki.signer, mutate=mutate)


def test_wrong_policy_hash_fails_dc53(pki, vectors, verify) -> None:
    def mutate(root):
        _ssp(root).find(".//xades:SigPolicyHash/ds:DigestValue", NS).text = "AAAA" + "A" * 40
    result = verify(_rekeyed(pki, vectors, mutate))
    assert failing(result) == ["DC53"] and "politicadefirmav2.pdf" in message(result, "DC53")


def test_policy_hash_for_other_algorithm_fails_dc53(pki, vectors, verify) -> None:
    def mutate(root):  # the SHA-256 value under a sha512 DigestMethod
        _ssp(root).find(".//xades:SigPolicyHash/ds:DigestMethod", NS).set(
            "Algorithm", "http://www.w3.org/2001/04/xmlenc#sha512")
    assert failing(verify(_rekeyed(pki, vectors, mutate))) == ["DC53"]


def test_wrong_policy_identifier_fails_dc50(pki, vectors, verify) -> None:
    def mutate(root):
        _ssp(root).find(".//xades:Identifier", NS).text = "https://example.com/policy.pdf"
    assert failing(verify(_rekeyed(pki, vectors, mutate))) == ["DC50"]


def test_policy_v2_path_and_missing_description_accepted(pki, vectors, verify) -> None:
    def mutate(root):
        _ssp(root).find(".//xades:Identifier", NS).text = (
            "https://facturaelectronica.dian.gov.co/politicadefirma/v2/politicadefirmav2.pdf")
    assert failing(verify(_rekeyed(pki, vectors, mutate))) == []


def test_wrong_signing_certificate_digest_fails_dc29(pki, vectors, verify) -> None:
    def mutate(root):
        _ssp(root).find(".//xades:CertDigest/ds:DigestValue", NS).text = "nem6KXhqlV0A0FK5o+MwJZ3Y1aHgmL1hDs/RMJu7HYw="
    assert failing(verify(_rekeyed(pki, vectors, mutate))) == ["DC29"]


def test_wrong_issuer_serial_fails_dc32(pki, vectors, verify) -> None:
    def mutate(root):
        _ssp(root).find(".//ds:X509SerialNumber", NS).text = "12345"
    assert failing(verify(_rekeyed(pki, vectors, mutate))) == ["DC32"]


def test_wrong_issuer_name_fails_dc31(pki, vectors, verify) -> None:
    def mutate(root):
        _ssp(root).find(".//ds:X509IssuerName", NS).text = "CN=minica test root,O=minica pruebas,C=CO"
    assert failing(verify(_rekeyed(pki, vectors, mutate))) == ["DC31"]


@pytest.mark.parametrize(
    "written",
    [
        "C=CO, O=minica pruebas, CN=minica test issuing CA",  # DER order, .NET-style spacing
        "CN=minica test issuing CA,O=minica pruebas,C=CO",  # RFC 2253
        "2.5.4.3=#13166d696e69636120746573742069737375696e67204341,O=MINICA PRUEBAS,C=CO",
    ],
)
def test_issuer_name_compared_as_parsed_name(pki, vectors, verify, written: str) -> None:
    def mutate(root):
        _ssp(root).find(".//ds:X509IssuerName", NS).text = written
    assert failing(verify(_rekeyed(pki, vectors, mutate))) == []


def test_missing_signer_role_warns_dc54(pki, vectors, verify) -> None:
    def mutate(root):
        role = _ssp(root).find("xades:SignerRole", NS)
        role.getparent().remove(role)
    result = verify(_rekeyed(pki, vectors, mutate))
    assert failing(result) == [] and result.valid
    assert [c.status for c in result.checks if c.rule == "DC54"] == ["warn"]


@pytest.mark.parametrize("role,ok", [("third party", True), ("thirdparty", True), ("administrador", False)])
def test_signer_role_values_dc56(pki, vectors, verify, role: str, ok: bool) -> None:
    def mutate(root):
        _ssp(root).find(".//xades:ClaimedRole", NS).text = role
    assert failing(verify(_rekeyed(pki, vectors, mutate))) == ([] if ok else ["DC56"])


def test_signing_time_in_utc_z_accepted(pki, vectors, verify) -> None:
    data = kit.rekey(vectors[CREDIT_NOTE], pki.key, pki.signer, signing_time="2026-02-27T15:00:00Z")
    result = verify(data)
    assert failing(result) == [] and result.signing_time == kit.t("2026-02-27T15:00:00")


def test_signing_time_after_at_fails_dc24(pki, vectors, verify) -> None:
    data = kit.rekey(vectors[CREDIT_NOTE], pki.key, pki.signer, signing_time="2026-03-02T10:00:00-05:00")
    result = verify(data)
    assert failing(result) == ["DC24"] and "later than the verification time" in message(result, "DC24")


def test_unparseable_signing_time_fails_dc24(pki, vectors, verify) -> None:
    data = kit.rekey(vectors[CREDIT_NOTE], pki.key, pki.signer, signing_time="27/02/2026 10:00")
    assert failing(verify(data)) == ["DC24"]


def test_qualifying_properties_target_fails(pki, vectors, verify) -> None:
    def mutate(root):
        root.find(".//xades:QualifyingProperties", NS).set("Target", "#somewhere-else")
    assert failing(verify(_rekeyed(pki, vectors, mutate))) == ["MINICA-QUALIFYING-TARGET"]


# --- SignedInfo structure and algorithms -------------------------------------------------------


def _si(root):
    return kit.signature(root).find("ds:SignedInfo", NS)


def test_sha1_algorithms_refused_dc04_dc08(pki, vectors, verify) -> None:
    def mutate(root):
        _si(root).find("ds:SignatureMethod", NS).set("Algorithm", "http://www.w3.org/2000/09/xmldsig#rsa-sha1")
        for method in _si(root).findall(".//ds:DigestMethod", NS):
            method.set("Algorithm", "http://www.w3.org/2000/09/xmldsig#sha1")
    result = verify(_rekeyed(pki, vectors, mutate))
    assert {"DC04", "DC08", "DC11", "DC14"} <= set(failing(result))
    assert "SHA-1" in message(result, "DC04") and not result.signature_valid


def test_sha512_signature_with_mixed_digests_accepted(pki, vectors, verify) -> None:
    def mutate(root):
        _si(root).find("ds:SignatureMethod", NS).set("Algorithm", "http://www.w3.org/2001/04/xmldsig-more#rsa-sha512")
        _si(root).findall(".//ds:DigestMethod", NS)[0].set("Algorithm", "http://www.w3.org/2001/04/xmldsig-more#sha384")
    assert failing(verify(_rekeyed(pki, vectors, mutate))) == []


def test_exclusive_c14n_refused_dc03(pki, vectors, verify) -> None:
    def mutate(root):
        _si(root).find("ds:CanonicalizationMethod", NS).set("Algorithm", "http://www.w3.org/2001/10/xml-exc-c14n#")
    assert "DC03" in failing(verify(_rekeyed(pki, vectors, mutate)))


def test_missing_enveloped_transform_fails_dc07(pki, vectors, verify) -> None:
    def mutate(root):
        transforms = _si(root).find("ds:Reference/ds:Transforms", NS)
        transforms.getparent().remove(transforms)
    assert "DC07" in failing(verify(_rekeyed(pki, vectors, mutate)))


def test_fourth_reference_fails_dc02(pki, vectors, verify) -> None:
    def mutate(root):
        refs = _si(root).findall("ds:Reference", NS)
        refs[-1].addnext(copy.deepcopy(refs[1]))
    result = verify(_rekeyed(pki, vectors, mutate))
    assert "DC02" in failing(result) and "DC10" in failing(result)


def test_signed_properties_reference_without_type_fails_dc13(pki, vectors, verify) -> None:
    def mutate(root):
        del _si(root).findall("ds:Reference", NS)[2].attrib["Type"]
    assert failing(verify(_rekeyed(pki, vectors, mutate))) == ["DC13"]


def test_keyinfo_reference_with_c14n_transform_accepted(pki, vectors, verify) -> None:
    def mutate(root):
        ref = _si(root).findall("ds:Reference", NS)[1]
        transforms = etree.SubElement(ref, f"{{{kit.DS}}}Transforms")
        etree.SubElement(transforms, f"{{{kit.DS}}}Transform", Algorithm="http://www.w3.org/TR/2001/REC-xml-c14n-20010315")
        ref.insert(0, transforms)
    assert failing(verify(_rekeyed(pki, vectors, mutate))) == []


def test_xpath_transform_refused(pki, vectors, verify) -> None:
    def mutate(root):
        ref = _si(root).findall("ds:Reference", NS)[1]
        transforms = etree.Element(f"{{{kit.DS}}}Transforms")
        etree.SubElement(transforms, f"{{{kit.DS}}}Transform", Algorithm="http://www.w3.org/TR/1999/REC-xpath-19991116")
        ref.insert(0, transforms)
    assert failing(verify(_rekeyed(pki, vectors, mutate))) == ["MINICA-TRANSFORMS"]


def test_missing_certificate_fails_zd06(pki, vectors, verify) -> None:
    def mutate(root):
        data = kit.signature(root).find("ds:KeyInfo/ds:X509Data", NS)
        data.getparent().remove(data)
    result = verify(_rekeyed(pki, vectors, mutate))
    assert "ZD06" in failing(result) and result.signer is None


def test_no_signature_fails_dc01(vectors, verify) -> None:
    def mutate(root):
        sig = kit.signature(root)
        sig.getparent().remove(sig)
    data = etree.tostring(etree.fromstring(vectors[CREDIT_NOTE]).getroottree())
    root = etree.fromstring(data)
    mutate(root)
    result = verify(etree.tostring(root))
    assert failing(result)[0] == "DC01" and not result.valid
