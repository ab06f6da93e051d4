"""What may appear inside the signature, and unsigned content a reader could take for the document.

XML-DSig signs only what a reference covers. The enveloped transform removes the whole
``ds:Signature`` from the document digest, and canonicalization without comments drops every
comment, so anything added inside ``ds:Signature`` outside ``ds:SignedInfo``, ``ds:KeyInfo`` and
``xades:SignedProperties`` (a second ``ds:Object`` holding a copy of the invoice with other
amounts, text, a Manifest, unsigned properties) and any comment anywhere is unsigned: the maths
still verifies after an attacker adds it, and xmlsec1, xadesjs, Java and signxml all accept it.
DIAN's profile has exactly one ``ds:Object`` holding the ``xades:QualifyingProperties``, so this
module checks the signature against an allow-list of that profile
(:data:`~minica.signing.signature_allowlist.SHAPE`, per
``reference/dian-xades-profile.md`` §5–§6 and §12 "Accept", and the elements real DIAN-signed
documents use) and refuses everything else, each shape with its own ``MINICA-…`` rule code.

Runs on the tree parsed from the caller's bytes, never changes it, and never descends into a
refused element, so its work is linear in the size of the signature.
"""

from __future__ import annotations

import re

from lxml import etree

from minica.signing import namespaces as ns
from minica.signing.canonical import EXC_C14N, EXC_C14N_WITH_COMMENTS
from minica.signing.checks_structure import Checks, SignatureParts, describe
from minica.signing.document_index import DocumentIndex
from minica.signing.signature_allowlist import (
    ALGORITHM,
    CANONICALIZATION,
    INCLUSIVE_NAMESPACES,
    SHAPE,
    Slot,
)

_DS = f"{{{ns.DS}}}"
_XADES = f"{{{ns.XADES}}}"
_EXT = f"{{{ns.EXT}}}"
_EXCLUSIVE = (EXC_C14N, EXC_C14N_WITH_COMMENTS)
_CANONICALIZATIONS = (_DS + "CanonicalizationMethod", _DS + "Transform")
_PROFILE_NAMESPACES = (ns.DS, ns.XADES)
_XML_WHITESPACE = " \t\r\n"
#: Something a reader could take for an element: ``<name``, ``</name``, ``<ns:name``.
_MARKUP = re.compile(r"<\s*/?\s*[A-Za-z_][\w.\-]*(:[A-Za-z_][\w.\-]*)?[\s/>]")
#: How many further places one failed check names after the first.
_MORE_NAMED = 3

OBJECT = "MINICA-SIGNATURE-OBJECT"
ELEMENT = "MINICA-SIGNATURE-ELEMENT"
NAMESPACE = "MINICA-SIGNATURE-NAMESPACE"
TEXT = "MINICA-SIGNATURE-TEXT"
ATTRIBUTE = "MINICA-SIGNATURE-ATTRIBUTE"
COMMENT = "MINICA-SIGNATURE-COMMENT"
MANIFEST = "MINICA-SIGNATURE-MANIFEST"
UNSIGNED_PROPERTIES = "MINICA-UNSIGNED-PROPERTIES"
EXTENSION_CONTENT = "MINICA-EXTENSION-CONTENT"
UNSIGNED_COMMENT = "MINICA-UNSIGNED-COMMENT"

#: Every rule code this module reports, in report order, with its message when nothing is found.
RULES: dict[str, str] = {
    OBJECT: "exactly one ds:Object in ds:Signature, the one holding xades:QualifyingProperties",
    MANIFEST: "no ds:Manifest inside ds:Signature",
    NAMESPACE: "every element inside ds:Signature is an XMLDSig (ds) or XAdES 1.3.2 (xades) element "
    "(or exclusive C14N's ec:InclusiveNamespaces)",
    ELEMENT: "every element inside ds:Signature is one DIAN's profile allows where it stands, "
    "no more often than allowed",
    ATTRIBUTE: "every attribute inside ds:Signature is one DIAN's profile allows on its element",
    TEXT: "no text inside ds:Signature outside its value elements (only whitespace between tags)",
    COMMENT: "no comment or processing instruction inside ds:Signature",
    UNSIGNED_PROPERTIES: "no unsigned properties carry content",
    EXTENSION_CONTENT: "the ext:ExtensionContent holding ds:Signature holds nothing else",
    UNSIGNED_COMMENT: "no comment in the document holds markup",
}


