"""The emitted signature, item by item, against the profile's §12 "Emit"."""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from cryptography import x509
from cryptography.hazmat.primitives.serialization import Encoding
from lxml import etree

from minica.signing import namespaces as ns
from minica.signing import policy
from minica.signing.policy import SignerRole

NS = {"ds": ns.DS, "xades": ns.XADES, "ext": ns.EXT, "sts": ns.STS}
UUID_ID = re.compile(r"^xmldsig-[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$")


def _signature(signed: bytes) -> etree._Element:
    root = etree.fromstring(signed)
    signatures = root.findall(".//ds:Signature", NS)
    assert len(signatures) == 1
    return signatures[0]


def _one(node: etree._Element, path: str) -> etree._Element:
    found = node.findall(path, NS)
    assert len(found) == 1, path
    return found[0]


@pytest.fixture
def invoice(testdata: Path) -> bytes:
    return (testdata / "invoice-habilitacion.xml").read_bytes()


def test_invoice_signature_goes_in_a_new_second_extension(
    invoice: bytes, sign: Callable[..., bytes]
) -> None:
    sig = _signature(sign(invoice))
    content = sig.getparent()
    extension = content.getparent()
    extensions = extension.getparent()
    assert content.tag == f"{{{ns.EXT}}}ExtensionContent" and len(content) == 1
    assert extensions.tag == f"{{{ns.EXT}}}UBLExtensions"
    assert extensions.getparent() is sig.getroottree().getroot()
    items = extensions.findall("ext:UBLExtension", NS)
    assert len(items) == 2 and items[1] is extension
    assert items[0].find("ext:ExtensionContent/sts:DianExtensions", NS) is not None


def test_existing_empty_slot_is_used(testdata: Path, sign: Callable[..., bytes]) -> None:
    sig = _signature(sign((testdata / "invoice-produccion.xml").read_bytes()))
    extensions = sig.getparent().getparent().getparent()
    assert len(extensions) == 2  # no third extension was added
    assert extensions[1] is sig.getparent().getparent()


def test_signature_goes_after_dian_extensions_before_others(
    testdata: Path, sign: Callable[..., bytes]
) -> None:
    path = testdata / "dian-unsigned" / "Kreo-one__dian-fe19-compra-venta-divisas-invoice.xml"
    sig = _signature(sign(path.read_bytes()))
    items = sig.getparent().getparent().getparent().findall("ext:UBLExtension", NS)
    assert len(items) == 3
    assert items[0].find(".//sts:DianExtensions", NS) is not None
    assert items[1].find(".//ds:Signature", NS) is sig  # UBLExtension[2]


@pytest.mark.parametrize(
    "name",
    ["attacheddocument.xml", "nomina-individual.xml", "nomina-individual-ajuste.xml",
     "dian-unsigned/Kreo-one__dian-nomina-individual-v1.0.2-skeleton.xml"],
)
def test_attached_document_and_nomina_use_the_only_extension(
    name: str, testdata: Path, sign: Callable[..., bytes]
) -> None:
    sig = _signature(sign((testdata / name).read_bytes()))
    extensions = sig.getparent().getparent().getparent()
    assert extensions.tag == f"{{{ns.EXT}}}UBLExtensions"
    assert len(extensions.findall("ext:UBLExtension", NS)) == 1
    assert extensions.getparent()[0] is extensions  # first child of the root


def test_exactly_one_signature_with_the_xmldsig_id_family(
    sample_path: Path, sign: Callable[..., bytes]
) -> None:
    sig = _signature(sign(sample_path.read_bytes()))
    sig_id = sig.get("Id")
    assert UUID_ID.match(sig_id)
    assert [etree.QName(c).localname for c in sig] == ["SignedInfo", "SignatureValue", "KeyInfo", "Object"]
    assert _one(sig, "ds:SignatureValue").get("Id") == f"{sig_id}-sigvalue"
    assert _one(sig, "ds:KeyInfo").get("Id") == f"{sig_id}-keyinfo"
    props = _one(sig, "ds:Object/xades:QualifyingProperties")
    assert props.get("Target") == f"#{sig_id}"
    assert _one(props, "xades:SignedProperties").get("Id") == f"{sig_id}-signedprops"


def test_references_count_order_transforms_and_uris(invoice: bytes, sign: Callable[..., bytes]) -> None:
    sig = _signature(sign(invoice, signature_id="xmldsig-test"))
    signed_info = _one(sig, "ds:SignedInfo")
    assert _one(signed_info, "ds:CanonicalizationMethod").get("Algorithm") == ns.C14N
    refs = signed_info.findall("ds:Reference", NS)
    assert len(refs) == 3
    document, key_info, props = refs
    assert document.get("URI") == "" and document.get("Id") == "xmldsig-test-ref0"
    transforms = document.findall("ds:Transforms/ds:Transform", NS)
    assert [t.get("Algorithm") for t in transforms] == [ns.ENVELOPED]
    assert key_info.get("URI") == "#xmldsig-test-keyinfo"
    assert key_info.find("ds:Transforms", NS) is None
    assert props.get("URI") == "#xmldsig-test-signedprops"
    assert props.get("Type") == ns.SIGNED_PROPERTIES_TYPE
    assert props.find("ds:Transforms", NS) is None


