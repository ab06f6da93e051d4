"""PDFs for the upload tests (importable as ``pdf_samples``): fakes, hostile shapes, signed letters.

Every hostile shape stays within the 1 MB upload limit; what it would cost a careless reader is
said beside it. The signed letters are the generated letter changed the way a person changes it:
a signature drawn on the page, or a reader's pen annotation.
"""

from __future__ import annotations

import io
import struct
import zlib
from collections.abc import Callable, Sequence

from pypdf import PdfReader, PdfWriter
from pypdf.actions import JavaScript
from pypdf.annotations import PolyLine

from minica.ca.requests.pdf import simple_pdf

#: The 53-byte "PDF" the old check accepted: the header, an HTML page with a script, the marker.
FAKE_HTML_PDF = b"%PDF-1.4\n<html><script>alert(1)</script></html>\n%%EOF"

_CATALOG = b"<< /Type /Catalog /Pages 2 0 R >>"
_PAGES = b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>"
_PAGE = b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R /X 5 0 R >>"
_CONTENT = b"<< /Length 5 >>\nstream\nBT ET\nendstream"


def document() -> bytes:
    """A real one-page PDF, as minica writes them."""
    return simple_pdf("Documento de prueba", ["Contenido del documento."])


def assemble(objects: Sequence[bytes], trailer: bytes = b"") -> bytes:
    """A PDF 1.7 with a classic cross-reference table; object 1 is the catalog."""
    out = bytearray(b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R %s>>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, trailer, xref)
    return bytes(out)


def with_object(body: bytes) -> bytes:
    """A one-page PDF whose page refers to ``body`` (object 5), so that a reader must read it."""
    return assemble([_CATALOG, _PAGES, _PAGE, _CONTENT, body])


def _bomb(megabytes: int, before: bytes = b"") -> bytes:
    """``before`` then ``megabytes`` MB of zeros, zlib-deflated (1,000 to 1) and written fast: one
    deflated MB ends in a full flush, so the same bytes can follow again; the Adler-32 of zeros
    keeps its low half and adds that half once per zero to its high half."""
    squeeze = zlib.compressobj(9, zlib.DEFLATED, -15)
    head = squeeze.compress(before) + squeeze.flush(zlib.Z_FULL_FLUSH)
    one = squeeze.compress(bytes(1 << 20)) + squeeze.flush(zlib.Z_FULL_FLUSH)
    low, high = zlib.adler32(before) & 0xFFFF, zlib.adler32(before) >> 16
    check = (high + (megabytes << 20) * low) % 65521 << 16 | low
    return b"\x78\xda" + head + one * megabytes + squeeze.flush() + struct.pack(">I", check)


def deep_arrays() -> bytes:
    """400,000 arrays nested in each other: a recursive parser runs out of stack."""
    return with_object(b"[" * 400_000 + b"]" * 400_000)


def deep_dictionaries() -> bytes:
    """130,000 dictionaries nested in each other."""
    return with_object(b"<</A " * 130_000 + b">>" * 130_000)


def many_objects() -> bytes:
    """20,000 objects, each referring to the next (all reachable), in one MB."""
    chain = [b"[%d 0 R]" % number for number in range(6, 20_005)]
    return assemble([_CATALOG, _PAGES, _PAGE, _CONTENT, *chain, b"null"])


def many_values() -> bytes:
    """Half a million tiny values: the most parsing a MB of input can ask for."""
    row = b"[" + b"0 " * 49_000 + b"]"
    return assemble([_CATALOG, _PAGES, _PAGE, _CONTENT, *(b"[%d 0 R %s]" % (n, row) for n in range(6, 16)), b"null"])


def content_bomb() -> bytes:
    """A page content stream that inflates to 900 MB (never needed to check an upload)."""
    data = _bomb(900)
    stream = b"<< /Length %d /Filter /FlateDecode >>\nstream\n" % len(data) + data + b"\nendstream"
    return assemble([_CATALOG, _PAGES, _PAGE.replace(b" /X 5 0 R", b""), stream])


def object_stream_bomb() -> bytes:
    """The page tree inside an object stream that inflates to 900 MB (pypdf's default limit is 75 MB)."""
    return _with_object_stream({1: _CATALOG, 2: _PAGES, 3: _PAGE.replace(b" /Contents 4 0 R /X 5 0 R", b"")},
                               padding=900)  # fmt: skip


def page_tree_cycle() -> bytes:
    """A page tree that contains itself."""
    return assemble([_CATALOG, b"<< /Type /Pages /Kids [2 0 R 3 0 R] /Count 2 >>",
                     b"<< /Type /Pages /Kids [2 0 R] /Parent 2 0 R /Count 1 >>"])  # fmt: skip


def reference_cycle() -> bytes:
    """Objects that refer to each other in a ring: harmless once each is visited once."""
    return assemble([_CATALOG, _PAGES, _PAGE, _CONTENT, b"[6 0 R]", b"<< /Next 5 0 R >>"])


