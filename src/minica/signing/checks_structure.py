"""Structure and signature-wrapping checks: find the one signature and what each reference signs.

Runs on the tree parsed from the caller's bytes and never changes it. Reference targets are
resolved by ``@Id`` only, after refusing duplicate Ids, so what is digested is exactly what the
later checks read (the classic wrapping attacks need the two to differ).
"""

from __future__ import annotations

import base64
import binascii
import functools
import re
from dataclasses import dataclass, field
from typing import Literal

from cryptography import x509
from lxml import etree

from minica.ca.names import display_name
from minica.signing import canonical, cert_memo
from minica.signing import namespaces as ns
from minica.signing.canonical import Canonicalization
from minica.signing.document_index import DocumentIndex
from minica.signing.report import Check, Status

Role = Literal["document", "keyinfo", "signedproperties", "other"]

_NS = {"ds": ns.DS, "xades": ns.XADES, "ext": ns.EXT}
_DS = f"{{{ns.DS}}}"
_XADES = f"{{{ns.XADES}}}"
_EXT = f"{{{ns.EXT}}}"
_SAME_DOCUMENT_ID = re.compile(r"^#[A-Za-z_][\w.\-]*$")

#: Digest URIs allowed by DIAN's Regla-4, and the SHA-1 ones refused with their own message.
DIGEST_NAMES = {ns.SHA256: "sha256", ns.SHA384: "sha384", ns.SHA512: "sha512"}
SIGNATURE_HASHES = {ns.RSA_SHA256: "sha256", ns.RSA_SHA384: "sha384", ns.RSA_SHA512: "sha512"}
_SHA1_URIS = {
    ns.SHA1,
    ns.RSA_SHA1,
    "http://www.w3.org/2001/04/xmlenc#sha1",
    "http://www.w3.org/2001/04/xmldsig-more#rsa-sha1",
}


class Checks:
    """An ordered, append-only list of :class:`Check` being built."""

    def __init__(self) -> None:
        self.items: list[Check] = []

    def add(self, rule: str, status: Status, message: str, cause: str | None = None) -> bool:
        self.items.append(Check(rule, status, message, cause))
        return status != "fail"

    def passed(self, rule: str, message: str) -> bool:
        return self.add(rule, "pass", message)

    def failed(self, rule: str, message: str) -> bool:
        return self.add(rule, "fail", message)


@dataclass
class Reference:
    """One ``ds:Reference`` and the element it resolves to (``None`` for ``URI=""``)."""

    index: int
    element: etree._Element
    uri: str | None
    role: Role
    target: etree._Element | None
    digest_uri: str
    digest_value: str
    transforms: tuple[str, ...]
    #: How the referenced content is canonicalized (its declared transform, else inclusive C14N
    #: 1.0); ``None`` when its transforms are not ones minica computes.
    canonicalization: Canonicalization | None = None

    @property
    def label(self) -> str:
        return f"reference #{self.index + 1} (URI='{self.uri}', {self.role})"


@dataclass
class SignatureParts:
    """The pieces of the signature being verified, located by :func:`locate`."""

    signature: etree._Element
    signed_info: etree._Element | None = None
    signature_method: str = ""
    #: The declared ds:CanonicalizationMethod, ``None`` when it is not one minica computes.
    canonicalization: Canonicalization | None = None
    references: list[Reference] = field(default_factory=list)
    key_info: etree._Element | None = None
    certificate: x509.Certificate | None = None
    extra_certificates: list[x509.Certificate] = field(default_factory=list)
    signed_properties: etree._Element | None = None
    signed_signature_properties: etree._Element | None = None
    structure_ok: bool = True

    def reference(self, role: Role) -> Reference | None:
        found = [r for r in self.references if r.role == role]
        return found[0] if len(found) == 1 else None


def subject_text(certificate: x509.Certificate) -> str:
    """The certificate's subject as an RFC 4514 string with attribute names (``title=``,
    ``serialNumber=``, as ``check`` writes it; remembered: it is asked for several times)."""
    return _subject_text(cert_memo.der(certificate))


