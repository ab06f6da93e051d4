"""PDF documents of the process: checking uploads, and writing the exoneration letter.

An upload must really be a PDF of at most 1 MB, as the CAs' platforms require: the ``%PDF-``
header first, an ``%%EOF`` marker at the end, and a document that pypdf opens, with pages and no
active content (:mod:`minica.ca.requests.pdf_check`, with bounded work). The exoneration letter is
a small hand-written PDF 1.4 (one page, Helvetica, WinAnsi text).
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from minica.ca.requests.pdf_check import PdfFacts, read_pdf
from minica.errors import InvalidInput
from minica.storage.files import read_input

MAX_BYTES = 1024 * 1024  # "máximo 1 MB"


#: Longest file name kept for an upload (longer ones are cut, the extension kept).
MAX_NAME = 120


def read_upload(source: Path) -> tuple[str, bytes]:
    """A file the user names for upload: its name and bytes (checked later by :func:`check_pdf`)."""
    return source.name, read_input(source)


def upload_name(name: str) -> str:
    """The name an upload is recorded under: the last path component, printable, at most
    :data:`MAX_NAME` characters. It is only shown, never used as a path on disk."""
    base = name.replace("\\", "/").rsplit("/", 1)[-1].strip()
    if not base or base in (".", "..") or not base.isprintable():
        raise InvalidInput(f"'{name[:40]}' is not a usable file name", "give a plain name such as rut.pdf")
    if len(base) > MAX_NAME:
        stem, dot, ext = base.rpartition(".")
        base = (stem[: MAX_NAME - len(ext) - 1] + dot + ext) if dot and len(ext) <= 8 else base[:MAX_NAME]
    return base


def check_pdf(data: bytes, name: str) -> str:
    """Refuse anything but a real PDF of at most 1 MB; return its SHA-256 (hex)."""
    return inspect_pdf(data, name).sha256


def inspect_pdf(data: bytes, name: str) -> PdfFacts:
    """Refuse anything but a real PDF of at most 1 MB (see :func:`read_pdf`); return what was read."""
    if len(data) > MAX_BYTES:
        raise InvalidInput(
            f"{name} has {len(data):,} bytes, more than the 1 MB (1,048,576 bytes) allowed",
            "reduce it (lower scan resolution, grey scale) and upload it again",
        )
    if not data.startswith(b"%PDF-"):
        raise InvalidInput(
            f"{name} is not a PDF (it does not start with %PDF-)",
            "export or print the document to PDF and upload that file",
        )
    if b"%%EOF" not in data[-1024:]:
        raise InvalidInput(
            f"{name} is not a complete PDF (no %%EOF marker at its end)",
            "the file is truncated or damaged: export it to PDF again",
        )
    return read_pdf(data, name)


def _escape(text: str) -> bytes:
    raw = text.encode("cp1252", errors="replace")  # WinAnsiEncoding: Spanish accents and ñ
    return raw.replace(b"\\", b"\\\\").replace(b"(", b"\\(").replace(b")", b"\\)")


def _wrap(text: str, width: int) -> list[str]:
    lines: list[str] = []
    for paragraph in text.split("\n"):
        line = ""
        for word in paragraph.split(" "):
            if line and len(line) + 1 + len(word) > width:
                lines.append(line)
                line = word
            else:
                line = f"{line} {word}" if line else word
        lines.append(line)
    return lines


def simple_pdf(title: str, paragraphs: Sequence[str], *, author: str = "minica") -> bytes:
    """A one-page PDF 1.4 with a bold title and wrapped paragraphs (A4, Helvetica 10 pt)."""
    content = [b"BT", b"/F2 14 Tf", b"56 780 Td", b"(" + _escape(title) + b") Tj", b"/F1 10 Tf", b"0 -28 Td"]
    for paragraph in paragraphs:
        for line in _wrap(paragraph, 95):
            content.append(b"(" + _escape(line) + b") Tj")
            content.append(b"0 -14 Td")
        content.append(b"0 -8 Td")
    content.append(b"ET")
    stream = b"\n".join(content)
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R"
        b" /Resources << /Font << /F1 5 0 R /F2 6 0 R >> >> >>",
        b"<< /Length " + str(len(stream)).encode() + b" >>\nstream\n" + stream + b"\nendstream",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica-Bold /Encoding /WinAnsiEncoding >>",
        b"<< /Title (" + _escape(title) + b") /Author (" + _escape(author) + b") /Producer (minica) >>",
    ]
    out = bytearray(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += f"{number} 0 obj\n".encode() + body + b"\nendobj\n"
    xref = len(out)
    out += f"xref\n0 {len(objects) + 1}\n".encode() + b"0000000000 65535 f \n"
    for offset in offsets:
        out += f"{offset:010d} 00000 n \n".encode()
    out += (
        f"trailer\n<< /Size {len(objects) + 1} /Root 1 0 R /Info {len(objects)} 0 R >>\n"
        f"startxref\n{xref}\n%%EOF\n"
    ).encode()
    return bytes(out)