def page_tree_explosion() -> bytes:
    """20 page-tree levels, each naming the next twice: a million pages from 2 KB."""
    level = b"<< /Type /Pages /Kids [%d 0 R %d 0 R] /Count %d >>"
    levels = [level % (n + 1, n + 1, 2 ** (22 - n)) for n in range(2, 22)]
    return assemble([_CATALOG, *levels, b"<< /Type /Page /MediaBox [0 0 595 842] >>"])


def no_pages() -> bytes:
    return assemble([_CATALOG, b"<< /Type /Pages /Kids [] /Count 0 >>"])


def javascript() -> bytes:
    """Opens with a script (the name hex-escaped, as scanners' evasions do)."""
    return assemble([_CATALOG.replace(b">>", b"/OpenAction 5 0 R >>"), _PAGES, _PAGE.replace(b" /X 5 0 R", b""),
                     _CONTENT, b"<< /S /J#61vaScript /JS (app.alert\\(1\\)) >>"])  # fmt: skip


def launch_action() -> bytes:
    """A page that runs a program when it is opened."""
    page = _PAGE.replace(b" /X 5 0 R", b" /AA << /O << /S /Launch /F (cmd.exe) >> >>")
    return assemble([_CATALOG, _PAGES, page, _CONTENT])


def _pypdf(change: Callable[[PdfWriter], None], base: bytes | None = None) -> bytes:
    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(base or document())))
    change(writer)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def javascript_in_an_object_stream() -> bytes:
    """A document-level script, as pypdf writes it (the names tree)."""
    return _pypdf(lambda writer: writer.add_open_action(JavaScript("app.alert('hola');")))


def attachment() -> bytes:
    return _pypdf(lambda writer: writer.add_attachment("factura.exe", b"MZ\x90\x00"))


def encrypted(user_password: str) -> bytes:
    """AES-256; with an empty user password it opens without asking (an owner password only)."""
    return _pypdf(lambda writer: writer.encrypt(user_password, "propietario", algorithm="AES-256"))


def resaved(letter: bytes) -> bytes:
    """The letter opened and saved again by another program, unchanged."""
    return _pypdf(lambda writer: None, letter)


def signed_letter(letter: bytes) -> bytes:
    """The letter with a signature drawn over its signature line (as a signing app or an editor does)."""

    def draw(writer: PdfWriter) -> None:
        page = writer.pages[0]
        content = page.get_contents()
        assert content is not None
        stroke = b"q 0 0 0.55 RG 1.4 w 100 452 m 125 480 150 430 170 458 c 190 485 215 440 245 462 c S Q"
        content.set_data(content.get_data() + b"\n" + stroke)
        page.replace_contents(content)

    return _pypdf(draw, letter)


def pen_signed_letter(letter: bytes) -> bytes:
    """The letter signed with a PDF reader's pen: an annotation on the page, the content untouched."""
    stroke = [(100, 452), (125, 478), (150, 436), (170, 458), (195, 480), (245, 462)]
    return _pypdf(lambda writer: writer.add_annotation(0, PolyLine(vertices=stroke)), letter)


def _with_object_stream(objects: dict[int, bytes], *, padding: int = 0) -> bytes:
    """A PDF 1.5 whose ``objects`` live in one object stream (``padding`` MB of zeros after them)."""
    header = payload = b""
    for number in sorted(objects):
        header += b"%d %d " % (number, len(payload))
        payload += objects[number] + b" "
    data = _bomb(padding, header + payload)
    stream, xref = max(objects) + 1, max(objects) + 2
    out = bytearray(b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n")
    stream_at = len(out)
    out += b"%d 0 obj\n<< /Type /ObjStm /N %d /First %d /Length %d /Filter /FlateDecode >>\nstream\n" % (
        stream, len(objects), len(header), len(data)) + data + b"\nendstream\nendobj\n"  # fmt: skip
    rows = [b"\x00" + struct.pack(">IH", 0, 65535)]
    rows += [b"\x02" + struct.pack(">IH", stream, index) for index in range(len(objects))]
    rows += [b"\x01" + struct.pack(">IH", stream_at, 0), b"\x01" + struct.pack(">IH", len(out), 0)]
    table = zlib.compress(b"".join(rows))
    xref_at = len(out)
    out += b"%d 0 obj\n<< /Type /XRef /Size %d /W [1 4 2] /Root 1 0 R /Length %d /Filter /FlateDecode >>\nstream\n" % (
        xref, xref + 1, len(table)) + table + b"\nendstream\nendobj\nstartxref\n%d\n%%%%EOF\n" % xref_at  # fmt: skip
    return bytes(out)


#: Each hostile shape, for the bounded-work test: (name, builder).
HOSTILE: list[tuple[str, Callable[[], bytes]]] = [
    ("deep arrays", deep_arrays),
    ("deep dictionaries", deep_dictionaries),
    ("many objects", many_objects),
    ("many values", many_values),
    ("content stream bomb", content_bomb),
    ("object stream bomb", object_stream_bomb),
    ("page tree cycle", page_tree_cycle),
    ("reference cycle", reference_cycle),
    ("page tree explosion", page_tree_explosion),
]
