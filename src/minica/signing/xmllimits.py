"""Limits on the shape of untrusted XML, each checked in time linear in the document's size.

libxml2 parses every shape in linear time, but canonicalization (inclusive C14N 1.0, which every
digest and the SignatureValue depend on, when signing and when verifying) is not linear in
everything. For each element it walks the namespace declarations in scope once per declaration
(comparing prefixes), and it sorts the element's attributes by insertion (comparing namespace URIs
and names). So 4,000 declarations on the root cost 4,000² prefix comparisons *per element*, and
200,000 attributes on one element cost 200,000² comparisons. The limits below bound exactly those
quantities, with the reason for each number next to it; the real documents measured for them are
the DIAN vectors and samples in ``tests/vectors`` and ``testdata`` and a 6.9 MB invoice with
3,000 lines (129,112 elements, 36,044 attributes).

Every check here is cheap: a byte translation and a few literal searches run on every document
(about a fifth of the time libxml2 takes to parse it). The exact walk over every tag runs only when
that cheap bound says the document may be costly (more namespace declarations or prefixed
attributes than real documents have), and only after libxml2 has parsed it, so the text is known
to be well-formed and the walk is linear.

The limits libxml2 itself enforces (we never pass ``huge_tree``) are reported as
:class:`~minica.errors.HostileXml` by :mod:`minica.signing.xmlsafe`: nesting deeper than
:data:`MAX_DEPTH`, names longer than :data:`MAX_NAME_LENGTH`, a text, attribute value, comment or
CDATA section longer than :data:`MAX_TEXT_LENGTH`.

All counts are made on the document's bytes (UTF-16 input is first re-encoded as UTF-8 by
:mod:`~minica.signing.xmlsafe`), so they are upper bounds: markup inside comments and CDATA
sections counts too.
"""

from __future__ import annotations

import itertools
import os
import re
from typing import NamedTuple

from minica.errors import HostileXml

#: Elements (start tags). The 6.9 MB invoice has 129,112; a million covers an invoice of ~50 MB.
MAX_ELEMENTS = 1_000_000
#: Attributes in the whole document, namespace declarations included. The 6.9 MB invoice has 36,044.
MAX_ATTRIBUTES = 1_000_000
#: Attributes on one element (namespace declarations not counted). C14N sorts them by insertion,
#: so one element costs the square of this. The most in a real document is 17 (nómina
#: ``Trabajador``); UBL elements carry at most 8.
MAX_ATTRIBUTES_PER_ELEMENT = 64
#: Namespace declarations in the whole document. Real documents have 6 to 12, all on the root
#: (and the signature's); 10,000 still allows a declaration on every line of a huge invoice.
MAX_NAMESPACE_DECLARATIONS = 10_000
#: Namespace declarations in scope of one element (its own and its ancestors'). C14N compares each
#: with each, for every element. Real documents have at most 12 in scope; UBL's full set is ~20.
MAX_NAMESPACES_IN_SCOPE = 64
#: Characters in one namespace URI. C14N compares the URIs of attributes in different namespaces
#: while sorting them, so a long URI is paid for on every element that uses it. The longest real
#: one is 72 characters (UBL's ``...:CommonExtensionComponents-2``).
MAX_NAMESPACE_URI_LENGTH = 256
#: Canonicalization work allowed per byte of the document. For every element: the namespace
#: declarations in scope times the length of their prefixes (each plus one), plus the square of its
#: prefixed attributes times the longest common start of two declared URIs (what sorting them
#: compares). Real documents need 1 to 7 per byte; one declaring all ~20 UBL namespaces on the root
#: needs about 45. At 100, the worst accepted document canonicalizes in about 0.3 µs per byte.
C14N_WORK_PER_BYTE = 100
#: Nesting depth, libxml2's own limit (without XML_PARSE_HUGE). Real documents nest 13 levels.
MAX_DEPTH = 256
#: Characters in one element, attribute or prefix name, libxml2's own limit. A long name costs only
#: its own bytes; real names are under 50 characters.
MAX_NAME_LENGTH = 50_000
#: Characters in one text, attribute value, comment or CDATA section, libxml2's own limit. The
#: largest real text is an AttachedDocument's embedded invoice (a CDATA section of a few MB).
MAX_TEXT_LENGTH = 10_000_000

