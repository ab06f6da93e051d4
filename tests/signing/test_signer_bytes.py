"""The output is the input's bytes with the signature inserted: nothing else moves."""

from __future__ import annotations

import codecs
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from lxml import etree

from minica.signing import namespaces as ns


def _inserted(original: bytes, signed: bytes) -> tuple[bytes, bytes]:
    """(input bytes that were replaced, output bytes that replaced them) at the one edit point."""
    prefix = 0
    limit = min(len(original), len(signed))
    while prefix < limit and original[prefix] == signed[prefix]:
        prefix += 1
    suffix = 0
    while (
        suffix < len(original) - prefix
        and original[len(original) - 1 - suffix] == signed[len(signed) - 1 - suffix]
    ):
        suffix += 1
    return original[prefix : len(original) - suffix], signed[prefix : len(signed) - suffix]


def test_input_bytes_survive_outside_the_inserted_region(
    unsigned_path: Path, sign: Callable[..., bytes]
) -> None:
    original = unsigned_path.read_bytes()
    signed = sign(original)
    removed, added = _inserted(original, signed)
    # Only a self-closing "/" may go (<x/> becomes <x>…</x>); everything else is an insertion.
    assert removed in (b"", b"/")
    assert added.count(b"ds:SignedInfo>") == 2  # the edit point may shift by a shared byte
    assert signed.startswith(original[:5])


def test_bom_crlf_declaration_and_comment_are_kept(testdata: Path, sign: Callable[..., bytes]) -> None:
    path = testdata / "dian-unsigned" / "Kreo-one__dian-nomina-individual-v1.0.2-skeleton.xml"
    original = path.read_bytes()
    signed = sign(original)
    assert signed.startswith(codecs.BOM_UTF8 + b'<?xml version="1.0" encoding="UTF-8"?>\r\n')
    assert b"<!--Version #1.0.2-->\r\n" in signed
    assert signed.count(b"\r\n") == original.count(b"\r\n")
    assert signed.count(b"\n") == original.count(b"\n")


def test_no_bom_is_added(testdata: Path, sign: Callable[..., bytes]) -> None:
    signed = sign((testdata / "invoice-habilitacion.xml").read_bytes())
    assert signed.startswith(b"<?xml ")


def test_latin1_document_stays_latin1(testdata: Path, sign: Callable[..., bytes]) -> None:
    original = (testdata / "debitnote-iso-8859-1.xml").read_bytes()
    signed = sign(original)
    assert signed.startswith(b'<?xml version="1.0" encoding="ISO-8859-1"')
    _, added = _inserted(original, signed)
    assert "Política".encode("iso-8859-1") in added  # encoded as the document says
    with pytest.raises(UnicodeDecodeError):
        signed.decode("utf-8")
    root = etree.fromstring(signed)
    assert "Política" in root.findtext(f".//{{{ns.XADES}}}Description")


def test_ascii_document_gets_character_references(
    testdata: Path, sign: Callable[..., bytes], xmlsec_verify: Callable[[bytes], Any]
) -> None:
    text = (testdata / "debitnote-iso-8859-1.xml").read_bytes().decode("iso-8859-1")
    text = text.replace('encoding="ISO-8859-1"', 'encoding="US-ASCII"')
    ascii_doc = text.encode("ascii", errors="xmlcharrefreplace")
    signed = sign(ascii_doc)
    signed.decode("ascii")
    assert b"Pol&#237;tica" in signed
    assert xmlsec_verify(signed).returncode == 0


def test_utf16_document(testdata: Path, sign: Callable[..., bytes], xmlsec_verify: Callable[[bytes], Any]) -> None:
    text = (testdata / "invoice-habilitacion.xml").read_text("utf-8")
    text = text.replace('encoding="UTF-8"', 'encoding="UTF-16"')
    original = codecs.BOM_UTF16_LE + text.encode("utf-16-le")
    signed = sign(original)
    assert signed.startswith(codecs.BOM_UTF16_LE + "<?xml".encode("utf-16-le"))
    assert "Facturación electrónica — Café".encode("utf-16-le") in signed
    assert xmlsec_verify(signed).returncode == 0


def test_reparsed_output_is_the_tree_that_was_digested(
    sample_path: Path, sign: Callable[..., bytes]
) -> None:
    """Re-parsing the spliced bytes and removing the signature gives the digested document."""
    import base64
    import hashlib

    signed = sign(sample_path.read_bytes())
    root = etree.fromstring(signed)
    sig = root.find(f".//{{{ns.DS}}}Signature")
    stated = sig.findtext(f"{{{ns.DS}}}SignedInfo/{{{ns.DS}}}Reference/{{{ns.DS}}}DigestValue")
    sig.getparent().remove(sig)
    canonical = etree.tostring(root.getroottree(), method="c14n", with_comments=False)
    assert base64.b64encode(hashlib.sha256(canonical).digest()).decode() == stated