@functools.lru_cache(maxsize=64)
def _subject_text(encoded: bytes) -> str:
    return display_name(x509.load_der_x509_certificate(encoded).subject)


def describe(element: etree._Element) -> str:
    """A readable location path such as ``/Invoice/ext:UBLExtensions/ext:UBLExtension[2]``."""
    steps: list[str] = []
    node: etree._Element | None = element
    while node is not None:
        tag = node.tag
        local = str(tag).rpartition("}")[2]
        name = f"{node.prefix}:{local}" if node.prefix else local
        parent = node.getparent()
        if parent is not None:
            before = len(list(node.itersiblings(tag, preceding=True)))
            if before or next(node.itersiblings(tag), None) is not None:
                name += f"[{before + 1}]"
        steps.append(name)
        node = parent
    return "/" + "/".join(reversed(steps))


def _in_extension(signature: etree._Element, root: etree._Element) -> bool:
    content = signature.getparent()
    extension = content.getparent() if content is not None else None
    extensions = extension.getparent() if extension is not None else None
    return (
        content is not None
        and content.tag == _EXT + "ExtensionContent"
        and extension is not None
        and extension.tag == _EXT + "UBLExtension"
        and extensions is not None
        and extensions.tag == _EXT + "UBLExtensions"
        and extensions.getparent() is root
    )


def _text(element: etree._Element | None) -> str:
    return "".join(element.itertext()).strip() if element is not None else ""


def _check_algorithm(out: Checks, rule: str, what: str, uri: str, allowed: dict[str, str]) -> bool:
    if uri in allowed:
        return out.passed(rule, f"{what} is {uri}")
    if uri in _SHA1_URIS:
        return out.failed(
            rule, f"{what} is SHA-1 ({uri}): refused, DIAN's policy v2 allows only SHA-256/384/512"
        )
    return out.failed(
        rule, f"{what} is '{uri}', expected one of {', '.join(sorted(allowed))}"
    )


def locate(root: etree._Element, out: Checks, index: DocumentIndex | None = None) -> SignatureParts | None:
    """Find the signature, check its structure and resolve its references.

    Appends DC01, AA04, MINICA-DUPLICATE-ID, DC02–DC07, DC08/DC11/DC14, DC10, DC13, ZD06, DC20,
    MINICA-REFERENCE-URI / -TARGET, MINICA-TRANSFORMS, MINICA-SIGNED-PROPERTIES-LOCATION and
    MINICA-QUALIFYING-TARGET checks to ``out``. Returns ``None`` when there is no signature at all.
    ``index`` is ``root``'s (made here when not given). Establishes nothing cryptographic.
    """
    if index is None:
        index = DocumentIndex(root)
    signatures = index.signatures
    if not signatures:
        out.failed(
            "DC01",
            "no ds:Signature found; expected one at /<root>/ext:UBLExtensions/ext:UBLExtension/"
            "ext:ExtensionContent/ds:Signature",
        )
        return None
    placed = [s for s in signatures if _in_extension(s, root)]
    signature = placed[0] if placed else signatures[0]
    parts = SignatureParts(signature=signature)
    if placed:
        out.passed("DC01", f"signature at {describe(signature)}")
    else:
        parts.structure_ok = out.failed(
            "DC01",
            f"ds:Signature is at {describe(signature)}; expected it in a UBL extension, "
            "/<root>/ext:UBLExtensions/ext:UBLExtension/ext:ExtensionContent/ds:Signature",
        )
    if len(signatures) == 1:
        out.passed("AA04", "exactly one ds:Signature in the document")
    else:
        where = ", ".join(describe(s) for s in signatures)
        parts.structure_ok = out.failed(
            "AA04",
            f"{len(signatures)} ds:Signature elements found ({where}); DIAN allows exactly one "
            "(refused: a second signature is a wrapping vector)",
        )

    ids: dict[str, list[etree._Element]] = {}
    for element in index.with_id(signature):
        ids.setdefault(element.get("Id"), []).append(element)
    duplicates = {k: v for k, v in ids.items() if len(v) > 1}
    if duplicates:
        value, elements = next(iter(duplicates.items()))
        parts.structure_ok = out.failed(
            "MINICA-DUPLICATE-ID",
            f"Id '{value}' appears {len(elements)} times ("
            + ", ".join(describe(e) for e in elements)
            + f"){' and ' + str(len(duplicates) - 1) + ' more Ids repeat' if len(duplicates) > 1 else ''}"
            "; every Id must be unique (refused: duplicate Ids enable signature wrapping)",
        )
    else:
        out.passed("MINICA-DUPLICATE-ID", f"all {len(ids)} Id attributes are unique")

    _locate_key_info(parts, out)
    _locate_properties(parts, index, out)

    signed_info = signature.find(_DS + "SignedInfo")
    if signed_info is None:
        parts.structure_ok = out.failed("DC02", "ds:Signature has no ds:SignedInfo child")
        return parts
    parts.signed_info = signed_info
    _check_canonicalization(parts, signed_info.find(_DS + "CanonicalizationMethod"), out)
    method = signed_info.find(_DS + "SignatureMethod")
    parts.signature_method = method.get("Algorithm", "") if method is not None else ""
    if not _check_algorithm(
        out, "DC04", "ds:SignatureMethod", parts.signature_method, SIGNATURE_HASHES
    ):
        parts.structure_ok = False

    elements = signed_info.findall(_DS + "Reference")
    if len(elements) == 3:
        out.passed("DC02", "ds:SignedInfo has exactly three ds:Reference")
    else:
        parts.structure_ok = out.failed(
            "DC02", f"ds:SignedInfo has {len(elements)} ds:Reference, expected exactly three"
        )
    for number, element in enumerate(elements):
        parts.references.append(_resolve(parts, number, element, ids, out))
    _check_roles(parts, out)
    return parts


