"""The low-level XAdES-EPES signer for DIAN's UBL documents (profile §12 "Emit").

This layer does the XML-DSig mechanics only; it does not decide whether a certificate *may* sign
(validity, revocation, environment store: DESIGN §7) — the caller checks that first.

How it works, and why:

* The document is parsed once (by the caller, as a :class:`~minica.signing.document.UblDocument`,
  or here from bytes). When an ``ext:UBLExtension`` must be created around the signature, it is
  put into that tree where it will finally be while the document's digest is computed, and taken
  out again, so the caller's tree is left as it was. The signature itself is never in the tree:
  the enveloped transform leaves it out of the document's digest.
* The three canonical forms the signature covers (``ds:KeyInfo``, ``xades:SignedProperties``,
  ``ds:SignedInfo``) are written directly as text by :mod:`minica.signing.signature_markup`, with
  the namespace declarations in scope at the signature's place: inclusive C14N pulls every
  ancestor's declarations into each of them (profile §7).
* The output is the *input's bytes* with the serialized signature spliced in at the right offset
  (:mod:`minica.signing.splice`), so encoding, XML declaration, BOM, CRLF and comments survive.
  Those bytes are copied once, into the output, and never otherwise.
* The spliced text declares ``xmlns:ds``/``xmlns:xades``/``xmlns:ext`` only where they are not
  already in scope with the right URI; the wrapper put into the tree may carry ``xmlns:ext``
  redundantly, which inclusive C14N does not render, so the digested canonical bytes equal those a
  verifier computes from the output.
* No whitespace inside the signature: C14N keeps whitespace text, and DIAN advises against it
  (profile §8).
"""

from __future__ import annotations

import base64
import datetime as _dt
import os
import re
from collections.abc import Callable, Sequence
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from lxml import etree

from minica.clock import colombian
from minica.errors import InvalidInput
from minica.signing import namespaces as ns
from minica.signing import policy
from minica.signing.document import (
    EXTENSION_CONTENT,
    UBL_EXTENSION,
    UBL_EXTENSIONS,
    SignatureSlot,
    SlotMode,
    UblDocument,
    Wrapper,
)
from minica.signing.policy import DigestAlgorithm, SignerRole
from minica.signing.signature_markup import SIGNATURE_NAMESPACES, SignatureMarkup, canonical_namespaces
from minica.signing.splice import codec_of, splice, target
from minica.signing.xmlsafe import MAX_XML_BYTES

_NCNAME = r"[A-Za-z_][A-Za-z0-9_.\-]*"  # compiled (and kept by ``re``) when an Id is given
_HASHES: dict[str, type[hashes.HashAlgorithm]] = {
    "sha256": hashes.SHA256,
    "sha384": hashes.SHA384,
    "sha512": hashes.SHA512,
}
#: Key and certificate objects already seen to belong together (a signer passes the same ones for
#: every document); kept with their ids, so an id cannot be reused while the entry lives.
_MATCHED: dict[tuple[int, int], tuple[rsa.RSAPrivateKey, x509.Certificate]] = {}
#: Above this size the document's canonical form is streamed into the hash (bounded memory).
_STREAM_ABOVE = 2 * 1024 * 1024


class _Hasher:
    """A file-like sink so lxml can stream C14N into the hash instead of building big bytes."""

    def __init__(self, algorithm: DigestAlgorithm) -> None:
        self.hash = algorithm.new()

    def write(self, chunk: bytes) -> int:
        self.hash.update(chunk)
        return len(chunk)