_UNSIGNED = _XADES + "UnsignedProperties"
_OBJECT = _DS + "Object"
_UNSIGNED_SIGNATURE = _XADES + "UnsignedSignatureProperties"
#: Elements whose whole content a reference covers (the SignatureValue covers ds:SignedInfo).
_SIGNED_PARTS = (_DS + "SignedInfo", _DS + "KeyInfo", _XADES + "SignedProperties")


def _name(node: etree._Element) -> str:
    """The element's name as written: ``prefix:local``, or ``local`` without a prefix."""
    local = etree.QName(node).localname
    return f"{node.prefix}:{local}" if node.prefix else local


def _short(clark: str) -> str:
    qname = etree.QName(clark)
    prefix = {ns.DS: "ds", ns.XADES: "xades", EXC_C14N: "ec"}.get(qname.namespace or "", "")
    return f"{prefix}:{qname.localname}" if prefix else qname.localname


def _snippet(text: str, limit: int = 60) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= limit else flat[: limit - 1] + "…"


def _has_text(text: str | None) -> bool:
    return bool(text and text.strip(_XML_WHITESPACE))


def _coverage_at(container: etree._Element) -> str:
    """Whether content placed directly inside ``container`` is signed (yet off-profile) or not."""
    for node in (container, *container.iterancestors()):
        if node.tag in _SIGNED_PARTS:
            return f"signed (inside {_short(str(node.tag))}) but not part of DIAN's profile"
        if node.tag == _DS + "Signature":
            break
    return (
        "not covered by any reference (the enveloped transform removes the whole ds:Signature "
        "from the document digest), so anyone can add it after signing"
    )


def _allowed(slot: Slot) -> str:
    if not slot.children:
        return "text only" if slot.text else "nothing"
    return ", ".join(_short(c) + ("" if m == 1 else "…") for c, m in slot.children.items())


def _holding(element: etree._Element) -> str:
    """A short account of what a refused element holds, e.g. ``Invoice, text '…'``."""
    inside = [_name(c) for c in element if isinstance(c.tag, str)]
    parts = inside[:3] + ([f"{len(inside) - 3} more"] if len(inside) > 3 else [])
    text = "".join(element.itertext())
    if _has_text(text):
        parts.append(f"text '{_snippet(text, 40)}'")
    return ", ".join(parts) or "nothing"


class _Findings:
    """Refusals gathered per rule code, in the order found."""

    def __init__(self) -> None:
        self.by_rule: dict[str, list[tuple[str, str]]] = {rule: [] for rule in RULES}

    def add(self, rule: str, where: str, message: str) -> None:
        self.by_rule[rule].append((where, message))

    def report(self, out: Checks, rules: tuple[str, ...]) -> bool:
        ok = True
        for rule in rules:
            found = self.by_rule[rule]
            if not found:
                out.passed(rule, RULES[rule])
                continue
            message = found[0][1]
            if len(found) > 1:
                named = ", ".join(where for where, _ in found[1 : 1 + _MORE_NAMED])
                rest = len(found) - 1 - _MORE_NAMED
                message += f" (and {len(found) - 1} more: {named}{f', …{rest} others' if rest > 0 else ''})"
            ok = out.failed(rule, message) and ok
        return ok


def check_signature_shape(
    parts: SignatureParts, root: etree._Element, out: Checks, index: DocumentIndex | None = None
) -> bool:
    """Refuse content the profile does not allow inside ``ds:Signature`` and unsigned look-alikes.

    Appends MINICA-SIGNATURE-OBJECT, -MANIFEST, -NAMESPACE, -ELEMENT, -ATTRIBUTE, -TEXT, -COMMENT,
    MINICA-UNSIGNED-PROPERTIES, MINICA-EXTENSION-CONTENT and MINICA-UNSIGNED-COMMENT checks to
    ``out`` (a pass each, or one failure per code naming the first place and counting the
    others), and marks ``parts.structure_ok`` false on any failure. Returns true when all pass.
    ``index`` is ``root``'s (made here when not given).
    Establishes nothing cryptographic: it is about what the signature does *not* cover.
    """
    found = _Findings()
    _walk_signature(parts.signature, found)
    _check_extension_content(parts.signature, found)
    _check_comments(root, found, index or DocumentIndex(root))
    ok = found.report(out, tuple(RULES))
    if not ok:
        parts.structure_ok = False
    return ok


def _kept_object(signature: etree._Element) -> etree._Element | None:
    """The ds:Object the profile allows: the first holding xades:QualifyingProperties, else the first."""
    objects = signature.findall(_DS + "Object")
    holding = [o for o in objects if o.find(_XADES + "QualifyingProperties") is not None]
    return (holding or objects or [None])[0]


