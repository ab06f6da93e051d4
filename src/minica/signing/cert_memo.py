"""What the verifier works out about certificates, remembered by their DER.

A verifier meets the same certificates in every document of a signer: the KeyInfo certificates
(new objects in each document, parsed from the same bytes) and the caller's anchors and
intermediates (the same objects at every call). Working out a chain link costs an RSA
verification, and a fresh certificate object builds its names and extensions as Python objects
when first asked, which costs a small invoice's checks more than the rest of them. So those
answers are remembered by the certificates' DER: the key is a certificate's whole content, so an
answer is never given for another certificate.

The DER itself is remembered by object identity (cryptography encodes it again at each
``public_bytes`` call), as decoded for the KeyInfo certificates (:func:`remember`); each entry
keeps its object, so an id cannot be reused while the entry lives.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar, cast

from cryptography import x509
from cryptography.hazmat.primitives.serialization import Encoding

T = TypeVar("T")
_SIZE = 256
_DER: dict[int, tuple[x509.Certificate, bytes]] = {}
_FACTS: dict[tuple[str, bytes, bytes], object] = {}


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


def fact(name: str, compute: Callable[[x509.Certificate], T], certificate: x509.Certificate) -> T:
    """``compute(certificate)``, remembered under ``name`` (one name per function)."""
    return pair_fact(name, lambda one, _: compute(one), certificate, certificate)


def pair_fact(
    name: str,
    compute: Callable[[x509.Certificate, x509.Certificate], T],
    first: x509.Certificate,
    second: x509.Certificate,
) -> T:
    """``compute(first, second)``, remembered under ``name`` (one name per function)."""
    key = (name, der(first), der(second))
    if key in _FACTS:
        return cast(T, _FACTS[key])
    value = compute(first, second)
    if len(_FACTS) >= 4 * _SIZE:
        _FACTS.clear()
    _FACTS[key] = value
    return value
