"""Opening the ZIP a client sends, with bounds, and DIAN's pre-checks (StatusCode 89).

A ZIP is untrusted input that can claim anything: the limits below are checked on the central
directory before anything is inflated, and again on the bytes actually inflated (a ZIP may lie about
its sizes). Only STORED and DEFLATED entries, no encryption, no folders in names.
"""

from __future__ import annotations

import io
import zipfile
from dataclasses import dataclass

from minica.errors import MinicaError

#: Entries in one ZIP (documents plus anything else). DIAN's batches hold up to 50 documents.
MAX_ENTRIES = 50
#: Inflated bytes of one entry (a 3,000-line invoice is 6.9 MB).
MAX_ENTRY_BYTES = 16 * 1024 * 1024
#: Inflated bytes of all entries together.
MAX_TOTAL_BYTES = 64 * 1024 * 1024
#: Inflated size over compressed size of one entry. XML compresses 10–30 times; DIAN's 6.9 MB invoice
#: 21 times. A ZIP bomb compresses a thousand times and more.
MAX_RATIO = 200
_CHUNK = 64 * 1024


class ZipRefused(MinicaError):
    """A ZIP that fails DIAN's pre-checks: answered with StatusCode 89 and this message."""


@dataclass(frozen=True)
class ZipEntry:
    """One XML file of the ZIP."""

    name: str
    data: bytes


def open_zip(content: bytes, *, single: bool) -> list[ZipEntry]:
    """The XML files of ``content``; with ``single`` (the Sync operations) exactly one.

    Raises :class:`ZipRefused` with DIAN's kind of message for: no file, not a ZIP, too many or too
    big entries, a ZIP bomb, no XML, more than one XML to a Sync operation.
    """
    if not content:
        raise ZipRefused("No se encontró el archivo: contentFile está vacío.", "send the ZIP's bytes")
    if not content.startswith(b"PK"):
        raise ZipRefused("El archivo enviado no es un archivo ZIP válido.", "zip the XML (ZIP, not RAR or gzip)")
    try:
        archive = zipfile.ZipFile(io.BytesIO(content))
        infos = archive.infolist()
    except (zipfile.BadZipFile, OSError, ValueError, EOFError):
        raise ZipRefused("El archivo enviado no es un archivo ZIP válido.", "zip the XML again") from None
    if len(infos) > MAX_ENTRIES:
        raise ZipRefused(f"El ZIP contiene {len(infos)} archivos; el máximo es {MAX_ENTRIES}.", "send fewer")
    files = [i for i in infos if not i.is_dir()]
    xml = [i for i in files if i.filename.lower().endswith(".xml")]
    if not xml:
        raise ZipRefused("El ZIP no contiene ningún archivo XML.", "put the signed XML in the ZIP")
    if single and len(xml) > 1:
        raise ZipRefused(f"El ZIP contiene {len(xml)} archivos XML; esta operación recibe uno solo.",
                         "send one document per SendBillSync, or use SendBillAsync")
    declared = 0
    for info in xml:
        _check_declared(info)
        declared += info.file_size
    if declared > MAX_TOTAL_BYTES:
        raise ZipRefused(f"El ZIP descomprimido ocupa {declared:,} bytes; el máximo es {MAX_TOTAL_BYTES:,}.",
                         "send smaller batches")
    return [ZipEntry(info.filename, _inflate(archive, info)) for info in xml]


def _check_declared(info: zipfile.ZipInfo) -> None:
    name = info.filename
    if "/" in name.strip("/") or "\\" in name or name.startswith(("/", "..")):
        raise ZipRefused(f"El archivo '{name[:80]}' del ZIP está en una carpeta.", "put the XML at the ZIP's root")
    if info.flag_bits & 0x1:
        raise ZipRefused(f"El archivo '{name[:80]}' del ZIP está cifrado.", "zip it without a password")
    if info.compress_type not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED):
        raise ZipRefused(f"El archivo '{name[:80]}' usa una compresión no soportada.", "use plain deflate")
    if info.file_size > MAX_ENTRY_BYTES:
        raise ZipRefused(f"El archivo '{name[:80]}' ocupa {info.file_size:,} bytes; el máximo es "
                         f"{MAX_ENTRY_BYTES:,}.", "send smaller documents")
    if info.file_size > MAX_RATIO * max(info.compress_size, 1):
        raise ZipRefused(f"El archivo '{name[:80]}' se expande más de {MAX_RATIO} veces (ZIP bomb).",
                         "send a normal ZIP of the XML")


def _inflate(archive: zipfile.ZipFile, info: zipfile.ZipInfo) -> bytes:
    """The entry's bytes, stopping as soon as it inflates past what it declared or the limits."""
    limit = min(info.file_size, MAX_ENTRY_BYTES, MAX_RATIO * max(info.compress_size, 1))
    chunks, size = [], 0
    try:
        with archive.open(info) as stream:
            while True:
                chunk = stream.read(_CHUNK)
                if not chunk:
                    break
                size += len(chunk)
                if size > limit:
                    raise ZipRefused(f"El archivo '{info.filename[:80]}' se expande más de lo declarado.",
                                     "send a normal ZIP of the XML")
                chunks.append(chunk)
    except (zipfile.BadZipFile, OSError, ValueError, EOFError, NotImplementedError):
        raise ZipRefused(f"El archivo '{info.filename[:80]}' del ZIP está dañado.", "zip the XML again") from None
    return b"".join(chunks)


def zip_single(name: str, data: bytes) -> bytes:
    """A ZIP holding one file (for tests and clients)."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr(name, data)
    return buffer.getvalue()
