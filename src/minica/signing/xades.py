"""The low-level XAdES-EPES signer for DIAN's UBL documents (profile §12 "Emit").

This layer does the XML-DSig mechanics only; it does not decide whether a certificate *may* sign
(validity, revocation, environment store: DESIGN §7) — the caller checks that first.

How it works, and why:

* The document is parsed once. The signature (and the ``ext:UBLExtension`` around it, when one
  must be created) is put into that tree where it will finally be, and every digest is computed
  there: inclusive C14N pulls every ancestor's namespace declarations into the canonical form of
  ``ds:KeyInfo``, ``xades:SignedProperties`` and ``ds:SignedInfo`` (profile §7).
* The output is the *input's bytes* with the serialized signature spliced in at the right offset
  (:mod:`minica.signing.splice`), so encoding, XML declaration, BOM, CRLF and comments survive.
* The spliced text declares ``xmlns:ds``/``xmlns:xades``/``xmlns:ext`` only where they are not
  already in scope with the right URI; the copy put into the tree may carry them redundantly, which
  inclusive C14N does not render, so the digested canonical bytes equal those a verifier computes
  from the output.
* No whitespace inside the signature: C14N keeps whitespace text, and DIAN advises against it
  (profile §8).
"""

from __future__ import annotations

import base64
import datetime as _dt
import functools
import re
import uuid
from collections.abc import Sequence
from typing import Any
from xml.sax.saxutils import escape

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from lxml import etree

from minica.clock import colombian
from minica.errors import InvalidInput
from minica.signing import namespaces as ns
from minica.signing import policy
from minica.signing.document import SignatureSlot, SlotMode, UblDocument, Wrapper
from minica.signing.policy import DigestAlgorithm, SignerRole
from minica.signing.splice import codec_of, splice, target
from minica.signing.xmlsafe import MAX_XML_BYTES, parse_xml

_NCNAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_.\-]*$")
_HASHES: dict[str, type[hashes.HashAlgorithm]] = {
    "sha256": hashes.SHA256,
    "sha384": hashes.SHA384,
    "sha512": hashes.SHA512,
}
_DECLARE = {"ds": ns.DS, "xades": ns.XADES}
#: Above this size the document's canonical form is streamed into the hash (bounded memory).
_STREAM_ABOVE = 2 * 1024 * 1024
_FRAGMENT_PARSER = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False)


class _Hasher:
    """A file-like sink so lxml can stream C14N into the hash instead of building big bytes."""

    def __init__(self, algorithm: DigestAlgorithm) -> None:
        self.hash = algorithm.new()

    def write(self, chunk: bytes) -> int:
        self.hash.update(chunk)
        return len(chunk)


