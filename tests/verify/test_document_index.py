"""The wrapping defences find what they look for across the document in one pass, and read only
the signature for ``Id`` attributes when the document's characters prove there is none elsewhere
(:mod:`minica.signing.document_index`); the report must not change.

Each shape here is checked twice, with the characters and without them (the exact XPath), and the
two reports must be equal; the wrapping shapes are spelled the way a byte count could miss (white
space around ``=``, UTF-16), or hidden where a name search could miss them (no prefix, a long one).
"""

from __future__ import annotations

import copy

import pytest
import verify_kit as kit
from lxml import etree
from verify_kit import failing

from minica.signing.checks_signature_shape import check_signature_shape
from minica.signing.checks_structure import Checks, locate
from minica.signing.document_index import MAX_CANDIDATES, DocumentIndex, id_attributes_at_most
from minica.signing.report import Check
from minica.signing.xmlsafe import parse_xml_with_text

NS = kit.NS
UNSIGNED_CONTENT = kit.HERE.parent / "vectors" / "unsigned-content"


def _structure(data: bytes, *, bounded: bool) -> list[Check]:
    tree, text = parse_xml_with_text(data)
    root = tree.getroot()
    index = DocumentIndex(root, text if bounded else None)
    out = Checks()
    parts = locate(root, out, index)
    if parts is not None:
        check_signature_shape(parts, root, out, index)
    return out.items


def _same_report(data: bytes) -> list[Check]:
    bounded = _structure(data, bounded=True)
    assert bounded == _structure(data, bounded=False)
    return bounded


def _body_note(data: bytes, attributes: bytes) -> bytes:
    """``data`` with ``attributes`` written into the start tag of the body's cbc:Note."""
    return kit.swap(data, b"<cbc:Note>", b"<cbc:Note" + attributes + b">")


def _sp_id(data: bytes) -> bytes:
    root = etree.fromstring(data)
    return str(kit.signature(root).find(".//xades:SignedProperties", NS).get("Id")).encode()


def test_a_clean_document_takes_the_short_way_with_the_same_report(ours: bytes) -> None:
    tree, text = parse_xml_with_text(ours)
    signature = kit.signature(tree.getroot())
    assert id_attributes_at_most(text) == len(signature.xpath("descendant-or-self::*[@Id]"))
    assert all(c.status == "pass" for c in _same_report(ours))


def test_every_vector_reports_the_same(vectors: dict[str, bytes]) -> None:
    documents = [*vectors.values(), *(p.read_bytes() for p in sorted(UNSIGNED_CONTENT.glob("*.xml")))]
    assert len(documents) > 10
    for data in documents:
        _same_report(data)


@pytest.mark.parametrize("spelling", [b' Id="{}"', b"\nId\n=\t'{}'", b"\tId =  \"{}\"", b"\r\nId\r\n=\"{}\""])
def test_duplicate_id_outside_the_signature_is_seen_however_spelled(
    ours: bytes, verify, spelling: bytes
) -> None:
    data = _body_note(ours, spelling.replace(b"{}", _sp_id(ours)))
    assert "MINICA-DUPLICATE-ID" in failing(verify(data))
    _same_report(data)


def test_duplicate_id_in_utf16_is_seen(ours: bytes, verify) -> None:
    data = _body_note(ours, b' Id="' + _sp_id(ours) + b'"')
    declaration = data[: data.index(b"?>") + 2]
    text = data.decode().replace(declaration.decode(), '<?xml version="1.0" encoding="UTF-16"?>')
    utf16 = text.encode("utf-16")
    assert "MINICA-DUPLICATE-ID" in failing(verify(utf16))
    _same_report(utf16)


@pytest.mark.parametrize(
    "element",
    [
        f'<Signature xmlns="{kit.DS}"/>',
        '<ds:Signature\n/>',
        f'<{"p" * 300}:Signature xmlns:{"p" * 300}="{kit.DS}"></{"p" * 300}:Signature>',
    ],
)
def test_second_signature_is_seen_however_spelled(ours: bytes, verify, element: str) -> None:
    data = kit.swap(ours, b"</cbc:Note>", element.encode() + b"</cbc:Note>")
    assert "AA04" in failing(verify(data))
    _same_report(data)


@pytest.mark.parametrize("prefix", ["", "q", "x" * 300])
def test_stray_signed_properties_are_seen_however_spelled(ours: bytes, verify, prefix: str) -> None:
    root = etree.fromstring(ours)
    stray = copy.deepcopy(kit.signature(root).find(".//xades:SignedProperties", NS))
    del stray.attrib["Id"]
    holder = etree.SubElement(root.find("cbc:Note", NS), "{urn:x-attacker}Holder", nsmap={prefix or None: kit.XADES})
    holder.append(stray)
    data = etree.tostring(root.getroottree(), xml_declaration=True, encoding="UTF-8")
    assert f"<{prefix + ':' if prefix else ''}SignedProperties".encode() in data
    assert "MINICA-SIGNED-PROPERTIES-LOCATION" in failing(verify(data))
    _same_report(data)


def test_comment_with_markup_is_seen(ours: bytes, verify) -> None:
    data = kit.swap(ours, b"</cbc:Note>", b"<!-- <cbc:PayableAmount>1</cbc:PayableAmount> --></cbc:Note>")
    assert "MINICA-UNSIGNED-COMMENT" in failing(verify(data))
    _same_report(data)


def test_look_alikes_in_text_only_take_the_long_way(ours: bytes) -> None:
    """Spellings in text, comments and CDATA are counted too (a bound, never an exact count)."""
    data = kit.swap(ours, b"</cbc:Note>", b" x Id= <![CDATA[<x Id='1'/>]]><!-- Id=2 --></cbc:Note>")
    _same_report(data)
    tree, text = parse_xml_with_text(data)
    inside = kit.signature(tree.getroot()).xpath("descendant-or-self::*[@Id]")
    assert id_attributes_at_most(text) == len(inside) + 3


def test_too_many_spellings_mean_the_xpath() -> None:
    assert id_attributes_at_most(b"<a>" + b" Id=" * MAX_CANDIDATES + b"</a>") == MAX_CANDIDATES
    assert id_attributes_at_most(b"<a>" + b" Id=" * (MAX_CANDIDATES + 1) + b"</a>") is None


def test_comments_before_and_after_the_root_are_found() -> None:
    root = etree.fromstring(b"<!--a--><?p x?><!--b--><r><!--c--><s/></r><!--d-->")
    assert [c.text for c in DocumentIndex(root).comments_outside_signatures()] == ["a", "b", "c", "d"]
