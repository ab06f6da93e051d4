"""Signers that make the classic mistakes, for the verifier's diagnosis tests (not product code).

:func:`sign` builds a DIAN-shaped XAdES-EPES signature the way template-based signers (Go's, PHP's)
do: the signature is written as text from templates, spliced into the unsigned invoice inside a
new ``ext:UBLExtension``, and its digests and SignatureValue are computed with lxml. Without
mistakes the result verifies (minica and xmlsec1 agree); each name in ``mistakes`` computes one
part the wrong way, as a real signer does:

* ``document-before-extension``: the document digest is taken on the unsigned invoice, before the
  ``ext:UBLExtension`` holding the signature is inserted (or, for a document without
  ``ext:UBLExtensions`` such as :data:`NO_EXTENSIONS`, before the whole wrapper is added);
* ``keyinfo-detached`` / ``signedproperties-detached``: the fragment is canonicalized on its own,
  parsed from its template (which declares only the namespaces it uses), not in the document;
  ``signedinfo-detached``: the SignatureValue signs ds:SignedInfo canonicalized as a copy of its
  own (declaring only ``xmlns:ds``), as signers that build it in a separate DOM document do;
* ``exclusive-keyinfo`` / ``exclusive-signedproperties``: exclusive C14N instead of the declared
  inclusive one; ``inclusive-signedproperties``: the reverse, when exclusive is declared;
* ``signing-time-late``: SignedProperties is digested while ``xades:SigningTime`` is still empty,
  and the time is written afterwards; ``signing-time-again``: digested with one time, then the
  time is taken again (1.234 s later) and written; ``signing-time-utc``: digested with the time
  in UTC (``…Z``), then written in Colombian time; ``signing-time-absent``: digested before the
  ``xades:SigningTime`` element was added; ``signing-time-precision``: digested with the time
  in whole seconds, then written with milliseconds;
* ``hex-digest``: the SignedProperties DigestValue is the base64 of the hex digest (PHP's
  ``base64_encode(hash('sha256', $c14n))``); ``sha1-keyinfo``: the KeyInfo digest is SHA-1 under
  a sha256 DigestMethod;
* ``signed-info-as-written``: the SignatureValue signs ds:SignedInfo's text as written in the
  output (no namespace declaration, not canonicalized);
* ``sha1-signature``: the SignatureValue is computed with SHA-1 under rsa-sha256;
* ``ca-in-keyinfo``: ds:KeyInfo holds the issuing CA's certificate (the keystore's first one), not
  the signer's;
* ``reindented``: the signed document is pretty-printed (``etree.indent``) after signing.
"""

from __future__ import annotations

import base64
import copy
import hashlib
import re
import subprocess
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding
from cryptography.hazmat.primitives.serialization import Encoding, NoEncryption, PrivateFormat
from lxml import etree
from verify_kit import DS, NS, XADES, Pki

ROOT = Path(__file__).resolve().parents[2]
UNSIGNED = (ROOT / "testdata" / "invoice-habilitacion.xml").read_bytes()
#: The invoice without its ext:UBLExtensions (and so without sts:DianExtensions): a signer must add
#: the whole wrapper, as for documents whose skeleton has no extension slot.
NO_EXTENSIONS = re.sub(rb"\s*<ext:UBLExtensions>.*</ext:UBLExtensions>", b"", UNSIGNED, flags=re.S)
C14N = "http://www.w3.org/TR/2001/REC-xml-c14n-20010315"
EXC_C14N = "http://www.w3.org/2001/10/xml-exc-c14n#"
ENVELOPED = "http://www.w3.org/2000/09/xmldsig#enveloped-signature"
SHA256 = "http://www.w3.org/2001/04/xmlenc#sha256"
RSA_SHA256 = "http://www.w3.org/2001/04/xmldsig-more#rsa-sha256"
POLICY = "https://facturaelectronica.dian.gov.co/politicadefirma/v2/politicadefirmav2.pdf"
POLICY_HASH = "dMoMvtcG5aIzgYo0tIsSQeVJBDnUnfSOfBpxXrmor0Y="
SIGNING_TIME = "2026-02-27T10:00:00.000-05:00"
ID = "xmldsig-5f1c0e2a-9d7b-4c3e-8a61-2b9f0d4e7c15"
PLACEHOLDER = "SIGNATURE-VALUE-PLACEHOLDER"
MISTAKES = frozenset({
    "document-before-extension", "keyinfo-detached", "signedproperties-detached", "signedinfo-detached",
    "exclusive-keyinfo",
    "exclusive-signedproperties", "inclusive-signedproperties", "signing-time-late", "signing-time-again",
    "signing-time-utc", "signing-time-absent", "signing-time-precision",
    "hex-digest", "sha1-keyinfo", "signed-info-as-written", "sha1-signature", "ca-in-keyinfo",
    "reindented",
})  # fmt: skip
ID_ATTRS = [
    "--id-attr:Id", "http://uri.etsi.org/01903/v1.3.2#:SignedProperties",
    "--id-attr:Id", "http://www.w3.org/2000/09/xmldsig#:KeyInfo",
]
XMLSEC = ["xmlsec1", "--verify", "--insecure", "--enabled-key-data", "x509", "--print-debug", *ID_ATTRS]


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


