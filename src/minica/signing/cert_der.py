"""A certificate's DER, remembered by object identity, as the key of what the verifier remembers.

Verifying a document asks several times for the DER of the same certificates (the digests in
``xades:SigningCertificate``, the keys of remembered chain links and names), and cryptography
encodes it again at each ``public_bytes`` call, which costs more than hashing a certificate. The
objects are the caller's anchors and intermediates, the same at every call, and the KeyInfo
certificates, whose DER the verifier has just decoded (:func:`remember`). Each entry keeps its
object, so an id cannot be reused while the entry lives.
"""

from __future__ import annotations

from cryptography import x509
from cryptography.hazmat.primitives.serialization import Encoding

_DER: dict[int, tuple[x509.Certificate, bytes]] = {}
_SIZE = 256


def der(certificate: x509.Certificate) -> bytes:
    """The certificate's DER encoding."""
    known = _DER.get(id(certificate))
    if known is not None and known[0] is certificate:
        return known[1]
    return remember(certificate, certificate.public_bytes(Encoding.DER))


def remember(certificate: x509.Certificate, encoded: bytes) -> bytes:
    """Note that ``encoded`` is ``certificate``'s DER (the bytes it was loaded from); returns it."""
    if len(_DER) >= _SIZE:
        _DER.clear()
    _DER[id(certificate)] = (certificate, encoded)
    return encoded
