"""Reading an uploaded PDF with pypdf, with bounded work: it must open, have pages and no active content.

A CA's upload form takes documents a reviewer will open: the RUT, the chamber of commerce
certificate, a scanned ID, the signed exoneration letter. :func:`read_pdf` accepts what a PDF
reader opens without asking anything:

- the file opens: pypdf finds its cross-reference data and catalog, repairing small damage the
  way readers do (``strict=False``: an offset a few bytes off, a missing free entry);
- it has at least one page;
- it is not encrypted, or encrypted only against changes (an owner password, which readers open
  without asking); a file that needs a password to be read is refused;
- it carries no active content: JavaScript, launch actions, attached files.

A hostile upload is at most 1 MB, but streams inflate, objects can be many or nested deep, and
references can loop. The work stays bounded:

- pypdf's own limits are lowered for the check (a context variable, so threads do not mix):
  every stream pypdf decodes inflates to at most :data:`MAX_STREAM_BYTES`, and no external
  decoder (``jbig2dec``) is ever run;
- page content streams and images are never decoded — except the content of a one-page document,
  at most :data:`MAX_PAGE_CONTENT_BYTES`, to recognise minica's own unsigned letter;
- at most :data:`MAX_OBJECTS` objects, object streams inflating to at most
  :data:`MAX_OBJECT_STREAM_BYTES` in total (each decoded and counted before the page tree or the
  walk below reads from it) and :data:`MAX_PAGES` pages;
- the walk for active content visits each object once (loops end there) without recursion, at
  most :data:`MAX_VALUES` values; nesting deeper than pypdf's parser goes is refused.
"""

from __future__ import annotations

import hashlib
import io
import logging
from dataclasses import dataclass

from pypdf import Configuration, PasswordType, PdfReader, apply_configuration
from pypdf.errors import LimitReachedError
from pypdf.generic import ArrayObject, DictionaryObject, IndirectObject, NameObject, PdfObject, StreamObject

from minica.errors import InvalidInput

#: Most bytes one stream that pypdf decodes for the check (cross-reference or object stream) may inflate to.
MAX_STREAM_BYTES = 1024 * 1024
#: Most bytes all the object streams of a document may inflate to, together.
MAX_OBJECT_STREAM_BYTES = 1024 * 1024
#: Most objects a document may have (a 1 MB file of real documents has a few thousand at most).
MAX_OBJECTS = 50_000
#: Most pages (counting a page each time the page tree names it).
MAX_PAGES = 5_000
#: Most values (dictionaries, arrays, names, numbers, …) the walk for active content visits.
MAX_VALUES = 1_000_000
#: Most bytes the content of a one-page document is decoded to, to compare it with minica's letter.
MAX_PAGE_CONTENT_BYTES = 256 * 1024


def _limits(stream_bytes: int) -> Configuration:
    """pypdf's limits for the check, each stream it decodes inflating to at most ``stream_bytes``."""
    return Configuration(
        zlib_maximum_output_length=stream_bytes,
        lzw_maximum_output_length=stream_bytes,
        run_length_maximum_output_length=stream_bytes,
        brotli_maximum_output_length=stream_bytes,
        jbig2_maximum_output_length=stream_bytes,
        array_based_stream_maximum_output_length=stream_bytes,
        image_maximum_buffer_size=stream_bytes,
        stream_decoding_work_maximum_length=4 * stream_bytes,
        page_tree_maximum_entries=MAX_PAGES,
        page_tree_maximum_page_entries=40 * MAX_PAGES,
        jbig2dec_binary=None,
    )


_LIMITS = _limits(MAX_STREAM_BYTES)
_PAGE_CONTENT_LIMITS = _limits(MAX_PAGE_CONTENT_BYTES)

#: Actions that run something: what a CA's platform does not let a reviewer open.
_ACTIVE_ACTIONS = {"/JavaScript": "JavaScript", "/Launch": "an action that launches a program"}

# pypdf reports every repair it makes as a logging warning: they are not the user's business, and
# without a handler Python would print them on stderr under the CLI's one-line error.
logging.getLogger("pypdf").addHandler(logging.NullHandler())
logging.getLogger("pypdf").propagate = False


@dataclass(frozen=True)
class PdfFacts:
    """What :func:`read_pdf` established about an upload it accepted."""

    sha256: str
    pages: int
    encrypted: bool
    #: SHA-256 of the decoded content of the only page, when nothing lies on top of it (no
    #: annotation, no form field such as a digital signature); None for anything else.
    bare_page_sha256: str | None


class _Refused(Exception):
    def __init__(self, what: str, hint: str) -> None:
        super().__init__(what)
        self.what, self.hint = what, hint


_REPRINT = "print or export it to PDF again (or scan it) and upload that file"


def read_pdf(data: bytes, name: str) -> PdfFacts:
    """Open ``data`` (an upload called ``name``, already at most 1 MB) as a PDF and check it.

    Raises :class:`InvalidInput` with what is wrong and what to do when it does not open, has no
    page, needs a password, carries active content, or is beyond the limits above.
    """
    try:
        with apply_configuration(_LIMITS):
            return _read(data)
    except _Refused as refused:
        raise InvalidInput(f"{name} {refused.what}", refused.hint) from None
    except RecursionError:
        raise InvalidInput(f"{name} nests its objects too deep to be read", _REPRINT) from None
    except LimitReachedError as error:
        raise InvalidInput(f"{name} is too complex to be checked ({_short(error)})", _REPRINT) from None
    except Exception as error:  # whatever pypdf raises on a damaged file: the file does not open
        raise InvalidInput(f"{name} is not a readable PDF ({_short(error)})", _REPRINT) from None


