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
import functools
import re
from collections.abc import Callable
from re import Pattern
from typing import Any, AnyStr, Generic

from lxml import etree

from minica.errors import MalformedXml
from minica.signing.document import UTF8_NAMES, SlotMode

_TOKEN_SOURCE = (
    r"<(?:!--.*?-->|\?.*?\?>|!\[CDATA\[.*?\]\]>|/[^>]*>|[^>\"']*(?:(?:\"[^\"]*\"|'[^']*')[^>\"']*)*>)"
)
_TOKEN_BYTES: Pattern[bytes] = re.compile(_TOKEN_SOURCE.encode("ascii"), re.S)
_NAME_BYTES: Pattern[bytes] = re.compile(rb"<([^\s/>]+)")
_PROBE = "<?a b='c'/>&#;"
# Everything that is not a start tag, as an unrolled loop (each iteration starts with "<"), so the
# regex engine never backtracks more than linearly on the well-formed text it sees.
_NOT_START = r"[^<]*(?:(?:<!--.*?-->|<\?.*?\?>|<!\[CDATA\[.*?\]\]>|</[^>]*>)[^<]*)*"
_START = r"<[^!?/][^>\"']*(?:(?:\"[^\"]*\"|'[^']*')[^>\"']*)*>"


@functools.cache
def _wide_patterns() -> tuple[Pattern[str], Pattern[str]]:
    """The token and name patterns for UTF-16/32 text, compiled the first time one is spliced."""
    return re.compile(_TOKEN_SOURCE, re.S), re.compile(r"<([^\s/>]+)")


@functools.lru_cache(maxsize=64)
def _skip(index: int, wide: bool) -> Pattern[Any]:
    """A pattern whose group 1 is start tag number ``index``: the counting runs inside ``re``."""
    source = f"(?:{_NOT_START}{_START}){{{index}}}{_NOT_START}({_START})"
    return re.compile(source if wide else source.encode("ascii"), re.S)


# The records below are plain classes, not frozen dataclasses: those compile
# their generated methods when the module is imported, at every start of minica.


class _Edit(Generic[AnyStr]):
    """Replace ``text[start:end]`` by ``before + fragment + after``."""

    __slots__ = ("start", "end", "before", "after")
    start: int
    end: int
    before: AnyStr
    after: AnyStr

    def __init__(self, start: int, end: int, before: AnyStr, after: AnyStr) -> None:
        self.start, self.end, self.before, self.after = start, end, before, after


class Target:
    """Where to splice, in terms the byte scanner can find fast (see :func:`target`)."""

    __slots__ = ("index", "mode", "nested")
    index: int  # the anchor's number among elements in document order (root is 0)
    mode: SlotMode
    nested: bool  # an element of the anchor's own name inside it: find its end tag by walking

    def __init__(self, index: int, mode: SlotMode, nested: bool) -> None:
        self.index, self.mode, self.nested = index, mode, nested


def target(root: etree._Element, anchor: etree._Element, mode: SlotMode) -> Target:
    """Describe ``anchor`` for :func:`splice`; call it before the tree is changed."""
    nested = next(anchor.iterdescendants(anchor.tag), None) is not None
    return Target(element_index(root, anchor), mode, nested)


def element_index(root: etree._Element, target: etree._Element) -> int:
    """The position of ``target`` among the root's elements in document order (root is 0)."""
    for index, element in enumerate(root.iter(etree.Element)):
        if element is target:
            return index
    raise ValueError("target is not in this tree")


def codec_of(declared: str | None) -> str:
    """Python's name for the document's encoding; refuses encodings we cannot splice into."""
    if declared in UTF8_NAMES:
        return "utf-8"  # nearly every document: no lookup
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


def splice(data: bytes, codec: str, where: Target, fragment: str) -> bytes:
    """``data`` with ``fragment`` inserted relative to the target element.

    The fragment is encoded in the document's own encoding; characters that encoding cannot hold
    become character references, which parse back to the same characters. ``data`` is copied once,
    into the result.
    """
    if codec.startswith(("utf-16", "utf-32")):
        return _splice_wide(data, codec, where, fragment)
    edit = _locate(data, _TOKEN_BYTES, _NAME_BYTES, where)
    encoded = fragment.encode(codec, errors="xmlcharrefreplace")
    view = memoryview(data)  # slices of a view share the input's memory: one copy, the output
    return b"".join((view[: edit.start], edit.before, encoded, edit.after, view[edit.end :]))


def _splice_wide(data: bytes, codec: str, where: Target, fragment: str) -> bytes:
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
    edit = _locate(text, *_wide_patterns(), where)
    out = text[: edit.start] + edit.before + fragment + edit.after + text[edit.end :]
    return bom + out.encode(body_codec)


