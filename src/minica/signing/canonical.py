"""The canonicalization algorithms a signature may declare, applied in document context.

XML-DSig lets a signature name its canonicalization: ``ds:CanonicalizationMethod`` for
``ds:SignedInfo``, and a canonicalization ``ds:Transform`` on each reference (without one, a
same-document reference is canonicalized with inclusive C14N 1.0). DIAN's profile allows only
inclusive C14N 1.0 (rule DC03), but whether a signature is *cryptographically intact* is a separate
question, answered with the algorithms the signature declares, within this set:

* inclusive C14N 1.0, with or without comments;
* exclusive C14N 1.0, with or without comments, with its ``InclusiveNamespaces PrefixList``
  (``#default`` included: lxml passes over it, so the default namespace declarations are then
  rewritten by the inclusive rule, as libxml2 and xmlsec1 do);
* C14N 1.1, with or without comments.

For a same-document reference (``URI=""`` or ``URI="#id"``) XML-DSig removes comments before any
transform, so "with comments" only changes the canonical form of ``ds:SignedInfo``. C14N 1.1
differs from 1.0 only in how a subtree inherits ``xml:id`` and ``xml:base`` from its ancestors;
minica computes it as 1.0 and refuses the one case where they differ (such an attribute on an
ancestor), which no DIAN document has.

Each algorithm costs one canonicalization, bounded by the limits in
:mod:`~minica.signing.xmllimits`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace

from lxml import etree

from minica.signing import namespaces as ns

EXC_C14N = "http://www.w3.org/2001/10/xml-exc-c14n#"
EXC_C14N_WITH_COMMENTS = "http://www.w3.org/2001/10/xml-exc-c14n#WithComments"
C14N11 = "http://www.w3.org/2006/12/xml-c14n11"
C14N11_WITH_COMMENTS = "http://www.w3.org/2006/12/xml-c14n11#WithComments"
_XML = "{http://www.w3.org/XML/1998/namespace}"
_INCLUSIVE_NAMESPACES = f"{{{EXC_C14N}}}InclusiveNamespaces"
#: The markup of canonical XML: comments, PIs, end tags, and start tags with their default
#: namespace declaration (always the first: C14N sorts it before the other namespace nodes).
_MARKUP = re.compile(rb'<!--.*?-->|<\?.*?\?>|</[^>]*>|<([^\s>]+)( xmlns="[^"]*")?', re.S)
_ATTRIBUTE_ESCAPES = {"&": "&amp;", "<": "&lt;", '"': "&quot;", "\t": "&#x9;", "\n": "&#xA;", "\r": "&#xD;"}


@dataclass(frozen=True)
class Canonicalization:
    """One canonicalization algorithm: its URI, a readable name, and how lxml computes it."""

    uri: str
    name: str
    exclusive: bool = False
    with_comments: bool = False
    version_11: bool = False
    #: Exclusive C14N's ``InclusiveNamespaces PrefixList`` (prefixes treated inclusively).
    prefixes: tuple[str, ...] = ()
    #: ``#default`` in the PrefixList: the default namespace is treated inclusively too.
    inclusive_default: bool = False

    @property
    def is_dian(self) -> bool:
        """Whether this is the one algorithm DIAN's profile allows (inclusive C14N 1.0)."""
        return self.uri == ns.C14N and not self.prefixes

    def apply(self, node: etree._Element | etree._ElementTree, *, comments: bool | None = None) -> bytes:
        """The canonical bytes of ``node`` in its document context.

        ``comments`` overrides the algorithm's own choice (a same-document reference never keeps
        comments). Raises ``ValueError`` for C14N 1.1 where it differs from 1.0 (an ancestor
        carrying ``xml:id`` or ``xml:base``).
        """
        if self.version_11 and isinstance(node, etree._Element):
            ancestor = node.getparent()
            while ancestor is not None:
                if ancestor.get(_XML + "id") is not None or ancestor.get(_XML + "base") is not None:
                    raise ValueError(
                        "C14N 1.1 with xml:id or xml:base inherited from an ancestor is not supported"
                    )
                ancestor = ancestor.getparent()
        keep = self.with_comments if comments is None else comments
        if self.exclusive:
            data = bytes(
                etree.tostring(
                    node, method="c14n", exclusive=True, with_comments=keep,
                    inclusive_ns_prefixes=list(self.prefixes) or None,
                )
            )
            return _default_inclusively(node, data) if self.inclusive_default else data
        return bytes(etree.tostring(node, method="c14n", exclusive=False, with_comments=keep))


INCLUSIVE = Canonicalization(ns.C14N, "inclusive C14N 1.0")
EXCLUSIVE = Canonicalization(EXC_C14N, "exclusive C14N 1.0", exclusive=True)

#: Every algorithm minica computes, by URI.
ALGORITHMS: dict[str, Canonicalization] = {
    c.uri: c
    for c in (
        INCLUSIVE,
        Canonicalization(ns.C14N_WITH_COMMENTS, "inclusive C14N 1.0 with comments", with_comments=True),
        EXCLUSIVE,
        Canonicalization(
            EXC_C14N_WITH_COMMENTS, "exclusive C14N 1.0 with comments", exclusive=True, with_comments=True
        ),
        Canonicalization(C14N11, "C14N 1.1", version_11=True),
        Canonicalization(C14N11_WITH_COMMENTS, "C14N 1.1 with comments", version_11=True, with_comments=True),
    )
}


def declared(element: etree._Element) -> Canonicalization | None:
    """The algorithm a ``ds:CanonicalizationMethod`` or ``ds:Transform`` names (with exclusive
    C14N's prefix list), or ``None`` when it is not one minica computes."""
    found = ALGORITHMS.get(element.get("Algorithm", ""))
    if found is None or not found.exclusive:
        return found
    listed = element.find(_INCLUSIVE_NAMESPACES)
    if listed is None:
        return found
    listed_prefixes = listed.get("PrefixList", "").split()
    prefixes = tuple(p for p in listed_prefixes if p != "#default")
    return replace(found, prefixes=prefixes, inclusive_default="#default" in listed_prefixes)


def _default_inclusively(node: etree._Element | etree._ElementTree, data: bytes) -> bytes:
    """Exclusive C14N ``data`` of ``node`` with the default namespace treated inclusively.

    Inclusive rule: an element declares ``xmlns`` when its default namespace differs from its
    parent's (the apex: when it has one), whatever its prefix. Canonical start tags come in
    document order, one per element, so they are paired with ``node``'s elements.
    """
    root = node.getroot() if isinstance(node, etree._ElementTree) else node
    elements = root.iter(etree.Element)
    stack = [""]  # the default namespace in effect in the output, per open element
    out: list[bytes] = []
    done = 0
    for match in _MARKUP.finditer(data):
        start, end = match.span()
        if match.group(1) is None:
            if data.startswith(b"</", start):
                stack.pop()
            continue
        default = next(elements).nsmap.get(None, "")
        declaration = b""
        if default != stack[-1]:
            escaped = "".join(_ATTRIBUTE_ESCAPES.get(c, c) for c in default)
            declaration = f' xmlns="{escaped}"'.encode()
        out += [data[done:match.end(1)], declaration]
        done = end
        stack.append(default)
    out.append(data[done:])
    return b"".join(out)


def alternative(algorithm: Canonicalization) -> Canonicalization:
    """The algorithm signers confuse with ``algorithm``: exclusive for inclusive, and back."""
    return INCLUSIVE if algorithm.exclusive else EXCLUSIVE