_SIMPLIFY = "declare each namespace once, on the root element, with a short prefix"
_XML_NAMESPACE = b"http://www.w3.org/XML/1998/namespace"
#: Every byte except ``<`` and ``=``: what is left is one ``<`` per tag and one ``=`` per attribute.
_NOT_LT_OR_EQ = bytes(b for b in range(256) if b not in b"<=")
#: The text is translated in pieces this long: translating a whole document at once needs a buffer as
#: large as the document (above 128 KiB, memory fresh from the system) and took twice as long on a
#: 145 KB invoice.
_PIECE = 64 * 1024
#: A namespace declaration (attribute values cannot contain ``<``, so no match runs past a tag).
_DECLARATION = re.compile(rb"""xmlns(?::([^\s=<>/"']*))?\s*=\s*(?:"([^"<]*)"|'([^'<]*)')""")
# The patterns below are for shapes real documents do not have, so they are compiled (by ``re``,
# which keeps them) the first time a document needs one: compiling them at import cost 3.7 M
# instructions of every start of minica.
#: A start tag with more quoted values than allowed; no match runs past the next ``<``.
_CROWDED_TAG = rb"""<[^<>"'/!?][^<>"']*(?:(?:"[^"<]*"|'[^'<]*')[^<>"']*){%d}""" % (MAX_ATTRIBUTES_PER_ELEMENT + 1)
_WHOLE_TAG = rb"""<[^<>"']*(?:(?:"[^"<]*"|'[^'<]*')[^<>"']*)*"""
_ATTRIBUTE = rb"""([^\s=<>"'/]+)\s*=\s*(?:"[^"<]*"|'[^'<]*')"""
_ATTRIBUTE_VALUE = rb"""=[ \t\r\n]*["']"""
#: One token of a well-formed document: comment, CDATA, PI, end tag (group 1) or start tag (2, 3).
_TOKEN = rb"""<(?:!--.*?-->|!\[CDATA\[.*?\]\]>|\?.*?\?>|(/)|([^\s/>]+)([^>"']*(?:(?:"[^"]*"|'[^']*')[^>"']*)*)>)"""


class Shape(NamedTuple):  # not a dataclass: cheaper to define, at every start of minica
    """What the scan before parsing found; :meth:`finish` completes the checks after parsing."""

    text: bytes
    #: The longest common start of two namespace URIs an element's attributes may be in, plus one.
    shared_uri: int
    #: True when the exact walk is needed (more declarations or qualified attributes than real
    #: documents have, so the cheap bound on the canonicalization work does not hold).
    walk: bool

    def finish(self) -> None:
        """The checks that need a well-formed document (call it only after libxml2 parsed it)."""
        if self.walk:
            _walk(self.text, self.shared_uri)


def scan(text: bytes) -> Shape:
    """Check the limits that bytes alone can decide, before parsing; raises :class:`HostileXml`.

    ``text`` is the document in UTF-8 or a single-byte, ASCII-compatible encoding (so every
    markup character is one ASCII byte).
    """
    marks = b"".join([text[at : at + _PIECE].translate(None, _NOT_LT_OR_EQ) for at in range(0, len(text), _PIECE)])
    tags = elements = marks.count(b"<")  # elements: an upper bound, made tighter when it matters
    if tags > MAX_ELEMENTS:
        elements = tags - text.count(b"</")
        if elements > MAX_ELEMENTS:
            raise HostileXml(
                f"the document has {elements:,} elements, over the limit of {MAX_ELEMENTS:,}",
                "split it into several documents",
            )
    if len(marks) - tags > MAX_ATTRIBUTES:
        attributes = re.subn(_ATTRIBUTE_VALUE, b"", text)[1]
        if attributes > MAX_ATTRIBUTES:
            raise HostileXml(
                f"the document has {attributes:,} attributes, over the limit of {MAX_ATTRIBUTES:,}",
                "split it into several documents",
            )
    if b"=" * (MAX_ATTRIBUTES_PER_ELEMENT + 1) in marks:
        _check_crowded_tags(text)
    declarations = list(itertools.islice(_DECLARATION.finditer(text), MAX_NAMESPACE_DECLARATIONS + 1))
    if len(declarations) > MAX_NAMESPACE_DECLARATIONS:
        raise HostileXml(
            f"the document has more than {MAX_NAMESPACE_DECLARATIONS:,} namespace declarations",
            _SIMPLIFY,
        )
    weight = 0
    uris = [_XML_NAMESPACE]  # xml:lang and xml:space are in it without a declaration
    longest = len(_XML_NAMESPACE)
    for declaration in declarations:
        prefix, double, single = declaration.groups()
        uri = double if double is not None else single
        if len(uri) > MAX_NAMESPACE_URI_LENGTH:
            raise HostileXml(
                f"a namespace URI is {len(uri):,} characters long, over the limit of "
                f"{MAX_NAMESPACE_URI_LENGTH}",
                "use a short namespace URI (real ones are under 100 characters)",
            )
        weight += len(prefix or b"") + 1
        if prefix:
            uris.append(uri)
            longest = max(longest, len(uri))
    # Upper bounds of the canonicalization work: every element sees every declaration, every
    # attribute is on a crowded element, two URIs share at most the longest. Made exact (at a
    # cost) only when the cheap bound is over the budget.
    budget = C14N_WORK_PER_BYTE * len(text)
    crowded = (len(marks) - tags) * MAX_ATTRIBUTES_PER_ELEMENT
    within = len(declarations) * weight * elements + crowded * (longest + 1) <= budget
    shared = 0
    if not within or len(declarations) > MAX_NAMESPACES_IN_SCOPE:
        shared = _shared_start(uris)
        if elements == tags:
            elements = tags - text.count(b"</")
        within = len(declarations) * weight * elements + crowded * shared <= budget
    return Shape(text, shared_uri=shared, walk=len(declarations) > MAX_NAMESPACES_IN_SCOPE or not within)