@pytest.mark.parametrize("digest", [policy.SHA256, policy.SHA384, policy.SHA512], ids=lambda d: d.name)
def test_algorithm_uris_follow_the_digest(
    digest: policy.DigestAlgorithm, invoice: bytes, sign: Callable[..., bytes]
) -> None:
    sig = _signature(sign(invoice, digest=digest))
    assert _one(sig, "ds:SignedInfo/ds:SignatureMethod").get("Algorithm") == digest.signature_uri
    methods = sig.findall(".//ds:DigestMethod", NS)
    assert len(methods) == 3 + 1 + 1  # references, one Cert, SigPolicyHash
    assert {m.get("Algorithm") for m in methods} == {digest.digest_uri}
    policy_hash = _one(sig, ".//xades:SigPolicyHash/ds:DigestValue").text
    assert policy_hash == policy.POLICY_HASHES[digest.digest_uri]


def test_policy_identifier_and_description(invoice: bytes, testdata: Path, sign: Callable[..., bytes]) -> None:
    sig = _signature(sign(invoice))
    policy_id = _one(sig, ".//xades:SignaturePolicyId/xades:SigPolicyId")
    assert _one(policy_id, "xades:Identifier").text == policy.POLICY_V2
    assert _one(policy_id, "xades:Description").text == policy.POLICY_DESCRIPTION
    nomina = _signature(sign((testdata / "nomina-individual.xml").read_bytes()))
    assert _one(nomina, ".//xades:Description").text == policy.POLICY_DESCRIPTION_NOMINA


@pytest.mark.parametrize("role", list(SignerRole), ids=lambda r: r.name)
def test_claimed_role(role: SignerRole, invoice: bytes, sign: Callable[..., bytes]) -> None:
    sig = _signature(sign(invoice, role=role))
    roles = sig.findall(".//xades:SignerRole/xades:ClaimedRoles/xades:ClaimedRole", NS)
    assert [r.text for r in roles] == [role.value]
    assert role.value in ("supplier", "third party")


def test_signing_time_is_colombian_with_milliseconds(
    invoice: bytes, sign: Callable[..., bytes], signing_time: dt.datetime
) -> None:
    utc = signing_time.astimezone(dt.timezone.utc)  # the same instant given in UTC
    text = _one(_signature(sign(invoice, signing_time=utc)), ".//xades:SigningTime").text
    assert text == "2026-11-22T10:15:30.123-05:00"
    assert dt.datetime.fromisoformat(text) == signing_time


def test_signing_certificate_matches_keyinfo(
    invoice: bytes, pki: Any, sign: Callable[..., bytes]
) -> None:
    sig = _signature(sign(invoice))
    certs = sig.findall("ds:KeyInfo/ds:X509Data/ds:X509Certificate", NS)
    assert len(certs) == 1
    der = base64.b64decode(certs[0].text)
    assert x509.load_der_x509_certificate(der) == pki.signer
    cert = _one(sig, ".//xades:SigningCertificate/xades:Cert")
    digest = _one(cert, "xades:CertDigest/ds:DigestValue").text
    assert base64.b64decode(digest) == hashlib.sha256(der).digest()
    assert _one(cert, "xades:IssuerSerial/ds:X509SerialNumber").text == str(pki.signer.serial_number)
    issuer = _one(cert, "xades:IssuerSerial/ds:X509IssuerName").text
    assert issuer == pki.signer.issuer.rfc4514_string()
    assert "Bogotá D.C." in issuer and issuer.startswith("CN=Autoridad Subordinada")


def test_chain_adds_certs_in_order(invoice: bytes, pki: Any, sign: Callable[..., bytes]) -> None:
    sig = _signature(sign(invoice, chain=[pki.issuing, pki.root], digest=policy.SHA384))
    certs = [
        x509.load_der_x509_certificate(base64.b64decode(c.text))
        for c in sig.findall("ds:KeyInfo/ds:X509Data/ds:X509Certificate", NS)
    ]
    assert certs == [pki.signer, pki.issuing, pki.root]
    cert_elements = sig.findall(".//xades:SigningCertificate/xades:Cert", NS)
    assert len(cert_elements) == 3
    for element, cert in zip(cert_elements, certs, strict=True):
        digest = base64.b64decode(_one(element, "xades:CertDigest/ds:DigestValue").text)
        assert digest == hashlib.sha384(cert.public_bytes(Encoding.DER)).digest()
        assert _one(element, ".//ds:X509SerialNumber").text == str(cert.serial_number)


def test_no_whitespace_inside_the_signature(sample_path: Path, sign: Callable[..., bytes]) -> None:
    sig = _signature(sign(sample_path.read_bytes()))
    for node in sig.iter():
        assert node.tail is None or node is sig
        if len(node):
            assert node.text is None


def test_prefixes_are_ds_and_xades(invoice: bytes, sign: Callable[..., bytes]) -> None:
    signed = sign(invoice)
    start = signed.index(b"<ds:Signature")
    end = signed.index(b"</ds:Signature>") + len(b"</ds:Signature>")
    tags = set(re.findall(rb"</?([A-Za-z0-9]+):", signed[start:end]))
    assert tags == {b"ds", b"xades"}

