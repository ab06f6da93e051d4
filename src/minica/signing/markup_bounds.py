"""Upper bounds read from a document's characters, so the verifier can skip walks over the whole tree.

The wrapping defences must see every ``ds:Signature``, every ``xades:SignedProperties``, every
``Id`` attribute and every comment, wherever it stands; walking a 129,000-element tree for them
costs about as much as parsing it. But :func:`~minica.signing.xmlsafe.parse_xml_with_text` builds
the tree from exactly these characters, refusing DTDs and entities and reading only encodings in
which markup is plain ASCII bytes, so everything in the tree is spelled out in them. Counting the
spellings gives an upper bound; when the part of the tree the verifier reads anyway (the
signature) already holds that many, there is none elsewhere. A count that cannot prove it (a
spelling inside text, a comment or a CDATA section, or too many to look at) means the exact walk.
The look-ups at the end give the exact answer either way.
"""

from __future__ import annotations

import re

from lxml import etree

from minica.signing import namespaces as ns

#: More candidate spellings than this and the caller walks the tree instead (each costs Python work).
MAX_CANDIDATES = 256
#: How far back a start tag's ``<`` may stand from its local name (prefixes are short).
_PREFIX_REACH = 256
#: An attribute named ``Id`` (no prefix) is preceded by white space and followed by ``=``.
_ID_ATTRIBUTE = re.compile(rb"Id[ \t\r\n]*=")
_WHITESPACE = b" \t\r\n"
_DS = f"{{{ns.DS}}}"
_EXT = f"{{{ns.EXT}}}"
_ALL_SIGNATURES = etree.XPath("//ds:Signature", namespaces={"ds": ns.DS})
_ALL_WITH_ID = etree.XPath("//*[@Id]")
_ALL_SIGNED_PROPERTIES = etree.XPath("//xades:SignedProperties", namespaces={"xades": ns.XADES})
#: Where DIAN places the signature (below the root).
_PLACED = f"{_EXT}UBLExtensions/{_EXT}UBLExtension/{_EXT}ExtensionContent/{_DS}Signature"
#: What may follow an element's name in its start tag (a one-byte slice of the text).
_NAME_ENDS = (b" ", b"\t", b"\r", b"\n", b"/", b">")


class MarkupBounds:
    """Bounds on what a document's characters can hold (UTF-8 or an ASCII-compatible encoding)."""

    def __init__(self, text: bytes) -> None:
        self.text = text

    def may_hold_comments(self) -> bool:
        """False when the document has no comment at all."""
        return self.text.find(b"<!--") != -1

    def id_attributes(self) -> int | None:
        """At least as many as the ``Id`` attributes (without prefix) in the document, or ``None``."""
        count = 0
        for n, match in enumerate(_ID_ATTRIBUTE.finditer(self.text)):
            if n == MAX_CANDIDATES:
                return None
            at = match.start()
            if at > 0 and self.text[at - 1] in _WHITESPACE:
                count += 1
        return count

    def start_tags(self, local: str) -> int | None:
        """At least as many as the elements named ``local`` (any prefix or namespace), or ``None``."""
        text, name = self.text, local.encode("ascii")
        count = 0
        at = text.find(name)
        for _ in range(MAX_CANDIDATES):
            if at == -1:
                return count
            end = at + len(name)
            if text[end : end + 1] in _NAME_ENDS and self._opens_tag(at):
                count += 1
            at = text.find(name, end)
        return None if at != -1 else count

    def _opens_tag(self, at: int) -> bool:
        """Whether the name at ``at`` may be a start tag's local name: ``<`` or ``<prefix:`` before it."""
        opening = self.text.rfind(b"<", max(0, at - _PREFIX_REACH), at)
        if opening == -1:
            return True  # too far back to tell: counted
        between = self.text[opening + 1 : at]
        return not between or (between.endswith(b":") and not between.startswith(b"/"))


# --- the whole-document look-ups, exact, and spared when the bounds allow ------------------------


def signatures(root: etree._Element, bounds: MarkupBounds | None) -> list[etree._Element]:
    """Every ds:Signature in document order; the walk is spared when the characters hold no other
    than those where DIAN places one."""
    if bounds is not None:
        placed: list[etree._Element] = root.findall(_PLACED)
        if placed and bounds.start_tags("Signature") == len(placed):
            return placed
    return list(_ALL_SIGNATURES(root))


def with_id(root: etree._Element, signature: etree._Element, bounds: MarkupBounds | None) -> list[etree._Element]:
    """Every element with an ``Id`` attribute in document order; only ``signature`` is walked when
    the characters hold no more ``Id`` attributes than it has."""
    if bounds is not None:
        inside = [e for e in signature.iter() if e.get("Id") is not None]
        if bounds.id_attributes() == len(inside):
            return inside
    return list(_ALL_WITH_ID(root))


def signed_properties(
    root: etree._Element, own: list[etree._Element], bounds: MarkupBounds | None
) -> list[etree._Element]:
    """Every xades:SignedProperties in document order; ``own`` (the signature's) when the
    characters hold no more."""
    if bounds is not None and bounds.start_tags("SignedProperties") == len(own):
        return own
    return list(_ALL_SIGNED_PROPERTIES(root))


def comments_outside_signatures(root: etree._Element, bounds: MarkupBounds | None) -> list[etree._Comment]:
    """Every comment of the document outside every ds:Signature, in document order; none without a
    walk when the characters hold no comment. lxml picks the comments out of the tree in C."""
    if bounds is not None and not bounds.may_hold_comments():
        return []
    inside = [c for c in root.iter(etree.Comment) if next(c.iterancestors(_DS + "Signature"), None) is None]
    before = [n for n in root.itersiblings(preceding=True) if isinstance(n, etree._Comment)]
    after = [n for n in root.itersiblings() if isinstance(n, etree._Comment)]
    return [*reversed(before), *inside, *after]