def _walk_signature(signature: etree._Element, found: _Findings) -> None:
    kept = _kept_object(signature)
    stack = [signature]
    while stack:
        element = stack.pop()
        slot = _slot_of(element)
        if not slot.attributes.issuperset(element.keys()):
            _check_attributes(element, slot, found)
        if not slot.text and _has_text(element.text):
            _refuse_text(element, element.text or "", found)
        counts: dict[str, int] = {}  # a Counter per element would cost more than the rest
        accepted: list[etree._Element] = []
        for child in element:
            if not slot.text and _has_text(child.tail):
                _refuse_text(element, child.tail or "", found)
            tag = child.tag
            if not isinstance(tag, str):
                _refuse_node(element, child, found)
                continue
            if tag not in slot.children or (tag == _OBJECT and child is not kept):  # described only when refused
                refusal = _classify(element, slot, child, kept)
                if refusal is not None:
                    found.add(refusal[0], describe(child), refusal[1])
                    continue
            count = counts[tag] = counts.get(tag, 0) + 1
            limit = slot.children[tag]
            if limit is not None and count > limit:
                found.add(
                    ELEMENT, describe(child),
                    f"{_name(child)} at {describe(child)} is number {count} in "
                    f"{_name(element)}, which allows at most {limit}; it is "
                    f"{_coverage_at(element)}",
                )
            elif tag == _UNSIGNED:
                _check_unsigned_properties(child, found)
            else:
                accepted.append(child)
        stack.extend(reversed(accepted))


def _slot_of(element: etree._Element) -> Slot:
    """What ``element`` may hold: its SHAPE slot, narrowed for a canonicalization by its algorithm."""
    slot = SHAPE[str(element.tag)]
    if slot is CANONICALIZATION and element.get("Algorithm") not in _EXCLUSIVE:
        return ALGORITHM
    return slot


def _classify(
    parent: etree._Element, slot: Slot, child: etree._Element, kept: etree._Element | None
) -> tuple[str, str] | None:
    """The rule and message refusing ``child`` under ``parent``, or None when it is allowed."""
    tag = str(child.tag)
    where = describe(child)
    if tag == _DS + "Manifest":
        return MANIFEST, (
            f"ds:Manifest at {where}: DIAN's profile has none, and neither DIAN's validator nor "
            "minica checks a Manifest's references, so what it points to is not verified; it is "
            f"{_coverage_at(parent)}"
        )
    if tag == _DS + "Object" and parent.tag == _DS + "Signature" and child is not kept:
        return OBJECT, (
            f"an extra ds:Object at {where} holding {_holding(child)}: DIAN's profile has exactly "
            "one ds:Object, holding xades:QualifyingProperties; this one is "
            f"{_coverage_at(parent)}, and a reader could take its content for the document"
        )
    if tag == INCLUSIVE_NAMESPACES and parent.tag in _CANONICALIZATIONS:
        if tag in slot.children:
            return None
        return ELEMENT, (
            f"{_name(child)} at {where} is a parameter of exclusive C14N only, but "
            f"{_name(parent)} names '{parent.get('Algorithm', '')}'; it is {_coverage_at(parent)}"
        )
    namespace = etree.QName(child).namespace
    if namespace not in _PROFILE_NAMESPACES:
        return NAMESPACE, (
            f"{_name(child)} (namespace '{namespace or ''}') at {where}, holding "
            f"{_holding(child)}: only XMLDSig (ds) and XAdES 1.3.2 (xades) elements may stand "
            f"inside ds:Signature; {_name(parent)} may hold {_allowed(slot)}. It is "
            f"{_coverage_at(parent)}"
        )
    if tag not in slot.children:
        return ELEMENT, (
            f"{_name(child)} at {where} is not allowed in {_name(parent)}, which may hold "
            f"{_allowed(slot)} in DIAN's profile; it is {_coverage_at(parent)}"
        )
    return None


def _refuse_text(element: etree._Element, text: str, found: _Findings) -> None:
    where = describe(element)
    found.add(
        TEXT, where,
        f"text '{_snippet(text)}' in {_name(element)} at {where}: only whitespace may stand "
        f"between the elements of {_name(element)}, which holds {_allowed(SHAPE[str(element.tag)])}; "
        f"the text is {_coverage_at(element)}",
    )


