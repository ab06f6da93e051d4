"""Insert markup into a document's original bytes, leaving every other byte as it was.

Re-serializing with lxml would change quotes, attribute whitespace, line endings, the XML
declaration, the BOM, and with them the bytes DIAN receives. Instead we find, with a small XML
tokenizer, the byte offset of the element the signature goes next to and splice there.

The tokenizer only has to understand what can occur in a document that passed
:func:`minica.signing.xmlsafe.check_bytes` (no DTD): comments, PIs, CDATA, start, end and
empty-element tags, and text (which never contains ``<``). It stops as soon as it has the offset,
and the signature slot is near the top of every DIAN document, so even a several-megabyte invoice
is scanned only for its first kilobytes.
"""

from __future__ import annotations

import codecs
import re
from dataclasses import dataclass
from typing import AnyStr, Generic, Pattern

from lxml import etree

from minica.errors import MalformedXml
from minica.signing.document import SlotMode

_TOKEN_SOURCE = (
    r"<(?:!--.*?-->|\?.*?\?>|!\[CDATA\[.*?\]\]>|/[^>]*>|(?:[^>\"']|\"[^\"]*\"|'[^']*')*>)"
)
_TOKEN_STR: Pattern[str] = re.compile(_TOKEN_SOURCE, re.S)
_TOKEN_BYTES: Pattern[bytes] = re.compile(_TOKEN_SOURCE.encode("ascii"), re.S)
_NAME_STR: Pattern[str] = re.compile(r"<([^\s/>]+)")
_NAME_BYTES: Pattern[bytes] = re.compile(rb"<([^\s/>]+)")
_PROBE = "<?a b='c'/>&#;"


@dataclass(frozen=True)
class _Edit(Generic[AnyStr]):
    """Replace ``text[start:end]`` by ``before + fragment + after``."""

    start: int
    end: int
    before: AnyStr
    after: AnyStr


def element_index(root: etree._Element, target: etree._Element) -> int:
    """The position of ``target`` among the root's elements in document order (root is 0)."""
    for index, element in enumerate(root.iter(etree.Element)):
        if element is target:
            return index
    raise ValueError("target is not in this tree")


def codec_of(declared: str | None) -> str:
    """Python's name for the document's encoding; refuses encodings we cannot splice into."""
    name = declared or "utf-8"
    try:
        codec = codecs.lookup(name).name
    except LookupError:
        raise MalformedXml(
            f"the document declares the unknown encoding '{name}'", "save it as UTF-8"
        ) from None
    if codec.startswith(("utf-16", "utf-32")):
        return codec
    if _PROBE.encode(codec, errors="replace") != _PROBE.encode("ascii"):
        raise MalformedXml(
            f"the document's encoding '{name}' is not ASCII-compatible",
            "save it as UTF-8 (what DIAN expects)",
        )
    return codec


def splice(data: bytes, codec: str, index: int, mode: SlotMode, fragment: str) -> bytes:
    """``data`` with ``fragment`` inserted relative to element number ``index``.

    The fragment is encoded in the document's own encoding; characters that encoding cannot hold
    become character references, which parse back to the same characters.
    """
    if codec.startswith(("utf-16", "utf-32")):
        return _splice_wide(data, codec, index, mode, fragment)
    edit = _locate(data, _TOKEN_BYTES, _NAME_BYTES, index, mode)
    encoded = fragment.encode(codec, errors="xmlcharrefreplace")
    return b"".join(
        (data[: edit.start], edit.before, encoded, edit.after, data[edit.end :])
    )


def _splice_wide(data: bytes, codec: str, index: int, mode: SlotMode, fragment: str) -> bytes:
    # UTF-16/32: offsets only make sense in decoded text; keep the BOM exactly as it was.
    bom = b""
    body_codec = codec
    for mark, name in (
        (codecs.BOM_UTF32_LE, "utf-32-le"),
        (codecs.BOM_UTF32_BE, "utf-32-be"),
        (codecs.BOM_UTF16_LE, "utf-16-le"),
        (codecs.BOM_UTF16_BE, "utf-16-be"),
    ):
        if data.startswith(mark) and name.startswith(codec[:6]):
            bom, body_codec = mark, name
            break
    if body_codec in ("utf-16", "utf-32"):
        body_codec += "-le"  # no BOM: XML says little-endian is the usual guess; lxml agreed
    text = data[len(bom) :].decode(body_codec)
    edit = _locate(text, _TOKEN_STR, _NAME_STR, index, mode)
    out = text[: edit.start] + edit.before + fragment + edit.after + text[edit.end :]
    return bom + out.encode(body_codec)


def _locate(
    text: AnyStr,
    token: Pattern[AnyStr],
    name: Pattern[AnyStr],
    index: int,
    mode: SlotMode,
) -> _Edit[AnyStr]:
    empty = text[:0]
    slash, close, bang, question = (_lit(text, c) for c in "/>!?")
    tokens = token.finditer(text)
    seen = -1
    start_tag = None
    for match in tokens:
        tag = match.group()
        if tag[1:2] in (bang, question, slash):
            continue
        seen += 1
        if seen == index:
            start_tag = match
            break
    if start_tag is None:
        raise MalformedXml("could not find the signature's place in the document bytes", "")
    tag = start_tag.group()
    if tag.endswith(slash + close):
        # <x/>: becomes <x>fragment</x> for APPEND/PREPEND; AFTER goes past the whole tag.
        if mode is SlotMode.AFTER:
            return _Edit(start_tag.end(), start_tag.end(), empty, empty)
        qname = name.match(tag)
        assert qname is not None
        opened = tag[:-2] + close
        closing = _lit(text, "<") + slash + qname.group(1) + close
        return _Edit(start_tag.start(), start_tag.end(), opened, closing)
    if mode is SlotMode.PREPEND:
        # After the element's leading text: before its first child node, or its end tag.
        cdata = _lit(text, "<![CDATA[")
        for match in tokens:
            if not match.group().startswith(cdata):
                return _Edit(match.start(), match.start(), empty, empty)
        raise MalformedXml("the document ends inside an element", "")
    depth = 1
    for match in tokens:
        tag = match.group()
        first = tag[1:2]
        if first in (bang, question):
            continue
        if first == slash:
            depth -= 1
            if depth == 0:
                at = match.start() if mode is SlotMode.APPEND else match.end()
                return _Edit(at, at, empty, empty)
        elif not tag.endswith(slash + close):
            depth += 1
    raise MalformedXml("the document ends inside an element", "")


def _lit(like: AnyStr, value: str) -> AnyStr:
    """``value`` as the same type as ``like`` (str or bytes)."""
    if isinstance(like, bytes):
        return value.encode("ascii")  # type: ignore[return-value]
    return value  # type: ignore[return-value]
