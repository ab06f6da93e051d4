"""The ``ds:Signature`` minica emits, as text: the markup spliced into the document, and the
canonical forms (inclusive C14N 1.0) of the three parts its digests and SignatureValue cover.

The signer never parses its own signature back. Every part is written here from one template in
two renderings:

* **serialized**, the bytes that go into the document: empty elements self-closed, ``\\r`` as a
  character reference (a parser would turn a literal one into ``\\n``);
* **canonical**, what a verifier computes from those bytes after parsing them in place: the same
  elements with empty ones written as start and end tag, and on the apex element (``ds:SignedInfo``,
  ``ds:KeyInfo``, ``xades:SignedProperties``) every namespace declaration in scope there — the
  document's, sorted by prefix, the default one first — because inclusive C14N renders each
  apex's inherited namespaces (``reference/dian-xades-profile.md`` §7).

The templates are canonical already in everything else: attributes are written in canonical order
(no namespace, sorted by name), values never need attribute escaping (Ids, URIs and algorithm
names are ASCII without ``&<"``), there is no whitespace between elements, and text is escaped the
way C14N escapes it. The only free texts are the certificates' issuer names (and the constant
policy description and role); characters XML cannot carry there are refused.
"""

from __future__ import annotations

import base64
import datetime as _dt
import functools
import re
from collections.abc import Mapping, Sequence

from cryptography import x509
from cryptography.hazmat.primitives import serialization

from minica.clock import colombian
from minica.errors import InvalidInput
from minica.signing import namespaces as ns
from minica.signing import policy
from minica.signing.policy import DigestAlgorithm, SignerRole

#: Characters XML 1.0 cannot hold at all, even as character references.
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")
#: Prefixes the signature's own elements use, bound on ``ds:Signature``.
SIGNATURE_NAMESPACES = {"ds": ns.DS, "xades": ns.XADES}


def _text(value: str, canonical: bool) -> str:
    """Element text, escaped as C14N does (and ``\\r`` kept as itself through a reparse)."""
    if _NOT_XML.search(value):
        raise InvalidInput(
            "a certificate name holds characters XML cannot carry",
            "sign with a certificate whose names are printable text",
        )
    escaped = value.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return escaped.replace("\r", "&#xD;" if canonical else "&#13;")


def _attribute(value: str) -> str:
    """A namespace URI as C14N writes an attribute value."""
    escaped = value.replace("&", "&amp;").replace("<", "&lt;").replace('"', "&quot;")
    return escaped.replace("\t", "&#x9;").replace("\n", "&#xA;").replace("\r", "&#xD;")


def canonical_namespaces(in_scope: Mapping[str | None, str]) -> str:
    """The namespace declarations inclusive C14N writes on an apex element with ``in_scope``
    (lxml's ``nsmap``: prefix → URI, None for the default namespace), in canonical order."""
    return _canonical_namespaces(tuple(in_scope.items()))


@functools.lru_cache(maxsize=64)  # the documents of one program declare the same namespaces
def _canonical_namespaces(in_scope: tuple[tuple[str | None, str], ...]) -> str:
    parts = []
    for prefix, uri in sorted(in_scope, key=lambda item: item[0] or ""):
        name = "xmlns" if prefix is None else f"xmlns:{prefix}"
        parts.append(f' {name}="{_attribute(uri)}"')
    return "".join(parts)


def signing_time_text(value: _dt.datetime) -> str:
    """``2026-11-22T10:15:30.123-05:00``: Colombian time with milliseconds (profile §6.1)."""
    return colombian(value).isoformat(timespec="milliseconds")  # Colombia's offset is always -05:00


def _b64(value: bytes) -> str:
    return base64.b64encode(value).decode("ascii")


_Facts = tuple[str, str, str, int]
#: Facts by the certificate object's identity: a signer passes the same objects for every document,
#: and hashing a certificate costs about as much as the facts. The object is kept with its facts,
#: so its id cannot be reused while the entry lives.
_FACTS: dict[tuple[int, str], tuple[x509.Certificate, _Facts]] = {}


def _certificate_facts(certificate: x509.Certificate, digest: DigestAlgorithm) -> _Facts:
    """(base64 DER, its digest, issuer name, serial) of one certificate, remembered."""
    key = (id(certificate), digest.name)
    known = _FACTS.get(key)
    if known is not None and known[0] is certificate:
        return known[1]
    der = certificate.public_bytes(serialization.Encoding.DER)
    hashed = digest.new()
    hashed.update(der)
    facts = (_b64(der), _b64(hashed.digest()), certificate.issuer.rfc4514_string(), certificate.serial_number)
    if len(_FACTS) >= 64:
        _FACTS.clear()
    _FACTS[key] = (certificate, facts)
    return facts


def _digest_method(digest: DigestAlgorithm, canonical: bool) -> str:
    end = "></ds:DigestMethod>" if canonical else "/>"
    return f'<ds:DigestMethod Algorithm="{digest.digest_uri}"{end}'