def _check_canonicalization(
    parts: SignatureParts, method: etree._Element | None, out: Checks
) -> None:
    """DC03: DIAN wants inclusive C14N 1.0; another known algorithm is a profile failure only."""
    uri = method.get("Algorithm", "") if method is not None else ""
    parts.canonicalization = canonical.declared(method) if method is not None else None
    if parts.canonicalization is not None and parts.canonicalization.is_dian:
        out.passed("DC03", f"ds:CanonicalizationMethod is {ns.C14N}")
    elif parts.canonicalization is not None:
        out.failed(
            "DC03",
            f"ds:CanonicalizationMethod is {parts.canonicalization.name} ({uri}): not DIAN's "
            f"profile, which requires inclusive C14N 1.0 ({ns.C14N}); the SignatureValue is still "
            "checked with the declared algorithm (ZE02)",
        )
    else:
        parts.structure_ok = out.failed(
            "DC03",
            f"ds:CanonicalizationMethod is '{uri}', expected {ns.C14N} (an algorithm minica does "
            "not compute: the SignatureValue is not checked)",
        )


def _reference_canonicalization(
    ref: Reference, out: Checks, rule: str, prefix: tuple[str, ...]
) -> bool:
    """Check ``ref``'s transforms are ``prefix`` plus at most one known canonicalization and set
    ``ref.canonicalization``; a canonicalization other than DIAN's fails ``rule`` as profile only."""
    elements = ref.element.findall(f"{_DS}Transforms/{_DS}Transform")
    expected = f"[{', '.join(prefix)}] or [{', '.join([*prefix, ns.C14N])}]" if prefix else f"none or [{ns.C14N}]"
    rest = elements[len(prefix):]
    if ref.transforms[: len(prefix)] != prefix or len(rest) > 1:
        ref.canonicalization = None
    else:
        ref.canonicalization = canonical.declared(rest[0]) if rest else canonical.INCLUSIVE
    if ref.canonicalization is None:
        return out.failed(
            rule, f"{ref.label} has transforms {list(ref.transforms)}; expected {expected} "
            "(transforms minica does not compute: its digest is not checked)",
        )
    if not ref.canonicalization.is_dian:
        out.failed(
            rule, f"{ref.label} is canonicalized with {ref.canonicalization.name}: not DIAN's "
            f"profile (inclusive C14N 1.0: transforms {expected}); its digest is still checked with it "
            "(ZE02)",
        )
        return True
    return out.passed(rule, f"{ref.label} has transforms {list(ref.transforms)}")