class _Spelling(Generic[AnyStr]):
    """The markup :func:`_locate` looks for, spelled as str or as bytes (made once, not per call)."""

    __slots__ = ("slash", "close", "empty_close", "end_open", "lt", "cdata", "hiding", "name_end")
    slash: AnyStr
    close: AnyStr
    empty_close: AnyStr  # "/>"
    end_open: AnyStr  # "</"
    lt: AnyStr
    cdata: AnyStr
    hiding: tuple[AnyStr, AnyStr]  # "!" and "?" after "<": comments, CDATA and PIs may hide "</name"
    name_end: tuple[AnyStr, ...]  # what may follow a name in an end tag

    def __init__(self, convert: Callable[[str], AnyStr]) -> None:
        self.slash, self.close, self.empty_close, self.end_open = (convert(c) for c in ("/", ">", "/>", "</"))
        self.lt, self.cdata = convert("<"), convert("<![CDATA[")
        self.hiding = (convert("!"), convert("?"))
        self.name_end = tuple(convert(c) for c in "> \t\r\n")


_SPELLING_BYTES: _Spelling[bytes] = _Spelling(lambda value: value.encode("ascii"))
_SPELLING_STR: _Spelling[str] = _Spelling(str)


def _spelling(text: AnyStr) -> _Spelling[AnyStr]:
    if isinstance(text, bytes):
        return _SPELLING_BYTES
    return _SPELLING_STR


def _locate(
    text: AnyStr,
    token: Pattern[AnyStr],
    name: Pattern[AnyStr],
    where: Target,
) -> _Edit[AnyStr]:
    empty = text[:0]
    mode = where.mode
    spelled = _spelling(text)
    start_tag = _skip(where.index, isinstance(text, str)).match(text)
    if start_tag is None:
        raise MalformedXml("could not find the signature's place in the document bytes", "")
    tag = start_tag.group(1)
    start, end = start_tag.span(1)
    if tag.endswith(spelled.empty_close):
        # <x/>: becomes <x>fragment</x> for APPEND/PREPEND; AFTER goes past the whole tag.
        if mode is SlotMode.AFTER:
            return _Edit(end, end, empty, empty)
        qname = name.match(tag)
        assert qname is not None
        opened = tag[:-2] + spelled.close
        closing = spelled.end_open + qname.group(1) + spelled.close
        return _Edit(start, end, opened, closing)
    tokens = token.finditer(text, end)
    if mode is SlotMode.PREPEND:
        # After the element's leading text: before its first child node, or its end tag.
        for match in tokens:
            if not match.group().startswith(spelled.cdata):
                return _Edit(match.start(), match.start(), empty, empty)
        raise MalformedXml("the document ends inside an element", "")
    fast = _end_tag_fast(text, where, tag, end, name, spelled)
    if fast is not None:
        at = fast[0] if mode is SlotMode.APPEND else fast[1]
        return _Edit(at, at, empty, empty)
    depth = 1  # the general case: walk the subtree's tags
    for match in tokens:
        tag = match.group()
        first = tag[1:2]
        if first in spelled.hiding:
            continue
        if first == spelled.slash:
            depth -= 1
            if depth == 0:
                at = match.start() if mode is SlotMode.APPEND else match.end()
                return _Edit(at, at, empty, empty)
        elif not tag.endswith(spelled.empty_close):
            depth += 1
    raise MalformedXml("the document ends inside an element", "")


def _end_tag_fast(
    text: AnyStr, where: Target, tag: AnyStr, after: int, name: Pattern[AnyStr], spelled: _Spelling[AnyStr]
) -> tuple[int, int] | None:
    """The anchor's end tag as the first ``</its-name>`` after its start tag, or None to walk.

    That holds when no element of the same name is nested inside (``where.nested``) and no
    comment, CDATA section or PI in between could hide such text (``<`` cannot occur in text or
    attribute values, so those are the only places).
    """
    if where.nested:
        return None
    qname = name.match(tag)
    assert qname is not None
    closing = spelled.end_open + qname.group(1)
    found = text.find(closing, after)
    while found >= 0 and text[found + len(closing) : found + len(closing) + 1] not in spelled.name_end:
        found = text.find(closing, found + 1)  # e.g. </ext:UBLExtensions> for </ext:UBLExtension
    if found < 0:
        return None
    for marker in spelled.hiding:
        # "<!" by its rare second character (one character is found with memchr, a pair byte by
        # byte), then the "<" before it.
        at = text.find(marker, after, found)
        while at >= 0:
            if text[at - 1 : at] == spelled.lt:
                return None
            at = text.find(marker, at + 1, found)
    return found, text.index(spelled.close, found) + 1
