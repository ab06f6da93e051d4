"""Test utilities for the verifier tests: a tiny PKI and an independent XAdES (re)signer.

Not product code. ``resign`` recomputes every resolvable reference digest in document context and
the SignatureValue, so a test can build any structure (including wrapping shapes) whose maths is
right, and check that only the intended defence refuses it.
"""

from __future__ import annotations

import base64
import copy
import datetime as dt
import hashlib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from cryptography.hazmat.primitives.serialization import Encoding
from cryptography.x509.oid import NameOID
from lxml import etree

from minica.signing.revocation import Revocation
from minica.signing.verifier import VerificationResult

DS = "http://www.w3.org/2000/09/xmldsig#"
XADES = "http://uri.etsi.org/01903/v1.3.2#"
NS = {
    "ds": DS,
    "xades": XADES,
    "ext": "urn:oasis:names:specification:ubl:schema:xsd:CommonExtensionComponents-2",
    "cbc": "urn:oasis:names:specification:ubl:schema:xsd:CommonBasicComponents-2",
    "cac": "urn:oasis:names:specification:ubl:schema:xsd:CommonAggregateComponents-2",
}
UTC = dt.timezone.utc
DIGESTS = {
    "http://www.w3.org/2001/04/xmlenc#sha256": "sha256",
    "http://www.w3.org/2001/04/xmldsig-more#sha384": "sha384",
    "http://www.w3.org/2001/04/xmlenc#sha512": "sha512",
    "http://www.w3.org/2000/09/xmldsig#sha1": "sha1",
}
SIG_HASHES = {
    "http://www.w3.org/2001/04/xmldsig-more#rsa-sha256": hashes.SHA256(),
    "http://www.w3.org/2001/04/xmldsig-more#rsa-sha384": hashes.SHA384(),
    "http://www.w3.org/2001/04/xmldsig-more#rsa-sha512": hashes.SHA512(),
    "http://www.w3.org/2000/09/xmldsig#rsa-sha1": hashes.SHA1(),
}


def t(text: str) -> dt.datetime:
    return dt.datetime.fromisoformat(text).replace(tzinfo=UTC)


EPOCH = t("2020-01-01T00:00:00")
FAR = t("2040-01-01T00:00:00")


def _name(cn: str) -> x509.Name:
    return x509.Name(
        [
            x509.NameAttribute(NameOID.COUNTRY_NAME, "CO"),
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, "minica pruebas"),
            x509.NameAttribute(NameOID.COMMON_NAME, cn),
        ]
    )


def make_cert(
    subject: str,
    key: rsa.RSAPrivateKey,
    *,
    issuer: x509.Certificate | None = None,
    issuer_key: rsa.RSAPrivateKey | None = None,
    ca: bool = False,
    not_before: dt.datetime = EPOCH,
    not_after: dt.datetime = FAR,
    key_usage: tuple[bool, bool] | None = (True, True),
    serial: int = 0,
) -> x509.Certificate:
    name = _name(subject)
    builder = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(issuer.subject if issuer else name)
        .public_key(key.public_key())
        .serial_number(serial or x509.random_serial_number())
        .not_valid_before(not_before)
        .not_valid_after(not_after)
        .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True)
    )
    if ca:
        usage = x509.KeyUsage(True, False, False, False, False, True, True, False, False)
        builder = builder.add_extension(usage, critical=True)
    elif key_usage is not None:
        ds_, nr = key_usage
        usage = x509.KeyUsage(ds_, nr, False, False, False, False, False, False, False)
        builder = builder.add_extension(usage, critical=True)
    return builder.sign(issuer_key or key, hashes.SHA256())


@dataclass
class Pki:
    root_key: rsa.RSAPrivateKey
    root: x509.Certificate
    ca_key: rsa.RSAPrivateKey
    intermediate: x509.Certificate
    key: rsa.RSAPrivateKey
    signer: x509.Certificate
    other_root: x509.Certificate
    other_key: rsa.RSAPrivateKey

    def leaf(self, subject: str = "Firmante de prueba", *, trusted: bool = True, **kw: object) -> x509.Certificate:
        issuer, issuer_key = (self.intermediate, self.ca_key) if trusted else (self.other_root, self.other_key)
        kw.setdefault("not_before", t("2025-01-01T00:00:00"))
        kw.setdefault("not_after", t("2027-01-01T00:00:00"))
        return make_cert(subject, self.key, issuer=issuer, issuer_key=issuer_key, **kw)  # type: ignore[arg-type]


