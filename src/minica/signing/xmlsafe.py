"""Hardened XML input: no DTD, no entities, no network, bounded size and shape.

Hostile input (XXE, billion laughs, external DTDs, oversize files, shapes that make
canonicalization quadratic) is refused *before* lxml builds a tree, by a byte-level pre-scan
(:mod:`minica.signing.xmllimits` has the limits and why each number), and again after parsing as a
backstop (a DTD hidden behind an exotic encoding still cannot expand anything, because entity
resolution is off).

The pre-scan reads the characters libxml2 will read: UTF-16 (with or without a byte order mark) is
decoded first, and encodings in which markup is not plain ASCII bytes (UTF-7, UTF-32, EBCDIC, …)
are refused, so no encoding trick hides markup from it.
"""

from __future__ import annotations

import codecs
import re
import threading

from lxml import etree

from minica.errors import HostileXml, MalformedXml
from minica.signing import xmllimits
from minica.signing.xmllimits import MAX_DEPTH, MAX_NAME_LENGTH, MAX_TEXT_LENGTH

#: Default upper bound on a document's size. DIAN documents are kilobytes; a 3,000-line invoice is
#: 6.9 MB. Anything past this is refused before parsing.
MAX_XML_BYTES = 64 * 1024 * 1024

#: Compiled (and kept by ``re``) only when a document holds a "!" at all; the next one only with a "&".
_DOCTYPE = rb"(?i)<!\s*(DOCTYPE|ENTITY)"
#: An entity reference other than XML's five and character references: only a document whose
#: characters hold one can have an entity node, so only then is the tree walked looking for one.
_ENTITY_REFERENCE = rb"&(?!(?:amp|lt|gt|quot|apos);|#)"
_DECLARED_ENCODING = re.compile(rb"""<\?xml\s[^>]*?encoding\s*=\s*["']([^"'>]*)["']""")
#: Encodings whose bytes below 0x80 are always ASCII: markup is plain bytes, scanned as is
#: (Python's names for them, after ``codecs.lookup``).
_ASCII_COMPATIBLE = frozenset(
    ["utf-8", "ascii"] + [f"iso8859-{n}" for n in range(1, 17)] + [f"cp125{n}" for n in range(9)]
)
_UTF16 = {b"\xff\xfe": "utf-16-le", b"\xfe\xff": "utf-16-be", b"<\x00?\x00": "utf-16-le", b"\x00<\x00?": "utf-16-be"}
#: Starts libxml2 reads as UCS-4/UTF-32 or EBCDIC (checked before the UTF-16 byte order marks).
_REFUSED_STARTS = (b"\xff\xfe\x00\x00", b"\x00\x00\xfe\xff", b"\x00\x00\x00<", b"<\x00\x00\x00", b"\x00\x00<\x00",
                   b"\x00<\x00\x00", b"\x4c\x6f\xa7\x94")  # fmt: skip
_TO_UTF8 = "save it as UTF-8, the encoding DIAN uses"


class _ThreadParser(threading.local):
    """One parser per thread, reused: an lxml parser serves one document at a time, and a new one
    costs a large document about a tenth more (its first parse allocates memory anew: 6,700 page
    faults instead of 3,800 on a 6.9 MB invoice)."""

    def __init__(self) -> None:
        self.parser = _new_parser()



def _new_parser() -> etree.XMLParser:
    return etree.XMLParser(
        resolve_entities=False,
        no_network=True,
        load_dtd=False,
        dtd_validation=False,
        huge_tree=False,
        remove_blank_text=False,
        remove_comments=False,
        collect_ids=False,
    )


_PARSERS = _ThreadParser()


def check_bytes(data: bytes, *, max_bytes: int = MAX_XML_BYTES) -> None:
    """Refuse input that is too large, declares a DTD/entities or breaks a shape limit, without
    parsing it (the checks that need a parsed document run in :func:`parse_xml`)."""
    _scan(data, max_bytes)


def _scan(data: bytes, max_bytes: int) -> xmllimits.Shape:
    if not isinstance(data, (bytes, bytearray, memoryview)):
        raise TypeError("XML input must be bytes")
    if len(data) > max_bytes:
        raise HostileXml(
            f"the document is {len(data):,} bytes, over the {max_bytes:,}-byte limit",
            "split it or raise the limit on purpose",
        )
    text = _scannable(bytes(data))
    if b"!" in text and re.search(_DOCTYPE, text):  # memchr first: the regex costs ~6 instructions a byte
        raise HostileXml(
            "the document declares a DTD or entities (<!DOCTYPE>/<!ENTITY>)",
            "UBL documents never need one; remove it (refused to prevent XXE and entity bombs)",
        )
    return xmllimits.scan(text)