def _shared_start(uris: list[bytes]) -> int:
    """The longest common start of two of ``uris`` (their full length when equal), plus one."""
    pairs = itertools.pairwise(sorted(uris))
    return max((1 + len(os.path.commonprefix([a, b])) for a, b in pairs), default=0)


def _check_crowded_tags(text: bytes) -> None:
    """Look at each tag with many quoted values; refuse the first with too many attributes."""
    crowded, whole_tag, attribute = (re.compile(p) for p in (_CROWDED_TAG, _WHOLE_TAG, _ATTRIBUTE))
    position = 0
    while (found := crowded.search(text, position)) is not None:
        whole = whole_tag.match(text, found.start())
        assert whole is not None  # it matches at least what _CROWDED_TAG matched
        names = attribute.findall(whole.group())
        attributes = sum(1 for name in names if not _is_declaration(name))
        if attributes > MAX_ATTRIBUTES_PER_ELEMENT:
            raise HostileXml(
                f"an element has {attributes:,} attributes, over the limit of {MAX_ATTRIBUTES_PER_ELEMENT}",
                "real DIAN elements have fewer than 20; put repeated data in child elements",
            )
        position = whole.end()


def _is_declaration(name: bytes) -> bool:
    return name == b"xmlns" or name.startswith(b"xmlns:")


def _walk(text: bytes, shared_uri: int) -> None:
    """Follow every tag of a well-formed document: namespace declarations in scope, and the
    canonicalization work they and the prefixed attributes cost (see :data:`C14N_WORK_PER_BYTE`)."""
    budget = C14N_WORK_PER_BYTE * len(text)
    work = elements = total = 0
    count, weight = 0, 0  # declarations in scope of the current element, and their prefix weight
    stack: list[tuple[int, int]] = []
    attribute = re.compile(_ATTRIBUTE)
    for token in re.finditer(_TOKEN, text, re.S):
        if token.group(1):  # end tag
            count, weight = stack.pop()
            continue
        name, rest = token.group(2, 3)
        if name is None:  # comment, CDATA section or processing instruction
            continue
        elements += 1
        stack.append((count, weight))
        if b":" in rest or b"xmlns" in rest:
            names = attribute.findall(rest)
            own = [n for n in names if _is_declaration(n)]
            if own:
                total += len(own)
                count += len(own)
                weight += sum(len(n) - 5 + (n == b"xmlns") for n in own)  # len(prefix) + 1
                _check_scope(len(own), count, total)
            prefixed = sum(1 for n in names if b":" in n and not _is_declaration(n))
            work += prefixed * prefixed * shared_uri
        work += count * weight
        if work > budget:
            raise HostileXml(
                f"the document is too costly to canonicalize for its size (more than {C14N_WORK_PER_BYTE} "
                f"units per byte by element {elements:,}; up to {count} namespace declarations in scope)",
                _SIMPLIFY + ", and few namespace-qualified attributes",
            )
        if rest.endswith(b"/"):  # empty-element tag: no end tag follows
            count, weight = stack.pop()


def _check_scope(own: int, in_scope: int, total: int) -> None:
    if own > MAX_NAMESPACES_IN_SCOPE:
        raise HostileXml(
            f"an element declares {own:,} namespaces, over the limit of {MAX_NAMESPACES_IN_SCOPE}", _SIMPLIFY
        )
    if in_scope > MAX_NAMESPACES_IN_SCOPE:
        raise HostileXml(
            f"an element has {in_scope:,} namespace declarations in scope (its own and its ancestors'), "
            f"over the limit of {MAX_NAMESPACES_IN_SCOPE}",
            _SIMPLIFY,
        )
    if total > MAX_NAMESPACE_DECLARATIONS:
        raise HostileXml(
            f"the document has more than {MAX_NAMESPACE_DECLARATIONS:,} namespace declarations", _SIMPLIFY
        )