def _refuse_node(parent: etree._Element, node: etree._Element, found: _Findings) -> None:
    where = describe(parent)
    if isinstance(node, etree._Comment):
        kind, coverage = "a comment", (
            "not signed (canonicalization without comments drops it from every digest)"
        )
    else:
        kind, coverage = "a processing instruction", _coverage_at(parent)
    found.add(
        COMMENT, where,
        f"{kind} '{_snippet(str(node))}' in {_name(parent)} at {where}: none may stand inside "
        f"ds:Signature; it is {coverage}",
    )


def _check_attributes(element: etree._Element, slot: Slot, found: _Findings) -> None:
    for name, value in element.attrib.items():
        if str(name) in slot.attributes:
            continue
        where = describe(element)
        allowed = ", ".join(sorted(slot.attributes)) or "none"
        found.add(
            ATTRIBUTE, where,
            f"attribute {_attribute_name(element, str(name))}='{_snippet(str(value), 40)}' on "
            f"{_name(element)} at {where}: DIAN's profile allows {allowed} there; it is "
            f"{_coverage_at(element)}",
        )


def _attribute_name(element: etree._Element, clark: str) -> str:
    qname = etree.QName(clark)
    if qname.namespace is None:
        return str(qname.localname)
    prefix = next((p for p, uri in element.nsmap.items() if uri == qname.namespace and p), None)
    return f"{prefix}:{qname.localname}" if prefix else clark


def _unsigned_content(element: etree._Element) -> str | None:
    """What makes an xades:UnsignedProperties more than empty, or None when it is empty.

    Tolerated: attribute Id, and one empty xades:UnsignedSignatureProperties (attribute Id).
    """
    if any(not isinstance(node.tag, str) for node in element.iter()):
        return "a comment or processing instruction"
    children = list(element)
    if len(children) > 1 or (children and children[0].tag != _UNSIGNED_SIGNATURE):
        return _holding(element)
    if children and len(children[0]):
        return f"{_name(children[0])} holding {_holding(children[0])}"
    text = "".join(element.itertext())
    if _has_text(text):
        return f"text '{_snippet(text)}'"
    for node in (element, *children):
        extra = sorted(str(a) for a in node.attrib if a != "Id")
        if extra:
            return f"attributes {', '.join(extra)} on {_name(node)}"
    return None


def _check_unsigned_properties(element: etree._Element, found: _Findings) -> None:
    content = _unsigned_content(element)
    if content is None:
        return
    where = describe(element)
    found.add(
        UNSIGNED_PROPERTIES, where,
        f"xades:UnsignedProperties at {where} holds {content}: DIAN's profile is XAdES-EPES, "
        "with no unsigned properties (only an empty xades:UnsignedProperties is tolerated); "
        "nothing in them is signed, so anyone can add them after signing",
    )


def _check_extension_content(signature: etree._Element, found: _Findings) -> None:
    content = signature.getparent()
    if content is None or content.tag != _EXT + "ExtensionContent":
        return  # DC01 reports a signature outside an extension
    where = describe(content)
    reason = (
        "UBL's ext:ExtensionContent holds exactly one element, and DIAN's one holding the "
        "signature holds only the ds:Signature"
    )
    if _has_text(content.text):
        found.add(EXTENSION_CONTENT, where, f"text '{_snippet(content.text or '')}' in {where}: {reason}")
    for node in content:
        if node is not signature and isinstance(node.tag, str):
            found.add(
                EXTENSION_CONTENT, describe(node),
                f"{_name(node)} at {describe(node)} holding {_holding(node)} stands next to the "
                f"ds:Signature in {where}: {reason}",
            )
        if _has_text(node.tail):
            found.add(
                EXTENSION_CONTENT, where, f"text '{_snippet(node.tail or '')}' in {where}: {reason}"
            )


def _check_comments(root: etree._Element, found: _Findings, index: DocumentIndex) -> None:
    """MINICA-UNSIGNED-COMMENT: comments are never signed; one holding markup is refused.

    Comments without markup (DIAN's own skeletons carry ``<!--Version #1.0.2-->``) pass.
    """
    for comment in index.comments_outside_signatures():
        text = str(comment.text or "")
        if not _MARKUP.search(text):
            continue
        parent = comment.getparent()
        if parent is not None:
            where = f"in {describe(parent)}"
        else:
            before = any(sibling is root for sibling in comment.itersiblings())
            where = "before the root element" if before else "after the root element"
        found.add(
            UNSIGNED_COMMENT, where,
            f"a comment {where} holds markup '{_snippet(text)}': comments are not signed "
            "(canonicalization without comments drops them from every digest), so anyone can "
            "add one after signing, and a reader that scans the text could take it for the "
            "document",
        )