def sign_document(
    data: bytes,
    *,
    key: rsa.RSAPrivateKey,
    certificate: x509.Certificate,
    chain: Sequence[x509.Certificate] = (),
    signing_time: _dt.datetime,
    role: SignerRole = SignerRole.SUPPLIER,
    digest: DigestAlgorithm = policy.SHA256,
    signature_id: str | None = None,
    max_bytes: int = MAX_XML_BYTES,
) -> bytes:
    """Sign a DIAN UBL document (or payroll document) with one enveloped XAdES-EPES signature.

    Takes the unsigned document's bytes, the signer's RSA key and certificate, optionally the CA
    certificates above it (added to KeyInfo and SigningCertificate, issuing CA first), the signing
    time (timezone-aware; written in Colombian time, ``-05:00``, to the millisecond), the claimed
    role and the digest (sha256/384/512; the RSA signature uses the same hash).

    Returns the input bytes with the signature inserted where DIAN wants it; nothing else changes.

    Raises HostileXml (DTD, entities, too large) before any work, MalformedXml (not XML, or not a
    DIAN document), InvalidInput (already signed; key not matching the certificate; bad Id),
    TypeError / ValueError for wrong argument types or a naive time.
    """
    _check_arguments(key, certificate, chain, role, digest, signing_time)
    sig_id = _signature_id(signature_id)
    tree = parse_xml(data, max_bytes=max_bytes)
    document = UblDocument.from_tree(tree, raw=bytes(data))
    slot = document.signature_slot()
    codec = codec_of(tree.docinfo.encoding)
    where = target(document.root, slot.anchor, slot.mode)
    scope: dict[Any, str] = (
        slot.anchor.getparent() if slot.mode is SlotMode.AFTER else slot.anchor
    ).nsmap

    # 1. The wrapper, then the document digest (enveloped: everything but the ds:Signature).
    declare_ext = scope.get("ext") != ns.EXT
    content = _insert_wrapper(slot)
    if len(data) <= _STREAM_ABOVE:
        hashed = digest.new()
        hashed.update(etree.tostring(tree, method="c14n", exclusive=False, with_comments=False))
    else:  # big documents: stream the canonical form into the hash instead of holding it
        hasher = _Hasher(digest)
        tree.write_c14n(hasher, exclusive=False, with_comments=False)
        hashed = hasher.hash
    document_digest = _b64(hashed.digest())

    # 2. The signature with everything but SignedInfo's digests, in place; then its digests.
    declare = {p: uri for p, uri in _DECLARE.items() if scope.get(p) != uri}
    description = (
        policy.POLICY_DESCRIPTION_NOMINA if document.kind.is_nomina else policy.POLICY_DESCRIPTION
    )
    body = _Body(sig_id, digest, certificate, chain, signing_time, role, description)
    parsed = etree.fromstring(
        body.signature(_DECLARE, ("", "", ""), "").encode("utf-8"),
        parser=_FRAGMENT_PARSER,
    )
    content.append(parsed)
    key_info = parsed[2]
    signed_props = parsed[3][0][0]
    digests = (document_digest, _c14n_digest(key_info, digest), _c14n_digest(signed_props, digest))
    signed_info = parsed[0]
    for reference, digest_value in zip(
        signed_info.iterchildren(f"{{{ns.DS}}}Reference"), digests, strict=True
    ):
        reference[-1].text = digest_value

    # 3. The signature value over SignedInfo in place.
    canonical = etree.tostring(signed_info, method="c14n", exclusive=False, with_comments=False)
    value = key.sign(canonical, padding.PKCS1v15(), _HASHES[digest.name]())

    fragment = body.signature(declare, digests, _b64(value))
    fragment = _wrap(fragment, slot.wrapper, declare_ext)
    return splice(bytes(data), codec, where, fragment)


def _check_arguments(
    key: object,
    certificate: object,
    chain: Sequence[object],
    role: object,
    digest: object,
    signing_time: object,
) -> None:
    if not isinstance(key, rsa.RSAPrivateKey):
        raise TypeError("key must be an RSA private key (DIAN accepts RSA signatures only)")
    if not isinstance(certificate, x509.Certificate):
        raise TypeError("certificate must be a cryptography x509.Certificate")
    if not all(isinstance(c, x509.Certificate) for c in chain):
        raise TypeError("chain must hold x509.Certificate objects")
    if not isinstance(role, SignerRole):
        raise TypeError("role must be a SignerRole")
    if not isinstance(digest, DigestAlgorithm) or digest.name not in _HASHES:
        raise TypeError("digest must be policy.SHA256, SHA384 or SHA512")
    if not isinstance(signing_time, _dt.datetime):
        raise TypeError("signing_time must be a datetime")
    colombian(signing_time)  # refuses naive times
    public = certificate.public_key()
    if not isinstance(public, rsa.RSAPublicKey) or public != key.public_key():
        raise InvalidInput(
            "the private key does not belong to the signing certificate",
            "use the key and certificate from the same keystore entry",
        )