def sign_document(
    data: bytes | UblDocument,
    *,
    key: rsa.RSAPrivateKey,
    certificate: x509.Certificate,
    chain: Sequence[x509.Certificate] = (),
    signing_time: _dt.datetime,
    role: SignerRole = SignerRole.SUPPLIER,
    digest: DigestAlgorithm = policy.SHA256,
    signature_id: str | None = None,
    max_bytes: int = MAX_XML_BYTES,
) -> bytes:
    """Sign a DIAN UBL document (or payroll document) with one enveloped XAdES-EPES signature.

    Takes the unsigned document — its bytes, or a :class:`UblDocument` read with
    :meth:`UblDocument.from_bytes` (then it is not parsed again, and ``max_bytes`` does not apply:
    its checks ran when it was read) — the signer's RSA key and certificate, optionally the CA
    certificates above it (added to KeyInfo and SigningCertificate, issuing CA first), the signing
    time (timezone-aware; written in Colombian time, ``-05:00``, to the millisecond), the claimed
    role and the digest (sha256/384/512; the RSA signature uses the same hash).

    Returns the input bytes with the signature inserted where DIAN wants it; nothing else changes.
    A given :class:`UblDocument`'s tree is left as it was.

    Raises HostileXml (DTD, entities, too large) before any work, MalformedXml (not XML, or not a
    DIAN document), InvalidInput (already signed; key not matching the certificate; bad Id),
    TypeError / ValueError for wrong argument types, a naive time, or a UblDocument without its
    bytes.
    """
    _check_arguments(key, certificate, chain, role, digest, signing_time)
    sig_id = _signature_id(signature_id)
    if isinstance(data, UblDocument):
        document = data
    else:
        document = UblDocument.from_bytes(data, max_bytes=max_bytes)
    raw = document.data
    if raw is None:
        raise ValueError("sign_document needs a UblDocument made by UblDocument.from_bytes (with its bytes)")
    slot = document.signature_slot()
    tree = document.tree
    codec = codec_of(tree.docinfo.encoding)
    where = target(document.root, slot.anchor, slot.mode)
    scope: dict[Any, str] = (
        slot.anchor.getparent() if slot.mode is SlotMode.AFTER else slot.anchor
    ).nsmap
    declare_ext = scope.get("ext") != ns.EXT
    declare = {p: uri for p, uri in SIGNATURE_NAMESPACES.items() if scope.get(p) != uri}
    description = (
        policy.POLICY_DESCRIPTION_NOMINA if document.kind.is_nomina else policy.POLICY_DESCRIPTION
    )
    markup = SignatureMarkup(sig_id, digest, certificate, chain, signing_time, role, description)

    # The wrapper goes into the tree for the document digest, and out again afterwards; the
    # signature never does (the enveloped transform leaves it out of that digest anyway).
    content, undo = _insert_wrapper(slot)
    try:
        document_digest = _document_digest(tree, len(raw), digest)
        in_scope = {**content.nsmap, **SIGNATURE_NAMESPACES}
    finally:
        undo()
    namespaces = canonical_namespaces(in_scope)
    digests = (
        document_digest,
        _digest(markup.key_info(namespaces), digest),
        _digest(markup.signed_properties(namespaces, canonical=True), digest),
    )
    signed_info = markup.signed_info(digests, namespaces, canonical=True).encode("utf-8")
    value = key.sign(signed_info, padding.PKCS1v15(), _HASHES[digest.name]())
    fragment = _wrap(markup.signature(declare, digests, value), slot.wrapper, declare_ext)
    return splice(raw, codec, where, fragment)


def _document_digest(tree: etree._ElementTree, size: int, digest: DigestAlgorithm) -> str:
    """The digest of the whole document's canonical form (without the signature: enveloped)."""
    if size <= _STREAM_ABOVE:
        hashed = digest.new()
        hashed.update(etree.tostring(tree, method="c14n", exclusive=False, with_comments=False))
    else:  # big documents: stream the canonical form into the hash instead of holding it
        hasher = _Hasher(digest)
        tree.write_c14n(hasher, exclusive=False, with_comments=False)
        hashed = hasher.hash
    return _b64(hashed.digest())


def _digest(canonical: str, digest: DigestAlgorithm) -> str:
    hashed = digest.new()
    hashed.update(canonical.encode("utf-8"))
    return _b64(hashed.digest())