def make_pki() -> Pki:
    keys = [rsa.generate_private_key(public_exponent=65537, key_size=2048) for _ in range(4)]
    root = make_cert("minica test root", keys[0], ca=True)
    inter = make_cert("minica test issuing CA", keys[1], issuer=root, issuer_key=keys[0], ca=True)
    other = make_cert("somebody else's root", keys[3], ca=True)
    pki = Pki(keys[0], root, keys[1], inter, keys[2], None, other, keys[3])  # type: ignore[arg-type]
    pki.signer = pki.leaf()
    return pki


# --- (re)signing -----------------------------------------------------------------------------


def c14n(node: etree._Element | etree._ElementTree) -> bytes:
    return etree.tostring(node, method="c14n", exclusive=False, with_comments=False)


def _detach(signature: etree._Element) -> None:
    parent, tail, previous = signature.getparent(), signature.tail, signature.getprevious()
    signature.tail = None
    parent.remove(signature)
    if tail:
        if previous is not None:
            previous.tail = (previous.tail or "") + tail
        else:
            parent.text = (parent.text or "") + tail


def _b64digest(uri: str, data: bytes) -> str:
    return base64.b64encode(hashlib.new(DIGESTS[uri], data).digest()).decode()


def _same_node(other_root: etree._Element, node: etree._Element) -> etree._Element:
    steps = []
    while node.getparent() is not None:
        steps.append(node.getparent().index(node))
        node = node.getparent()
    for step in reversed(steps):
        other_root = other_root[step]
    return other_root


def _sign_one(tree: etree._ElementTree, signature: etree._Element, key: rsa.RSAPrivateKey) -> None:
    root = tree.getroot()
    refs = signature.findall("ds:SignedInfo/ds:Reference", NS)
    for ref in refs:
        uri = ref.get("URI")
        if uri and uri.startswith("#") and not uri.startswith("#xpointer"):
            found = root.xpath("//*[@Id=$id]", id=uri[1:])
            if found:
                method = ref.find("ds:DigestMethod", NS).get("Algorithm")
                ref.find("ds:DigestValue", NS).text = _b64digest(method, c14n(found[0]))
    for ref in refs:
        if ref.get("URI") == "":
            other = copy.deepcopy(tree)
            _detach(_same_node(other.getroot(), signature))
            method = ref.find("ds:DigestMethod", NS).get("Algorithm")
            ref.find("ds:DigestValue", NS).text = _b64digest(method, c14n(other))
    signed_info = signature.find("ds:SignedInfo", NS)
    algorithm = signed_info.find("ds:SignatureMethod", NS).get("Algorithm")
    value = key.sign(c14n(signed_info), padding.PKCS1v15(), SIG_HASHES[algorithm])
    signature.find("ds:SignatureValue", NS).text = base64.b64encode(value).decode()


def resign(
    data: bytes,
    key: rsa.RSAPrivateKey,
    mutate: Callable[[etree._Element], None] | None = None,
) -> bytes:
    """Apply ``mutate`` to the parsed document, then recompute digests and SignatureValue of every
    ds:Signature (in document order) with ``key``."""
    root = etree.fromstring(data)
    if mutate is not None:
        mutate(root)
        root = etree.fromstring(etree.tostring(root.getroottree(), xml_declaration=True, encoding="UTF-8"))
    tree = root.getroottree()
    for signature in root.xpath("//ds:Signature", namespaces=NS):
        _sign_one(tree, signature, key)
    return etree.tostring(tree, xml_declaration=True, encoding="UTF-8")