def _digest(data: bytes, name: str = "sha256") -> str:
    return _b64(hashlib.new(name, data).digest())


def _c14n(node: etree._Element | etree._ElementTree, exclusive: bool = False, prefixes: str | None = None) -> bytes:
    listed = prefixes.split() if exclusive and prefixes else None
    return etree.tostring(node, method="c14n", exclusive=exclusive, inclusive_ns_prefixes=listed)


def _inclusive_namespaces(algorithm: str, prefixes: str | None) -> str:
    """Exclusive C14N's ``ec:InclusiveNamespaces`` child, as xadesjs and Santuario write it."""
    if prefixes is None or not algorithm.startswith(EXC_C14N):
        return ""
    return f'<ec:InclusiveNamespaces xmlns:ec="{EXC_C14N}" PrefixList="{prefixes}"></ec:InclusiveNamespaces>'


def _transforms(*algorithms: str, prefixes: str | None = None) -> str:
    if not algorithms:
        return ""
    inner = "".join(
        f'<ds:Transform Algorithm="{a}">{_inclusive_namespaces(a, prefixes)}</ds:Transform>' for a in algorithms
    )
    return f"<ds:Transforms>{inner}</ds:Transforms>"


def templates(
    pki: Pki, *, c14n: str, transform: str | None, issuer_name: str | None, keyinfo_cert: x509.Certificate,
    signing_time: str, prefixes: str | None = None,
) -> tuple[str, str, str]:
    """The SignedInfo, KeyInfo and SignedProperties templates (digests as placeholders); KeyInfo and
    SignedProperties declare the namespaces they use, as template signers write them. ``prefixes``
    is the PrefixList of every exclusive canonicalization (``None``: no ec:InclusiveNamespaces)."""
    extra = (transform,) if transform else ()
    signed_info = (
        f'<ds:SignedInfo><ds:CanonicalizationMethod Algorithm="{c14n}">{_inclusive_namespaces(c14n, prefixes)}'
        f'</ds:CanonicalizationMethod><ds:SignatureMethod Algorithm="{RSA_SHA256}"></ds:SignatureMethod>'
        f'<ds:Reference Id="{ID}-ref0" URI="">{_transforms(ENVELOPED, *extra, prefixes=prefixes)}'
        f'<ds:DigestMethod Algorithm="{SHA256}"></ds:DigestMethod><ds:DigestValue>DIGEST0</ds:DigestValue>'
        f'</ds:Reference><ds:Reference URI="#{ID}-keyinfo">{_transforms(*extra, prefixes=prefixes)}'
        f'<ds:DigestMethod Algorithm="{SHA256}"></ds:DigestMethod><ds:DigestValue>DIGEST1</ds:DigestValue>'
        f'</ds:Reference><ds:Reference Type="http://uri.etsi.org/01903#SignedProperties" '
        f'URI="#{ID}-signedprops">{_transforms(*extra, prefixes=prefixes)}'
        f'<ds:DigestMethod Algorithm="{SHA256}"></ds:DigestMethod><ds:DigestValue>DIGEST2</ds:DigestValue>'
        f"</ds:Reference></ds:SignedInfo>"
    )
    key_info = (
        f'<ds:KeyInfo xmlns:ds="{DS}" Id="{ID}-keyinfo"><ds:X509Data><ds:X509Certificate>'
        f"{_b64(keyinfo_cert.public_bytes(Encoding.DER))}</ds:X509Certificate></ds:X509Data></ds:KeyInfo>"
    )
    cert = pki.signer
    properties = (
        f'<xades:SignedProperties xmlns:ds="{DS}" xmlns:xades="{XADES}" Id="{ID}-signedprops">'
        f"<xades:SignedSignatureProperties><xades:SigningTime>{signing_time}</xades:SigningTime>"
        f"<xades:SigningCertificate><xades:Cert><xades:CertDigest>"
        f'<ds:DigestMethod Algorithm="{SHA256}"></ds:DigestMethod>'
        f"<ds:DigestValue>{_digest(cert.public_bytes(Encoding.DER))}</ds:DigestValue></xades:CertDigest>"
        f"<xades:IssuerSerial><ds:X509IssuerName>{issuer_name or cert.issuer.rfc4514_string()}"
        f"</ds:X509IssuerName><ds:X509SerialNumber>{cert.serial_number}</ds:X509SerialNumber>"
        f"</xades:IssuerSerial></xades:Cert></xades:SigningCertificate>"
        f"<xades:SignaturePolicyIdentifier><xades:SignaturePolicyId><xades:SigPolicyId>"
        f"<xades:Identifier>{POLICY}</xades:Identifier></xades:SigPolicyId><xades:SigPolicyHash>"
        f'<ds:DigestMethod Algorithm="{SHA256}"></ds:DigestMethod><ds:DigestValue>{POLICY_HASH}'
        f"</ds:DigestValue></xades:SigPolicyHash></xades:SignaturePolicyId></xades:SignaturePolicyIdentifier>"
        f"<xades:SignerRole><xades:ClaimedRoles><xades:ClaimedRole>supplier</xades:ClaimedRole>"
        f"</xades:ClaimedRoles></xades:SignerRole></xades:SignedSignatureProperties></xades:SignedProperties>"
    )
    return signed_info, key_info, properties