def _locate_key_info(parts: SignatureParts, out: Checks) -> None:
    key_info = parts.signature.find(_DS + "KeyInfo")
    parts.key_info = key_info
    blobs = key_info.findall(f"{_DS}X509Data/{_DS}X509Certificate") if key_info is not None else []
    if not blobs:
        parts.structure_ok = out.failed(
            "ZD06", "no ds:KeyInfo/ds:X509Data/ds:X509Certificate in this signature"
        )
        return
    certificates: list[x509.Certificate] = []
    for blob in blobs:
        try:
            der = base64.b64decode("".join(_text(blob).split()), validate=True)
            certificate = x509.load_der_x509_certificate(der)
            cert_memo.remember(certificate, der)
            certificates.append(certificate)
        except (binascii.Error, ValueError) as exc:
            parts.structure_ok = out.failed(
                "ZD06", f"ds:X509Certificate at {describe(blob)} is not a DER certificate: {exc}"
            )
            return
    parts.certificate, parts.extra_certificates = certificates[0], certificates[1:]
    out.passed(
        "ZD06",
        f"signer certificate in ds:KeyInfo: {subject_text(parts.certificate)}",
    )


def _locate_properties(parts: SignatureParts, index: DocumentIndex, out: Checks) -> None:
    signature = parts.signature
    qualifying = signature.findall(f"{_DS}Object/{_XADES}QualifyingProperties")
    own = [sp for q in qualifying for sp in q.findall(_XADES + "SignedProperties")]
    everywhere = index.signed_properties
    if len(qualifying) != 1 or len(own) != 1:
        parts.structure_ok = out.failed(
            "DC20",
            f"this signature has {len(qualifying)} ds:Object/xades:QualifyingProperties and "
            f"{len(own)} xades:SignedProperties under them; expected exactly one of each",
        )
    else:
        ssp = own[0].findall(_XADES + "SignedSignatureProperties")
        if len(ssp) != 1:
            parts.structure_ok = out.failed(
                "DC20",
                f"xades:SignedProperties has {len(ssp)} xades:SignedSignatureProperties, expected one",
            )
        else:
            parts.signed_properties, parts.signed_signature_properties = own[0], ssp[0]
            out.passed("DC20", "ds:Object/xades:QualifyingProperties/xades:SignedProperties present")
        target = qualifying[0].get("Target")
        expected = "#" + (signature.get("Id") or "")
        if signature.get("Id") and target == expected:
            out.passed("MINICA-QUALIFYING-TARGET", f"QualifyingProperties/@Target is '{target}'")
        else:
            parts.structure_ok = out.failed(
                "MINICA-QUALIFYING-TARGET",
                f"xades:QualifyingProperties/@Target is '{target}', expected '{expected}' "
                "(the Id of this ds:Signature)",
            )
    stray = [sp for sp in everywhere if sp not in own]
    if stray:
        parts.structure_ok = out.failed(
            "MINICA-SIGNED-PROPERTIES-LOCATION",
            "xades:SignedProperties outside this signature's ds:Object at "
            + ", ".join(describe(s) for s in stray)
            + " (refused: signed properties must sit under this signature's "
            "ds:Object/xades:QualifyingProperties)",
        )
    elif own:
        out.passed(
            "MINICA-SIGNED-PROPERTIES-LOCATION",
            "the only xades:SignedProperties is under this signature's ds:Object",
        )