def _signature_id(given: str | None) -> str:
    if given is None:
        return f"xmldsig-{uuid.uuid4()}"
    if not isinstance(given, str) or not _NCNAME.match(given):
        raise InvalidInput(
            f"'{given}' cannot be an XML Id", "use letters, digits, '-', '_' or '.', e.g. xmldsig-<uuid>"
        )
    return given


def _insert_wrapper(slot: SignatureSlot) -> etree._Element:
    """Create the extension elements in the tree; return the ExtensionContent to sign into."""
    if slot.wrapper is Wrapper.NONE:
        return slot.anchor
    # The same elements the spliced text holds; a redundant xmlns:ext here is not rendered by C14N.
    nsmap = {"ext": ns.EXT}
    new = etree.Element(f"{{{ns.EXT}}}UBLExtension", nsmap=nsmap)
    content = etree.SubElement(new, f"{{{ns.EXT}}}ExtensionContent", nsmap=nsmap)
    if slot.wrapper is Wrapper.EXTENSIONS:
        outer = etree.Element(f"{{{ns.EXT}}}UBLExtensions", nsmap=nsmap)
        outer.append(new)
        new = outer
    anchor = slot.anchor
    if slot.mode is SlotMode.APPEND:
        anchor.append(new)
    elif slot.mode is SlotMode.PREPEND:
        anchor.insert(0, new)
    else:
        tail, anchor.tail = anchor.tail, None  # bytes: </anchor><new/>tail
        anchor.addnext(new)
        new.tail = tail
    return content


def _wrap(signature: str, wrapper: Wrapper, declare_ext: bool) -> str:
    if wrapper is Wrapper.NONE:
        return signature
    xmlns = f' xmlns:ext="{ns.EXT}"' if declare_ext else ""
    if wrapper is Wrapper.EXTENSION:
        return (
            f"<ext:UBLExtension{xmlns}><ext:ExtensionContent>{signature}"
            "</ext:ExtensionContent></ext:UBLExtension>"
        )
    return (
        f"<ext:UBLExtensions{xmlns}><ext:UBLExtension><ext:ExtensionContent>{signature}"
        "</ext:ExtensionContent></ext:UBLExtension></ext:UBLExtensions>"
    )


def _c14n_digest(element: etree._Element, digest: DigestAlgorithm) -> str:
    canonical = etree.tostring(element, method="c14n", exclusive=False, with_comments=False)
    hashed = digest.new()
    hashed.update(canonical)
    return _b64(hashed.digest())


def _b64(value: bytes) -> str:
    return base64.b64encode(value).decode("ascii")


def signing_time_text(value: _dt.datetime) -> str:
    """``2026-11-22T10:15:30.123-05:00``: Colombian time with milliseconds (profile §6.1)."""
    local = colombian(value)
    return f"{local:%Y-%m-%dT%H:%M:%S}.{local.microsecond // 1000:03d}-05:00"


@functools.lru_cache(maxsize=32)
def _certificate_xml(certificate: x509.Certificate, digest: DigestAlgorithm) -> tuple[str, str]:
    """(ds:X509Certificate, xades:Cert) for one certificate; cached, as a batch reuses one signer."""
    der = certificate.public_bytes(serialization.Encoding.DER)
    hashed = digest.new()
    hashed.update(der)
    method = f'<ds:DigestMethod Algorithm="{digest.digest_uri}"/>'
    cert = (
        f"<xades:Cert><xades:CertDigest>{method}<ds:DigestValue>{_b64(hashed.digest())}"
        "</ds:DigestValue></xades:CertDigest><xades:IssuerSerial><ds:X509IssuerName>"
        f"{escape(certificate.issuer.rfc4514_string())}</ds:X509IssuerName><ds:X509SerialNumber>"
        f"{certificate.serial_number}</ds:X509SerialNumber></xades:IssuerSerial></xades:Cert>"
    )
    return f"<ds:X509Certificate>{_b64(der)}</ds:X509Certificate>", cert