def compact(document: bytes) -> bytes:
    """``document`` without whitespace between tags (what POL2 §16 recommends signing)."""
    parser = etree.XMLParser(remove_blank_text=True)
    return etree.tostring(etree.fromstring(document, parser).getroottree(), xml_declaration=True, encoding="UTF-8")


def sign(
    pki: Pki,
    mistakes: frozenset[str] | set[str] = frozenset(),
    *,
    unsigned: bytes = UNSIGNED,
    c14n: str = C14N,
    transform: str | None = None,
    issuer_name: str | None = None,
    signing_time: str = SIGNING_TIME,
    prefixes: str | None = None,
) -> bytes:
    """Sign ``unsigned`` with the test PKI's signer, making ``mistakes`` (see the module doc).

    ``c14n`` is the declared CanonicalizationMethod and ``transform`` an optional canonicalization
    transform declared on every reference; both are also what the correct computations use. With
    ``prefixes``, every exclusive one carries ``ec:InclusiveNamespaces PrefixList=prefixes``, and is
    computed with it.
    """
    assert set(mistakes) <= MISTAKES, set(mistakes) - MISTAKES
    exclusive = c14n.startswith(EXC_C14N)
    ref_exclusive = bool(transform and transform.startswith(EXC_C14N))
    keyinfo_cert = pki.intermediate if "ca-in-keyinfo" in mistakes else pki.signer
    signed_info, key_info, properties = templates(
        pki, c14n=c14n, transform=transform, issuer_name=issuer_name, keyinfo_cert=keyinfo_cert,
        signing_time=signing_time, prefixes=prefixes,
    )
    signature = (
        f'<ds:Signature xmlns:ds="{DS}" Id="{ID}">{signed_info}'
        f'<ds:SignatureValue Id="{ID}-sigvalue">{PLACEHOLDER}</ds:SignatureValue>{key_info}'
        f'<ds:Object><xades:QualifyingProperties xmlns:xades="{XADES}" Target="#{ID}">{properties}'
        f"</xades:QualifyingProperties></ds:Object></ds:Signature>"
    )
    extension = f"<ext:UBLExtension><ext:ExtensionContent>{signature}</ext:ExtensionContent></ext:UBLExtension>"
    if b"</ext:UBLExtensions>" in unsigned:
        assert unsigned.count(b"</ext:UBLExtensions>") == 1
        text = unsigned.replace(b"</ext:UBLExtensions>", extension.encode() + b"</ext:UBLExtensions>")
    else:  # no wrapper yet: add it as the root's first child
        root_start = re.search(rb"<(?!\?|!)[^>]*>", unsigned)
        assert root_start is not None
        wrapper = f"<ext:UBLExtensions>{extension}</ext:UBLExtensions>".encode()
        text = unsigned[: root_start.end()] + wrapper + unsigned[root_start.end():]
    tree = etree.fromstring(text).getroottree()
    sig = tree.find(".//ds:Signature", NS)
    digests = sig.findall("ds:SignedInfo/ds:Reference/ds:DigestValue", NS)

    # URI="": the enveloped transform, in the final document (or, by mistake, the unsigned one).
    if "document-before-extension" in mistakes:
        digests[0].text = _digest(_c14n(etree.fromstring(unsigned).getroottree(), ref_exclusive, prefixes))
    else:
        enveloped = copy.deepcopy(tree)
        gone = enveloped.find(".//ds:Signature", NS)
        gone.getparent().remove(gone)
        digests[0].text = _digest(_c14n(enveloped, ref_exclusive, prefixes))

    # KeyInfo: in place, or detached from its template.
    node = sig.find("ds:KeyInfo", NS)
    if "keyinfo-detached" in mistakes:
        data = _c14n(etree.fromstring(key_info))
    else:
        data = _c14n(node, ref_exclusive or "exclusive-keyinfo" in mistakes, prefixes)
    digests[1].text = _digest(data, "sha1" if "sha1-keyinfo" in mistakes else "sha256")

    # SignedProperties: SigningTime may be set after digesting (or set again).
    node = sig.find(".//xades:SignedProperties", NS)
    time = node.find(".//xades:SigningTime", NS)
    if "signing-time-late" in mistakes:
        time.text = None
    elif "signing-time-again" in mistakes:
        time.text = SIGNING_TIME.replace("10:00:00.000", "09:59:58.766")
    elif "signing-time-utc" in mistakes:
        time.text = "2026-02-27T15:00:00Z"
    elif "signing-time-precision" in mistakes:
        time.text = SIGNING_TIME.replace(".000", "")
    holder, place = time.getparent(), time.getparent().index(time)
    if "signing-time-absent" in mistakes:
        holder.remove(time)
    if "signedproperties-detached" in mistakes:
        data = _c14n(etree.fromstring(properties))
    else:
        use_exclusive = ref_exclusive or "exclusive-signedproperties" in mistakes
        data = _c14n(node, use_exclusive and "inclusive-signedproperties" not in mistakes, prefixes)
    if "signing-time-absent" in mistakes:
        holder.insert(place, time)
    time.text = signing_time
    if "hex-digest" in mistakes:
        digests[2].text = _b64(hashlib.sha256(data).hexdigest().encode())
    else:
        digests[2].text = _digest(data)

    # SignatureValue: over the canonical SignedInfo in place, or over its text as written.
    algorithm = hashes.SHA1() if "sha1-signature" in mistakes else hashes.SHA256()
    if "signed-info-as-written" in mistakes:
        written = etree.tostring(tree, xml_declaration=True, encoding="UTF-8")
        signed = re.search(rb"<ds:SignedInfo>.*?</ds:SignedInfo>", written, re.S).group(0)  # type: ignore[union-attr]
        value = pki.key.sign(signed, padding.PKCS1v15(), algorithm)
        output = written.replace(PLACEHOLDER.encode(), _b64(value).encode())
    else:
        signed_info_node = sig.find("ds:SignedInfo", NS)
        if "signedinfo-detached" in mistakes:  # its own document, declaring only what it uses
            signed_info_node = etree.fromstring(etree.tostring(signed_info_node))
            etree.cleanup_namespaces(signed_info_node)
        signed = _c14n(signed_info_node, exclusive, prefixes)
        sig.find("ds:SignatureValue", NS).text = _b64(pki.key.sign(signed, padding.PKCS1v15(), algorithm))
        output = etree.tostring(tree, xml_declaration=True, encoding="UTF-8")
    if "reindented" in mistakes:
        pretty = etree.fromstring(output).getroottree()
        etree.indent(pretty, space="  ")
        output = etree.tostring(pretty, xml_declaration=True, encoding="UTF-8")
    return output


