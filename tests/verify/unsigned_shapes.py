"""Unsigned content an attacker can add to a signed DIAN document without its key.

Test utilities, not product code. Each :class:`Shape` edits the signed bytes in one place (a byte
level insertion, so nothing else in the file changes) and names the rule that must refuse it. Every
shape here keeps the XML-DSig maths intact: the enveloped transform removes the whole
``ds:Signature`` from the document digest, and canonicalization without comments drops comments,
so xmlsec1 still accepts the result. The files in ``tests/vectors/unsigned-content/`` are these
shapes applied to DIAN's signed CreditNote example; regenerate them with
``python tests/verify/unsigned_shapes.py`` (``test_unsigned_content`` checks they are current).
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from lxml import etree

CAC = "urn:oasis:names:specification:ubl:schema:xsd:CommonAggregateComponents-2"
CBC = "urn:oasis:names:specification:ubl:schema:xsd:CommonBasicComponents-2"
DS = "http://www.w3.org/2000/09/xmldsig#"
EXT = "urn:oasis:names:specification:ubl:schema:xsd:CommonExtensionComponents-2"
#: The amount every forgery claims.
FORGED_AMOUNT = "1.00"
FORGED_TOTAL = (
    f'<cac:LegalMonetaryTotal xmlns:cac="{CAC}" xmlns:cbc="{CBC}">'
    f'<cbc:PayableAmount currencyID="COP">{FORGED_AMOUNT}</cbc:PayableAmount></cac:LegalMonetaryTotal>'
).encode()

HERE = Path(__file__).resolve().parent
VECTORS = HERE.parent / "vectors" / "unsigned-content"
SOURCE = HERE.parent / "vectors" / "dian" / "Kreo-one__dian-fe19-creditnote.xml"


def replace_one(data: bytes, anchor: bytes, new: bytes) -> bytes:
    """Replace the one occurrence of ``anchor``."""
    assert data.count(anchor) == 1, (anchor, data.count(anchor))
    return data.replace(anchor, new)


def insert(data: bytes, anchor: bytes, before: bytes = b"", after: bytes = b"") -> bytes:
    """Put ``before``/``after`` around the one occurrence of ``anchor``."""
    return replace_one(data, anchor, before + anchor + after)


def forged_copy(data: bytes) -> bytes:
    """The signed document's own body, without its extensions, every PayableAmount forged."""
    root = etree.fromstring(data)
    body = copy.deepcopy(root)
    for extensions in body.findall(f"{{{EXT}}}UBLExtensions"):
        body.remove(extensions)
    amounts = body.findall(f".//{{{CBC}}}PayableAmount")
    assert amounts, "the document has no cbc:PayableAmount"
    for amount in amounts:
        amount.text = FORGED_AMOUNT
    body.tail = None
    return bytes(etree.tostring(body, encoding="UTF-8", xml_declaration=False))


def document_reference(data: bytes) -> bytes:
    """A copy of the signature's ``URI=""`` reference (without its Id): it verifies wherever it is."""
    root = etree.fromstring(data)
    reference = next(r for r in root.iter(f"{{{DS}}}Reference") if r.get("URI") == "")
    reference = copy.deepcopy(reference)
    reference.attrib.pop("Id", None)
    reference.tail = None
    return bytes(etree.tostring(reference, encoding="UTF-8", xml_declaration=False))


@dataclass(frozen=True)
class Shape:
    """One way to add unsigned content, and the rules that refuse it (besides trust)."""

    name: str
    rules: frozenset[str]
    build: Callable[[bytes], bytes]
    on_disk: bool = False

    def __call__(self, data: bytes) -> bytes:
        return self.build(data)


def _shape(name: str, rules: str | tuple[str, ...], build: Callable[[bytes], bytes], *, on_disk: bool = False) -> Shape:
    return Shape(name, frozenset((rules,) if isinstance(rules, str) else rules), build, on_disk)