def _resolve(
    parts: SignatureParts,
    index: int,
    element: etree._Element,
    ids: dict[str, list[etree._Element]],
    out: Checks,
) -> Reference:
    uri = element.get("URI")
    transforms = tuple(
        t.get("Algorithm", "") for t in element.findall(f"{_DS}Transforms/{_DS}Transform")
    )
    method = element.find(_DS + "DigestMethod")
    ref = Reference(
        index=index,
        element=element,
        uri=uri,
        role="other",
        target=None,
        digest_uri=method.get("Algorithm", "") if method is not None else "",
        digest_value=_text(element.find(_DS + "DigestValue")),
        transforms=transforms,
    )
    label = f"reference #{index + 1} (URI='{uri}')"
    if uri == "":
        ref.role = "document"
        out.passed("MINICA-REFERENCE-URI", f"{label} is the whole document")
        return ref
    if uri is None or not _SAME_DOCUMENT_ID.match(uri):
        kind = "an XPointer" if uri and uri.startswith("#xpointer") else "an external or unsupported"
        if uri is None:
            kind = "a missing"
        parts.structure_ok = out.failed(
            "MINICA-REFERENCE-URI",
            f"{label} is {kind} URI; only URI=\"\" and URI=\"#<Id>\" are accepted "
            "(refused: XPointer and external references)",
        )
        return ref
    found = ids.get(uri[1:], [])
    if len(found) != 1:
        parts.structure_ok = out.failed(
            "MINICA-REFERENCE-URI",
            f"{label} resolves to {len(found)} elements; expected exactly one element with that Id",
        )
        return ref
    target = found[0]
    ref.target = target
    out.passed("MINICA-REFERENCE-URI", f"{label} resolves to {describe(target)}")
    if target is parts.key_info:
        ref.role = "keyinfo"
    elif target is not None and target is parts.signed_properties:
        ref.role = "signedproperties"
    elif target.tag == _XADES + "SignedProperties":
        parts.structure_ok = out.failed(
            "MINICA-SIGNED-PROPERTIES-LOCATION",
            f"{label} points at xades:SignedProperties at {describe(target)}, which is not "
            "under this signature's ds:Object/xades:QualifyingProperties",
        )
    else:
        parts.structure_ok = out.failed(
            "MINICA-REFERENCE-TARGET",
            f"{label} resolves to {describe(target)}; only the whole document (URI=\"\"), this "
            "signature's ds:KeyInfo or its xades:SignedProperties may be referenced",
        )
    return ref


def _check_roles(parts: SignatureParts, out: Checks) -> None:
    by_role = {role: [r for r in parts.references if r.role == role] for role in
               ("document", "keyinfo", "signedproperties")}
    rules = {"document": "DC05", "keyinfo": "DC10", "signedproperties": "DC13"}
    what = {
        "document": "the whole-document reference (URI=\"\")",
        "keyinfo": "the reference to this signature's ds:KeyInfo",
        "signedproperties": "the reference to this signature's xades:SignedProperties",
    }
    for role, refs in by_role.items():
        if len(refs) == 1:
            out.passed(rules[role], f"{what[role]} is {refs[0].label}")
        else:
            parts.structure_ok = out.failed(
                rules[role], f"found {len(refs)} of {what[role]}; expected exactly one"
            )
    for ref in parts.references:
        rule = {"document": "DC08", "keyinfo": "DC11", "signedproperties": "DC14"}.get(
            ref.role, "DC08"
        )
        if not _check_algorithm(
            out, rule, f"ds:DigestMethod of {ref.label}", ref.digest_uri, DIGEST_NAMES
        ):
            parts.structure_ok = False
        if ref.role == "document":
            if not _reference_canonicalization(ref, out, "DC07", (ns.ENVELOPED,)):
                parts.structure_ok = False
        elif ref.role in ("keyinfo", "signedproperties"):
            if not _reference_canonicalization(ref, out, "MINICA-TRANSFORMS", ()):
                parts.structure_ok = False
        if ref.role == "signedproperties":
            kind = ref.element.get("Type")
            if kind == ns.SIGNED_PROPERTIES_TYPE:
                out.passed("DC13", f"{ref.label} has Type {kind}")
            else:
                parts.structure_ok = out.failed(
                    "DC13",
                    f"{ref.label} has Type '{kind}', expected {ns.SIGNED_PROPERTIES_TYPE}",
                )