@functools.lru_cache(maxsize=64)  # a signer signs every document with the same certificates
def _fixed_parts(
    certificates: tuple[_Facts, ...], digest: DigestAlgorithm, role: str, description: str
) -> tuple[str, tuple[str, str]]:
    """What a signer's signatures share: ``ds:X509Data``, and the rest of ``SignedProperties``
    after the signing time (signing certificates, policy, role), serialized and canonical."""
    x509_data = "".join(f"<ds:X509Certificate>{der}</ds:X509Certificate>" for der, _, _, _ in certificates)

    def properties(canonical: bool) -> str:
        method = _digest_method(digest, canonical)
        certs = "".join(
            f"<xades:Cert><xades:CertDigest>{method}<ds:DigestValue>{cert_digest}</ds:DigestValue>"
            "</xades:CertDigest><xades:IssuerSerial><ds:X509IssuerName>"
            f"{_text(issuer, canonical)}</ds:X509IssuerName><ds:X509SerialNumber>{serial}"
            "</ds:X509SerialNumber></xades:IssuerSerial></xades:Cert>"
            for _, cert_digest, issuer, serial in certificates
        )
        return (
            f"<xades:SigningCertificate>{certs}</xades:SigningCertificate>"
            "<xades:SignaturePolicyIdentifier><xades:SignaturePolicyId><xades:SigPolicyId>"
            f"<xades:Identifier>{policy.POLICY_V2}</xades:Identifier>"
            f"<xades:Description>{_text(description, canonical)}</xades:Description></xades:SigPolicyId>"
            f"<xades:SigPolicyHash>{method}<ds:DigestValue>{digest.policy_hash}</ds:DigestValue>"
            "</xades:SigPolicyHash></xades:SignaturePolicyId></xades:SignaturePolicyIdentifier>"
            "<xades:SignerRole><xades:ClaimedRoles>"
            f"<xades:ClaimedRole>{_text(role, canonical)}</xades:ClaimedRole>"
            "</xades:ClaimedRoles></xades:SignerRole>"
            "</xades:SignedSignatureProperties></xades:SignedProperties>"
        )

    return f"<ds:X509Data>{x509_data}</ds:X509Data>", (properties(False), properties(True))


class SignatureMarkup:
    """One signature's markup: everything known before the digests are (Id, certificates, time,
    role, policy), rendered serialized or canonical."""

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
        self.signing_time = signing_time_text(signing_time)
        certificates = tuple(_certificate_facts(c, digest) for c in (certificate, *chain))
        self._x509_data, self._properties = _fixed_parts(certificates, digest, role.value, description)

    def key_info(self, namespaces: str = "") -> str:
        """``ds:KeyInfo``; ``namespaces`` are the apex declarations of its canonical form (nothing
        else differs: it has no empty element and no free text)."""
        return f'<ds:KeyInfo{namespaces} Id="{self.sig_id}-keyinfo">{self._x509_data}</ds:KeyInfo>'

    def signed_properties(self, namespaces: str = "", *, canonical: bool = False) -> str:
        """``xades:SignedProperties``: signing time, signing certificates, policy, role."""
        return (
            f'<xades:SignedProperties{namespaces} Id="{self.sig_id}-signedprops">'
            f"<xades:SignedSignatureProperties><xades:SigningTime>{self.signing_time}</xades:SigningTime>"
            f"{self._properties[canonical]}"
        )

    def signed_info(self, digests: Sequence[str], namespaces: str = "", *, canonical: bool = False) -> str:
        """``ds:SignedInfo`` with the three reference digests: document, KeyInfo, SignedProperties."""
        sig_id = self.sig_id
        method = _digest_method(self.digest, canonical)
        end = "></ds:{}>" if canonical else "/>"
        doc, key_info, props = digests
        return (
            f"<ds:SignedInfo{namespaces}>"
            f'<ds:CanonicalizationMethod Algorithm="{ns.C14N}"{end.format("CanonicalizationMethod")}'
            f'<ds:SignatureMethod Algorithm="{self.digest.signature_uri}"{end.format("SignatureMethod")}'
            f'<ds:Reference Id="{sig_id}-ref0" URI=""><ds:Transforms>'
            f'<ds:Transform Algorithm="{ns.ENVELOPED}"{end.format("Transform")}</ds:Transforms>'
            f"{method}<ds:DigestValue>{doc}</ds:DigestValue></ds:Reference>"
            f'<ds:Reference URI="#{sig_id}-keyinfo">'
            f"{method}<ds:DigestValue>{key_info}</ds:DigestValue></ds:Reference>"
            f'<ds:Reference Type="{ns.SIGNED_PROPERTIES_TYPE}" URI="#{sig_id}-signedprops">'
            f"{method}<ds:DigestValue>{props}</ds:DigestValue></ds:Reference>"
            "</ds:SignedInfo>"
        )

    def signature(self, declare: Mapping[str, str], digests: Sequence[str], value: bytes) -> str:
        """The whole serialized ``ds:Signature``, declaring the prefixes in ``declare``."""
        xmlns = "".join(f' xmlns:{prefix}="{uri}"' for prefix, uri in declare.items())
        return (
            f'<ds:Signature{xmlns} Id="{self.sig_id}">{self.signed_info(digests)}'
            f'<ds:SignatureValue Id="{self.sig_id}-sigvalue">{_b64(value)}</ds:SignatureValue>'
            f'{self.key_info()}<ds:Object><xades:QualifyingProperties Target="#{self.sig_id}">'
            f"{self.signed_properties()}</xades:QualifyingProperties></ds:Object></ds:Signature>"
        )