SHAPES: tuple[Shape, ...] = (
    _shape("second-object-forged-copy", "MINICA-SIGNATURE-OBJECT", lambda d: insert(
        d, b"</ds:Signature>", before=b"<ds:Object>" + forged_copy(d) + b"</ds:Object>"), on_disk=True),
    _shape("forged-object-first", "MINICA-SIGNATURE-OBJECT", lambda d: insert(
        d, b"<ds:Object>", before=b"<ds:Object>" + forged_copy(d) + b"</ds:Object>")),
    _shape("foreign-element-in-object", "MINICA-SIGNATURE-NAMESPACE", lambda d: insert(
        d, b"</ds:Object>", before=FORGED_TOTAL), on_disk=True),
    _shape("xmldsig-element-in-object", "MINICA-SIGNATURE-ELEMENT", lambda d: insert(
        d, b"</ds:Object>", before=b'<ds:SignatureProperties><ds:SignatureProperty Target="#x">'
        b"PayableAmount " + FORGED_AMOUNT.encode() + b"</ds:SignatureProperty></ds:SignatureProperties>")),
    _shape("second-signature-value", "MINICA-SIGNATURE-ELEMENT", lambda d: insert(
        d, b"</ds:SignatureValue>", after=b"<ds:SignatureValue>AAAA</ds:SignatureValue>")),
    _shape("manifest", "MINICA-SIGNATURE-MANIFEST", lambda d: insert(
        d, b"</ds:Object>", before=b"<ds:Manifest>" + document_reference(d) + b"</ds:Manifest>"), on_disk=True),
    _shape("text-in-object", "MINICA-SIGNATURE-TEXT", lambda d: insert(
        d, b"<ds:Object>", after=b"Total a pagar: " + FORGED_AMOUNT.encode() + b" COP"), on_disk=True),
    _shape("text-after-keyinfo", "MINICA-SIGNATURE-TEXT", lambda d: insert(
        d, b"</ds:KeyInfo>", after=b"Total a pagar: " + FORGED_AMOUNT.encode() + b" COP")),
    _shape("attribute-on-object", "MINICA-SIGNATURE-ATTRIBUTE", lambda d: replace_one(
        d, b"<ds:Object>", b'<ds:Object PayableAmount="' + FORGED_AMOUNT.encode() + b'">')),
    _shape("comment-in-signature", "MINICA-SIGNATURE-COMMENT", lambda d: insert(
        d, b"</ds:Object>", after=b"<!-- " + FORGED_TOTAL + b" -->"), on_disk=True),
    _shape("processing-instruction-in-signature", "MINICA-SIGNATURE-COMMENT", lambda d: insert(
        d, b"</ds:Object>", after=b'<?factura PayableAmount="' + FORGED_AMOUNT.encode() + b'"?>')),
    _shape("unsigned-properties", "MINICA-UNSIGNED-PROPERTIES", lambda d: insert(
        d, b"</xades:QualifyingProperties>", before=b"<xades:UnsignedProperties><xades:UnsignedSignatureProperties>"
        + FORGED_TOTAL + b"</xades:UnsignedSignatureProperties></xades:UnsignedProperties>"), on_disk=True),
    _shape("comment-with-markup-in-body", "MINICA-UNSIGNED-COMMENT", lambda d: insert(
        d, b"</ext:UBLExtensions>", after=b"<!--" + FORGED_TOTAL + b"-->"), on_disk=True),
    # These two also break a digest (the content sits where a reference looks), so ZE02 fails too.
    _shape("foreign-element-in-signature-value", ("MINICA-SIGNATURE-NAMESPACE", "ZE02"), lambda d: insert(
        d, b"</ds:SignatureValue>", before=FORGED_TOTAL)),
    _shape("element-beside-signature", ("MINICA-EXTENSION-CONTENT", "ZE02"), lambda d: insert(
        d, b"</ds:Signature>", after=FORGED_TOTAL)),
)


def vector_name(shape: Shape) -> str:
    return f"{SOURCE.stem}+{shape.name}.xml"


def write_vectors() -> list[Path]:
    """(Re)write the on-disk negative vectors from DIAN's signed CreditNote."""
    VECTORS.mkdir(parents=True, exist_ok=True)
    data = SOURCE.read_bytes()
    written = []
    for shape in SHAPES:
        if shape.on_disk:
            path = VECTORS / vector_name(shape)
            path.write_bytes(shape(data))
            written.append(path)
    return written


if __name__ == "__main__":
    for written_path in write_vectors():
        print(written_path)
