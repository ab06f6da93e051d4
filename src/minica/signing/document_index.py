"""What the wrapping defences look up across the whole document, found in one pass over the tree.

The defences must see every ``ds:Signature``, every ``xades:SignedProperties``, every comment and
every element with an ``Id`` attribute, wherever it stands. lxml picks elements by name, and
comments, out of the tree in C (one ``iter`` with several tags: microseconds for an invoice,
milliseconds for a 129,000-element one), but it cannot select by attribute: ``//*[@Id]`` costs
about half a parse on a large invoice. So the ``Id`` attributes are bounded from the document's
characters: :func:`~minica.signing.xmlsafe.parse_xml_with_text` builds the tree from exactly those
characters, refusing DTDs and entities and reading only encodings in which markup is plain ASCII
bytes, so every ``Id`` attribute is spelled ``<white space>Id<white space>*=`` in them. When the
signature already holds as many as there are such spellings, no other element has one and only
the signature is read; otherwise (a spelling in text, a comment or a CDATA section, or too many
to count) the exact XPath runs. Either way the answer is exact.
"""

from __future__ import annotations

import re

from lxml import etree

from minica.signing import namespaces as ns

#: More spellings than this and the exact XPath runs instead (each costs Python work).
MAX_CANDIDATES = 256
#: An attribute named ``Id`` (no prefix), preceded by white space (checked apart) and followed by ``=``.
_ID_ATTRIBUTE = re.compile(rb"Id[ \t\r\n]*=")
_WHITESPACE = b" \t\r\n"
_ALL_WITH_ID = etree.XPath("//*[@Id]")
_SIGNATURE = f"{{{ns.DS}}}Signature"
_SIGNED_PROPERTIES = f"{{{ns.XADES}}}SignedProperties"


def id_attributes_at_most(text: bytes) -> int | None:
    """At least as many as the ``Id`` attributes (without prefix) of the document whose characters
    are ``text`` (as :func:`~minica.signing.xmlsafe.parse_xml_with_text` returns them), or
    ``None`` when there are too many spellings to count."""
    count = 0
    for n, match in enumerate(_ID_ATTRIBUTE.finditer(text)):
        if n == MAX_CANDIDATES:
            return None
        at = match.start()
        if at > 0 and text[at - 1] in _WHITESPACE:
            count += 1
    return count


class DocumentIndex:
    """Every ``ds:Signature``, ``xades:SignedProperties`` and comment of the tree under ``root``,
    in document order, and the elements with an ``Id`` (bounded by ``text`` when it is given)."""

    def __init__(self, root: etree._Element, text: bytes | None = None) -> None:
        self.root = root
        self._text = text
        self.signatures: list[etree._Element] = []
        self.signed_properties: list[etree._Element] = []
        self._comments: list[etree._Element] = []
        for node in root.iter(_SIGNATURE, _SIGNED_PROPERTIES, etree.Comment):
            if not isinstance(node.tag, str):
                self._comments.append(node)
            elif node.tag == _SIGNATURE:
                self.signatures.append(node)
            else:
                self.signed_properties.append(node)

    def with_id(self, signature: etree._Element) -> list[etree._Element]:
        """Every element with an ``Id`` attribute, in document order."""
        if self._text is not None:
            inside = [e for e in signature.iter(etree.Element) if e.get("Id") is not None]
            if id_attributes_at_most(self._text) == len(inside):
                return inside
        return list(_ALL_WITH_ID(self.root))

    def comments_outside_signatures(self) -> list[etree._Element]:
        """Every comment of the document outside every ``ds:Signature``, before and after the
        root element too, in document order."""
        root = self.root
        inside = [c for c in self._comments if next(c.iterancestors(_SIGNATURE), None) is None]
        before = [n for n in root.itersiblings(preceding=True) if isinstance(n, etree._Comment)]
        after = [n for n in root.itersiblings() if isinstance(n, etree._Comment)]
        return [*reversed(before), *inside, *after]