def xmlsec1_sign(pki: Pki, template: bytes, folder: Path) -> bytes:
    """``template`` (a signed document) signed again by xmlsec1 itself: every DigestValue and the
    SignatureValue emptied, then computed by xmlsec1 (libxml2's own canonicalization)."""
    emptied = re.sub(rb"<ds:DigestValue>[^<]*</ds:DigestValue></ds:Reference>",
                     b"<ds:DigestValue></ds:DigestValue></ds:Reference>", template)
    emptied = re.sub(rb"(<ds:SignatureValue[^>]*>)[^<]*<", rb"\1<", emptied)
    key, source, output = folder / "xmlsec1-key.pem", folder / "xmlsec1-template.xml", folder / "xmlsec1-signed.xml"
    key.write_bytes(pki.key.private_bytes(Encoding.PEM, PrivateFormat.PKCS8, NoEncryption()))
    source.write_bytes(emptied)
    run = subprocess.run(
        ["xmlsec1", "--sign", "--privkey-pem", str(key), *ID_ATTRS, "--output", str(output), str(source)],
        capture_output=True, text=True, timeout=60, check=False,
    )
    assert run.returncode == 0, run.stderr
    return output.read_bytes()


def xmlsec1(path: Path) -> tuple[bool, int | None]:
    """xmlsec1's verdict on ``path`` and the 1-based index of the first reference it found broken
    (``None`` when every reference verified); xmlsec1 stops at the first broken one."""
    run = subprocess.run([*XMLSEC, str(path)], capture_output=True, text=True, timeout=60, check=False)
    counted = re.search(r"SignedInfo References \(ok/all\): (\d+)/(\d+)", run.stderr + run.stdout)
    assert counted is not None, run.stderr
    ok, seen = int(counted.group(1)), int(counted.group(2))
    return run.returncode == 0, (seen if ok < seen else None)