def rekey(
    data: bytes,
    key: rsa.RSAPrivateKey,
    cert: x509.Certificate,
    *,
    signing_time: str = "2026-02-27T10:00:00.000-05:00",
    chain: tuple[x509.Certificate, ...] = (),
    mutate: Callable[[etree._Element], None] | None = None,
) -> bytes:
    """Put ``cert`` (and optionally its chain as extra xades:Cert) into a signed document and
    re-sign it with ``key``: a DIAN-shaped document signed under our test PKI."""

    def change(root: etree._Element) -> None:
        signature = root.find(".//ds:Signature", NS)
        blob = signature.find("ds:KeyInfo/ds:X509Data/ds:X509Certificate", NS)
        blob.text = base64.b64encode(cert.public_bytes(Encoding.DER)).decode()
        for extra in signature.findall("ds:KeyInfo/ds:KeyValue", NS):
            extra.getparent().remove(extra)
        ssp = signature.find(".//xades:SignedSignatureProperties", NS)
        ssp.find("xades:SigningTime", NS).text = signing_time
        certs = ssp.findall("xades:SigningCertificate/xades:Cert", NS)
        template = certs[0]
        for extra in certs[1:]:
            extra.getparent().remove(extra)
        for position, c in enumerate((cert, *chain)):
            node = template if position == 0 else copy.deepcopy(template)
            if position:
                template.getparent().append(node)
            method = node.find("xades:CertDigest/ds:DigestMethod", NS).get("Algorithm")
            node.find("xades:CertDigest/ds:DigestValue", NS).text = _b64digest(
                method, c.public_bytes(Encoding.DER)
            )
            node.find("xades:IssuerSerial/ds:X509IssuerName", NS).text = c.issuer.rfc4514_string()
            node.find("xades:IssuerSerial/ds:X509SerialNumber", NS).text = str(c.serial_number)
        if mutate is not None:
            mutate(root)

    return resign(data, key, change)


def signature(root: etree._Element) -> etree._Element:
    return root.find(".//ds:Signature", NS)


def swap(data: bytes, old: bytes, new: bytes) -> bytes:
    """Replace exactly one occurrence of ``old`` (byte-level tampering, no re-signing)."""
    assert data.count(old) == 1, (old, data.count(old))
    return data.replace(old, new)


# --- shared by the verifier tests (imported by name: 'conftest' is ambiguous across folders) ---

HERE = Path(__file__).resolve().parent

VECTORS = HERE.parent / "vectors" / "dian"
#: Verdicts from shared/vectors/SOURCES.md (own checker and xmlsec1 agreed on each).
VERDICTS = {
    "Kreo-one__dian-fe19-consumidor-final-invoice.xml": "VALID",
    "Kreo-one__dian-fe19-creditnote.xml": "VALID",
    "Kreo-one__dian-fe19-debitnote.xml": "VALID",
    "Kreo-one__dian-fe19-generica-pago-anticipado-invoice.xml": "VALID",
    "Kreo-one__dian-fe19-generica-invoice.xml": "PARTIAL",
    "Kreo-one__dian-fe19-ibua-invoice.xml": "PARTIAL",
    "Kreo-one__dian-fe19-radian-031-reclamo-applicationresponse.xml": "INVALID",
    "Kreo-one__dian-fe19-creditnote-sin-referencia.xml": "INVALID",
    "bit4bit__facho-selfsigned-invoice.xml": "VALID",
}
#: Verification time for documents signed under the test PKI (signer valid 2025-01-01 → 2027-01-01).
AT = t("2026-03-01T12:00:00")


class FakeRevocations:
    """A revocation source that knows the serials it was told about."""

    def __init__(self, revoked: dict[int, Revocation] | None = None) -> None:
        self.revoked = revoked or {}
        self.asked: list[int] = []

    def revocation_of(self, certificate: x509.Certificate) -> Revocation | None:
        self.asked.append(certificate.serial_number)
        return self.revoked.get(certificate.serial_number)



def failing(result: VerificationResult) -> list[str]:
    """The rule codes of the failed checks, in order."""
    return [c.rule for c in result.checks if c.status == "fail"]


def message(result: VerificationResult, rule: str) -> str:
    return " | ".join(c.message for c in result.checks if c.rule == rule and c.status == "fail")