class _Body:
    """The serialized ds:Signature, built as text so we know its exact bytes."""

    def __init__(
        self,
        sig_id: str,
        digest: DigestAlgorithm,
        certificate: x509.Certificate,
        chain: Sequence[x509.Certificate],
        signing_time: _dt.datetime,
        role: SignerRole,
        description: str,
    ) -> None:
        self.sig_id = sig_id
        self.digest = digest
        certs = [_certificate_xml(c, digest) for c in (certificate, *chain)]
        key_info = "".join(x509_certificate for x509_certificate, _ in certs)
        self.key_info = (
            f'<ds:KeyInfo Id="{sig_id}-keyinfo"><ds:X509Data>{key_info}</ds:X509Data></ds:KeyInfo>'
        )
        cert_parts = [cert for _, cert in certs]
        method = f'<ds:DigestMethod Algorithm="{digest.digest_uri}"/>'
        self.object = (
            f'<ds:Object><xades:QualifyingProperties Target="#{sig_id}">'
            f'<xades:SignedProperties Id="{sig_id}-signedprops"><xades:SignedSignatureProperties>'
            f"<xades:SigningTime>{signing_time_text(signing_time)}</xades:SigningTime>"
            f"<xades:SigningCertificate>{''.join(cert_parts)}</xades:SigningCertificate>"
            "<xades:SignaturePolicyIdentifier><xades:SignaturePolicyId><xades:SigPolicyId>"
            f"<xades:Identifier>{policy.POLICY_V2}</xades:Identifier>"
            f"<xades:Description>{escape(description)}</xades:Description></xades:SigPolicyId>"
            f"<xades:SigPolicyHash>{method}<ds:DigestValue>{digest.policy_hash}</ds:DigestValue>"
            "</xades:SigPolicyHash></xades:SignaturePolicyId></xades:SignaturePolicyIdentifier>"
            "<xades:SignerRole><xades:ClaimedRoles>"
            f"<xades:ClaimedRole>{escape(role.value)}</xades:ClaimedRole>"
            "</xades:ClaimedRoles></xades:SignerRole>"
            "</xades:SignedSignatureProperties></xades:SignedProperties>"
            "</xades:QualifyingProperties></ds:Object>"
        )

    def signature(self, declare: dict[str, str], digests: Sequence[str], value: str) -> str:
        """The whole ds:Signature with the given namespace declarations, digests and value."""
        sig_id = self.sig_id
        xmlns = "".join(f' xmlns:{p}="{uri}"' for p, uri in declare.items())
        method = f'<ds:DigestMethod Algorithm="{self.digest.digest_uri}"/>'
        doc, key_info, props = digests
        return (
            f'<ds:Signature{xmlns} Id="{sig_id}"><ds:SignedInfo>'
            f'<ds:CanonicalizationMethod Algorithm="{ns.C14N}"/>'
            f'<ds:SignatureMethod Algorithm="{self.digest.signature_uri}"/>'
            f'<ds:Reference Id="{sig_id}-ref0" URI=""><ds:Transforms>'
            f'<ds:Transform Algorithm="{ns.ENVELOPED}"/></ds:Transforms>'
            f"{method}<ds:DigestValue>{doc}</ds:DigestValue></ds:Reference>"
            f'<ds:Reference URI="#{sig_id}-keyinfo">'
            f"{method}<ds:DigestValue>{key_info}</ds:DigestValue></ds:Reference>"
            f'<ds:Reference Type="{ns.SIGNED_PROPERTIES_TYPE}" URI="#{sig_id}-signedprops">'
            f"{method}<ds:DigestValue>{props}</ds:DigestValue></ds:Reference>"
            f'</ds:SignedInfo><ds:SignatureValue Id="{sig_id}-sigvalue">{value}</ds:SignatureValue>'
            f"{self.key_info}{self.object}</ds:Signature>"
        )