def _check_arguments(
    key: object,
    certificate: object,
    chain: Sequence[object],
    role: object,
    digest: object,
    signing_time: object,
) -> None:
    if not isinstance(role, SignerRole):
        raise TypeError("role must be a SignerRole")
    if not isinstance(digest, DigestAlgorithm) or digest.name not in _HASHES:
        raise TypeError("digest must be policy.SHA256, SHA384 or SHA512")
    if not isinstance(signing_time, _dt.datetime):
        raise TypeError("signing_time must be a datetime")
    colombian(signing_time)  # refuses naive times
    if chain and not all(isinstance(c, x509.Certificate) for c in chain):
        raise TypeError("chain must hold x509.Certificate objects")
    known = _MATCHED.get((id(key), id(certificate)))
    if known is not None and known[0] is key and known[1] is certificate:
        return  # checked before (the type checks go through ABCs: a microsecond each)
    if not isinstance(key, rsa.RSAPrivateKey):
        raise TypeError("key must be an RSA private key (DIAN accepts RSA signatures only)")
    if not isinstance(certificate, x509.Certificate):
        raise TypeError("certificate must be a cryptography x509.Certificate")
    public = certificate.public_key()
    if not isinstance(public, rsa.RSAPublicKey) or public != key.public_key():
        raise InvalidInput(
            "the private key does not belong to the signing certificate",
            "use the key and certificate from the same keystore entry",
        )
    if len(_MATCHED) >= 64:
        _MATCHED.clear()
    _MATCHED[(id(key), id(certificate))] = (key, certificate)


def _signature_id(given: str | None) -> str:
    if given is None:
        return f"xmldsig-{_uuid4()}"
    if not isinstance(given, str) or not re.fullmatch(_NCNAME, given):
        raise InvalidInput(
            f"'{given}' cannot be an XML Id", "use letters, digits, '-', '_' or '.', e.g. xmldsig-<uuid>"
        )
    return given


def _uuid4() -> str:
    """A random (version 4) UUID as text: what ``str(uuid.uuid4())`` gives, without building the
    ``UUID`` object (a few microseconds per signature)."""
    raw = bytearray(os.urandom(16))
    raw[6] = raw[6] & 0x0F | 0x40  # version 4
    raw[8] = raw[8] & 0x3F | 0x80  # the RFC 4122 variant
    text = raw.hex()
    return f"{text[:8]}-{text[8:12]}-{text[12:16]}-{text[16:20]}-{text[20:]}"


def _insert_wrapper(slot: SignatureSlot) -> tuple[etree._Element, Callable[[], None]]:
    """Create the extension elements in the tree; return the ExtensionContent the signature goes
    into, and the function that takes the new elements out again."""
    if slot.wrapper is Wrapper.NONE:
        return slot.anchor, lambda: None
    anchor = slot.anchor
    parent = anchor.getparent() if slot.mode is SlotMode.AFTER else anchor
    assert parent is not None  # AFTER anchors are extensions, inside ext:UBLExtensions
    # Made in place with SubElement: an element made apart has a document of its own, and moving
    # it in costs twice as much. The same elements the spliced text holds; a redundant xmlns:ext
    # here is not rendered by C14N.
    outer = etree.SubElement(
        parent, UBL_EXTENSIONS if slot.wrapper is Wrapper.EXTENSIONS else UBL_EXTENSION, nsmap={"ext": ns.EXT}
    )
    extension = etree.SubElement(outer, UBL_EXTENSION) if slot.wrapper is Wrapper.EXTENSIONS else outer
    content = etree.SubElement(extension, EXTENSION_CONTENT)
    tail = anchor.tail
    if slot.mode is SlotMode.PREPEND:
        anchor.insert(0, outer)
    elif slot.mode is SlotMode.AFTER:
        anchor.tail = None  # bytes: </anchor><new/>tail
        anchor.addnext(outer)
        outer.tail = tail

    def remove() -> None:
        parent.remove(outer)  # takes its tail along
        anchor.tail = tail

    return content, remove


def _wrap(signature: str, wrapper: Wrapper, declare_ext: bool) -> str:
    if wrapper is Wrapper.NONE:
        return signature
    xmlns = f' xmlns:ext="{ns.EXT}"' if declare_ext else ""
    if wrapper is Wrapper.EXTENSION:
        return (
            f"<ext:UBLExtension{xmlns}><ext:ExtensionContent>{signature}"
            "</ext:ExtensionContent></ext:UBLExtension>"
        )
    return (
        f"<ext:UBLExtensions{xmlns}><ext:UBLExtension><ext:ExtensionContent>{signature}"
        "</ext:ExtensionContent></ext:UBLExtension></ext:UBLExtensions>"
    )


def _b64(value: bytes) -> str:
    return base64.b64encode(value).decode("ascii")