def _scannable(data: bytes) -> bytes:
    """The document's characters with every markup character as one ASCII byte, as libxml2 will
    read them: UTF-16 is decoded (and re-encoded as UTF-8); encodings that could hide markup from
    a byte scan are refused."""
    head = data[:4]
    if head in _REFUSED_STARTS:
        raise HostileXml("the document is in UTF-32/UCS-4 or EBCDIC", _TO_UTF8)
    utf16 = _UTF16.get(head[:2]) or _UTF16.get(head)
    if utf16 is not None:  # libxml2 follows the byte order mark or the "<?" pattern, not the declaration
        return data.decode(utf16, errors="replace").encode("utf-8", errors="replace")
    declared = _DECLARED_ENCODING.match(data[3:] if data.startswith(codecs.BOM_UTF8) else data)
    if declared is not None:
        label = declared.group(1).decode("ascii", errors="replace")
        try:
            name = codecs.lookup(label).name
        except LookupError:
            name = ""
        if name not in _ASCII_COMPATIBLE:
            raise HostileXml(f"the document declares the encoding {label[:40]!r}, which minica does not read", _TO_UTF8)
    return data


def parse_xml(data: bytes, *, max_bytes: int = MAX_XML_BYTES) -> etree._ElementTree:
    """Parse untrusted XML safely; raises :class:`HostileXml` or :class:`MalformedXml`."""
    return parse_xml_with_text(data, max_bytes=max_bytes)[0]


def parse_xml_with_text(data: bytes, *, max_bytes: int = MAX_XML_BYTES) -> tuple[etree._ElementTree, bytes]:
    """:func:`parse_xml`, also returning the characters the tree holds, in UTF-8 or an
    ASCII-compatible encoding with every markup character one ASCII byte (what the pre-scan read):
    with no DTD and no entity, every element, attribute and comment of the tree is spelled in them."""
    shape = _scan(data, max_bytes)
    try:
        root = etree.fromstring(bytes(data), parser=_PARSERS.parser)
    except etree.XMLSyntaxError as exc:
        raise _refusal(exc) from None
    tree = root.getroottree()
    info = tree.docinfo
    if info.internalDTD is not None or info.externalDTD is not None or info.doctype:
        raise HostileXml(
            "the document declares a DTD",
            "UBL documents never need one; remove it (refused to prevent XXE and entity bombs)",
        )
    text = shape.text
    if b"&" in text and re.search(_ENTITY_REFERENCE, text) and next(root.iter(etree.Entity), None) is not None:
        raise HostileXml("the document uses entity references", "replace them with their text")
    shape.finish()
    return tree, text


def _refusal(exc: etree.XMLSyntaxError) -> HostileXml | MalformedXml:
    """libxml2's resource limits as HostileXml, other syntax errors as MalformedXml; one line each."""
    message = " ".join(str(exc).split())
    if exc.code == etree.ErrorTypes.ERR_NAME_TOO_LONG:
        return HostileXml(
            f"a name is longer than {MAX_NAME_LENGTH:,} characters",
            "use short element, attribute and prefix names (real ones are under 50 characters)",
        )
    if exc.code == etree.ErrorTypes.ERR_RESOURCE_LIMIT and "depth" in message.lower():
        return HostileXml(
            f"the document nests elements more than {MAX_DEPTH} levels deep",
            "flatten it (real DIAN documents nest about 13 levels)",
        )
    too_big = exc.code == etree.ErrorTypes.ERR_COMMENT_NOT_FINISHED and "too big" in message
    if too_big or (exc.code == etree.ErrorTypes.ERR_RESOURCE_LIMIT and ("too long" in message or "Buffer" in message)):
        return HostileXml(
            f"a text, attribute value, comment or CDATA section is longer than {MAX_TEXT_LENGTH:,} characters",
            "split the content or attach it as a separate file",
        )
    if exc.code == etree.ErrorTypes.ERR_RESOURCE_LIMIT:
        return HostileXml(f"the document exceeds a parser limit: {message}", "simplify or split the document")
    return MalformedXml(f"the XML does not parse: {message}", "check that it is a whole, well-formed XML file")