def _short(error: BaseException) -> str:
    text = " ".join(str(error).split()) or type(error).__name__
    text = "".join(c if c.isprintable() else "?" for c in text)
    return text if len(text) <= 100 else text[:99] + "…"


def _read(data: bytes) -> PdfFacts:
    reader = PdfReader(io.BytesIO(data), strict=False, xref_stream_maximum_entries=MAX_OBJECTS)
    encrypted = reader.is_encrypted
    if encrypted and reader.decrypt("") == PasswordType.NOT_DECRYPTED:
        raise _Refused("is protected with a password", "remove the password (print it to PDF again) and upload it")
    objects = sum(len(numbers) for numbers in reader.xref.values()) + len(reader.xref_objStm)
    if objects > MAX_OBJECTS:
        raise _Refused(f"has {objects:,} objects, more than the {MAX_OBJECTS:,} accepted", _REPRINT)
    _decode_object_streams(reader)
    pages = len(reader.pages)
    if pages == 0:
        raise _Refused("has no pages", "upload the document itself, with its pages")
    _refuse_active_content(dict.get(reader.trailer, "/Root"))
    return PdfFacts(hashlib.sha256(data).hexdigest(), pages, encrypted, _bare_page_sha256(reader, pages))


def _decode_object_streams(reader: PdfReader) -> None:
    """Inflate every object stream once, counting the bytes, before any object is read from one."""
    total = 0
    for number in sorted({stream for stream, _ in reader.xref_objStm.values()}):
        stream = IndirectObject(number, 0, reader).get_object()
        if isinstance(stream, StreamObject):
            total += len(stream.get_data())  # kept: pypdf reads the objects from this decoded copy
        if total > MAX_OBJECT_STREAM_BYTES:
            raise _Refused(
                f"has object streams of more than {MAX_OBJECT_STREAM_BYTES // (1024 * 1024)} MB once inflated",
                _REPRINT,
            )


def _refuse_active_content(root: PdfObject | None) -> None:
    """Walk every object reachable from the catalog, once each, and refuse active content.

    Dictionaries and arrays are read as stored: a reference is followed only here, where each
    object is visited once, so reference loops end and nesting costs no stack.
    """
    seen: set[tuple[int, int]] = set()
    pending: list[PdfObject | None] = [root]
    values = 0
    while pending:
        value = pending.pop()
        if isinstance(value, IndirectObject):
            key = (value.idnum, value.generation)
            if key not in seen:
                seen.add(key)
                pending.append(value.get_object())
            continue
        if isinstance(value, DictionaryObject):  # stream dictionaries too; their data is never decoded
            _refuse_active_dictionary(value)
            inside: list[PdfObject] = list(dict.values(value))
        elif isinstance(value, ArrayObject):
            inside = list(value)
        else:
            continue
        values += len(inside)
        if values > MAX_VALUES:
            raise _Refused(f"has more than {MAX_VALUES:,} values", _REPRINT)
        pending.extend(inside)


def _refuse_active_dictionary(entries: DictionaryObject) -> None:
    if "/JS" in entries or "/JavaScript" in entries:
        raise _Refused("contains JavaScript, which the CA's platform does not accept", _REPRINT)
    action = _resolved(entries.get("/S"))
    if isinstance(action, str) and action in _ACTIVE_ACTIONS:
        raise _Refused(f"contains {_ACTIVE_ACTIONS[action]}, which the CA's platform does not accept", _REPRINT)
    attachment = _resolved(entries.get("/Subtype")) == NameObject("/FileAttachment")
    if "/EmbeddedFiles" in entries or "/EF" in entries or attachment:
        raise _Refused(
            "has files attached inside it, which the CA's platform does not accept",
            "upload each document as its own PDF, without attachments",
        )


def _bare_page_sha256(reader: PdfReader, pages: int) -> str | None:
    if pages != 1:
        return None
    page = reader.pages[0]
    form = _resolved(_resolved(reader.trailer["/Root"]).get("/AcroForm"))  # type: ignore[union-attr]
    if _resolved(page.get("/Annots")) or (isinstance(form, DictionaryObject) and _resolved(form.get("/Fields"))):
        return None
    contents = _resolved(page.get("/Contents"))
    parts = list(contents) if isinstance(contents, ArrayObject) else [contents]
    if not 1 <= len(parts) <= 16:
        return None
    decoded: list[bytes] = []
    try:
        with apply_configuration(_PAGE_CONTENT_LIMITS):
            for part in parts:
                stream = _resolved(part)
                if not isinstance(stream, StreamObject):
                    return None
                decoded.append(stream.get_data())
                if sum(map(len, decoded)) > MAX_PAGE_CONTENT_BYTES:
                    return None
    except Exception:  # too large, or not decodable: not minica's one-page letter in any case
        return None
    return hashlib.sha256(b"\n".join(decoded)).hexdigest()


def _resolved(value: PdfObject | None) -> PdfObject | None:
    return value.get_object() if isinstance(value, IndirectObject) else value