def _strip_signature_namespaces(data: bytes) -> bytes:
    for prefix, uri in (("ds", ns.DS), ("xades", ns.XADES), ("xades141", "http://uri.etsi.org/01903/v1.4.1#")):
        data = data.replace(f' xmlns:{prefix}="{uri}"'.encode(), b"")
    return data


def test_signature_declares_ds_and_xades_when_the_root_does_not(
    testdata: Path, sign: Callable[..., bytes], xmlsec_verify: Callable[[bytes], Any]
) -> None:
    original = _strip_signature_namespaces((testdata / "invoice-habilitacion.xml").read_bytes())
    assert b"xmlns:ds" not in original
    signed = sign(original)
    _, added = _inserted(original, signed)
    assert added.count(b"xmlns:") == 2
    assert f'<ds:Signature xmlns:ds="{ns.DS}" xmlns:xades="{ns.XADES}" Id='.encode() in added
    assert xmlsec_verify(signed).returncode == 0


def test_no_redundant_declarations_when_the_root_has_them(
    testdata: Path, sign: Callable[..., bytes]
) -> None:
    original = (testdata / "invoice-habilitacion.xml").read_bytes()
    _, added = _inserted(original, sign(original))
    assert b"xmlns" not in added


def test_prefix_bound_elsewhere_is_redeclared(
    testdata: Path, sign: Callable[..., bytes], xmlsec_verify: Callable[[bytes], Any]
) -> None:
    original = (testdata / "invoice-habilitacion.xml").read_bytes()
    original = original.replace(f'xmlns:ds="{ns.DS}"'.encode(), b'xmlns:ds="urn:not-xmldsig"')
    signed = sign(original)
    assert f'<ds:Signature xmlns:ds="{ns.DS}" Id='.encode() in signed
    assert xmlsec_verify(signed).returncode == 0


def test_missing_ubl_extensions_is_created_first(
    testdata: Path, sign: Callable[..., bytes], xmlsec_verify: Callable[[bytes], Any]
) -> None:
    text = (testdata / "applicationresponse-030-acuse.xml").read_text("utf-8")
    start, end = text.index("\t<ext:UBLExtensions>"), text.index("</ext:UBLExtensions>\n") + 21
    text = text[:start] + text[end:]
    text = text.replace(f' xmlns:ext="{ns.EXT}"', "")
    signed = sign(text.encode("utf-8"))
    root = etree.fromstring(signed)
    assert root[0].tag == f"{{{ns.EXT}}}UBLExtensions"
    assert root[0].find(f"{{{ns.EXT}}}UBLExtension/{{{ns.EXT}}}ExtensionContent/{{{ns.DS}}}Signature") is not None
    assert f'<ext:UBLExtensions xmlns:ext="{ns.EXT}">'.encode() in signed
    assert xmlsec_verify(signed).returncode == 0


def test_fast_end_tag_search_agrees_with_the_tag_walk(unsigned_path: Path) -> None:
    """The search for the anchor's end tag by name finds what walking every tag finds."""
    from minica.signing import splice
    from minica.signing.document import UblDocument

    data = unsigned_path.read_bytes()
    document = UblDocument.from_bytes(data)
    slot = document.signature_slot()
    where = splice.target(document.root, slot.anchor, slot.mode)
    codec = splice.codec_of(document.tree.docinfo.encoding)
    slow = splice.Target(where.index, where.mode, nested=True)  # as if nested: walk the tags
    assert splice.splice(data, codec, where, "<x/>") == splice.splice(data, codec, slow, "<x/>")


def test_comment_after_the_dian_extension_takes_the_slow_path(
    testdata: Path, sign: Callable[..., bytes], xmlsec_verify: Callable[[bytes], Any]
) -> None:
    original = (testdata / "invoice-habilitacion.xml").read_bytes()
    original = original.replace(
        b"\t</ext:UBLExtensions>", b"\t<!-- </ext:UBLExtension> -->\n\t</ext:UBLExtensions>", 1
    )
    signed = sign(original)
    removed, added = _inserted(original, signed)
    assert removed == b"" and added.startswith(b"<ext:UBLExtension><ext:ExtensionContent>")
    assert signed.index(b"<ext:UBLExtension><ext:ExtensionContent><ds:Signature") < signed.index(b"<!-- </ext:")
    assert xmlsec_verify(signed).returncode == 0
