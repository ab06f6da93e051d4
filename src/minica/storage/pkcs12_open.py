"""Opening a PKCS#12 keystore in a few milliseconds instead of forty.

``cryptography``'s ``pkcs12.load_pkcs12`` checks every RSA private key it loads (primality of its
factors and more): about 35 ms for an RSA-2048 key, more than everything else ``minica sign`` does
for one invoice. The check protects against keys that are not what they claim; a keystore opened
with its owner's password and a matching MAC is its owner's own key, and the signer still checks
that the key belongs to the certificate (and OpenSSL verifies each CRT signature it makes). So
:func:`open_pkcs12` does the same work in another order:

1. the MAC (RFC 7292 §5) is verified here, over the unencrypted structure, with the password;
2. the key comes from its ``pkcs8ShroudedKeyBag`` (an encrypted PKCS#8, decrypted by
   ``cryptography`` without the RSA check);
3. the certificates come from ``load_pkcs12`` on the same file without that key bag (and without
   the MAC it no longer matches): OpenSSL decrypts the certificate bags, whatever their cipher;
   the certificate is the one whose public key is the key's.

Anything else — BER instead of DER, the key in an encrypted SafeContents, several keys, a MAC
other than HMAC-SHA-1/2, a password that is not ASCII, no password — returns None, and the caller
opens the file the usual way (which also reports a wrong password or a damaged file).

It also holds RFC 7292 Appendix B's key derivation, which the legacy writer
(:mod:`minica.storage.pkcs12_legacy`) uses too.
"""

from __future__ import annotations

import hashlib
import hmac
from typing import NamedTuple

from cryptography import x509
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.hazmat.primitives.serialization import load_der_private_key, pkcs12

# DER bodies of the OIDs read here.
_DATA = bytes.fromhex("2a864886f70d010701")  # 1.2.840.113549.1.7.1
_SHROUDED_KEY_BAG = bytes.fromhex("2a864886f70d010c0a0102")  # 1.2.840.113549.1.12.10.1.2
_KEY_BAG = bytes.fromhex("2a864886f70d010c0a0101")  # 1.2.840.113549.1.12.10.1.1
_MAC_HASHES = {
    bytes.fromhex("2b0e03021a"): "sha1",  # 1.3.14.3.2.26
    bytes.fromhex("608648016503040201"): "sha256",  # 2.16.840.1.101.3.4.2.1
    bytes.fromhex("608648016503040202"): "sha384",
    bytes.fromhex("608648016503040203"): "sha512",
}
#: RFC 7292 B.3: the "ID" byte that makes key, IV and MAC key independent.
PURPOSE_KEY, PURPOSE_IV, PURPOSE_MAC = 1, 2, 3


class _NotPlain(Exception):
    """The bytes are not the plain DER layout this module reads (the caller falls back)."""


class OpenedPkcs12(NamedTuple):
    key: rsa.RSAPrivateKey
    certificate: x509.Certificate
    chain: tuple[x509.Certificate, ...]
    friendly_name: bytes | None


def bmp_password(password: bytes) -> bytes:
    """RFC 7292 B.1: the password as a BMPString (UTF-16BE) plus a two-byte NUL terminator."""
    return password.decode("ascii").encode("utf-16-be") + b"\x00\x00"


def derive_key(hash_name: str, bmp_pass: bytes, salt: bytes, purpose: int, iterations: int, length: int) -> bytes:
    """RFC 7292 Appendix B.2 with ``hash_name`` (sha1, sha256, sha384 or sha512)."""
    new = getattr(hashlib, hash_name)
    v = new().block_size

    def stretch(data: bytes) -> bytes:
        # Repeat `data` to the next multiple of v bytes (empty stays empty).
        size = v * -(-len(data) // v)
        return (data * (size // len(data) + 1))[:size] if data else b""

    diversifier = bytes([purpose]) * v
    block_i = bytearray(stretch(salt) + stretch(bmp_pass))
    out = b""
    while len(out) < length:
        a = new(diversifier + bytes(block_i)).digest()
        for _ in range(iterations - 1):
            a = new(a).digest()
        out += a
        # Step 6C: I_j = (I_j + B + 1) mod 2^(8v), with B = A repeated to v bytes.
        b_plus_one = int.from_bytes((a * (v // len(a) + 1))[:v], "big") + 1
        for at in range(0, len(block_i), v):
            total = int.from_bytes(block_i[at : at + v], "big") + b_plus_one
            block_i[at : at + v] = (total % (1 << (8 * v))).to_bytes(v, "big")
    return out[:length]


def open_pkcs12(data: bytes, password: bytes | None) -> OpenedPkcs12 | None:
    """The key, certificate and chain of a PKCS#12 file, or None when this fast path does not
    apply or the MAC does not verify (open it with ``pkcs12.load_pkcs12`` then)."""
    if not password:
        return None
    try:
        bmp = bmp_password(password)
        return _open(data, password, bmp)
    except (_NotPlain, UnicodeError, ValueError, IndexError):
        return None


def _open(data: bytes, password: bytes, bmp: bytes) -> OpenedPkcs12 | None:
    version, auth_safe, mac_data = _children(data, _whole(data, 0x30))
    if _body(data, version) != b"\x03" or mac_data is None:
        raise _NotPlain
    content = _data_content(data, auth_safe)  # the AuthenticatedSafe's DER
    if not _mac_holds(data, mac_data, data[content[0] : content[1]], bmp):
        return None
    infos = _children(data, _whole_at(data, content, 0x30))
    key: rsa.RSAPrivateKey | None = None
    kept: list[bytes] = []
    for info in infos:
        if _oid_of(data, info) != _DATA:
            kept.append(data[info.start : info.end])  # encrypted SafeContents: certificate bags
            continue
        bags_at = _data_content(data, info)
        bags = _children(data, _whole_at(data, bags_at, 0x30))
        others = []
        for bag in bags:
            bag_id, value = _children(data, bag)[:2]
            kind = _body(data, bag_id)
            if kind in (_SHROUDED_KEY_BAG, _KEY_BAG):
                if key is not None:
                    raise _NotPlain  # several keys: let OpenSSL pair them
                inner = _children(data, value)[0]
                loaded = load_der_private_key(
                    data[inner.start : inner.end], password if kind == _SHROUDED_KEY_BAG else None,
                    unsafe_skip_rsa_key_validation=True,
                )
                if not isinstance(loaded, rsa.RSAPrivateKey):
                    raise _NotPlain
                key = loaded
            else:
                others.append(data[bag.start : bag.end])
        if others:
            kept.append(_content_info_data(der(0x30, b"".join(others))))
    if key is None:
        raise _NotPlain
    stripped = der(0x30, b"\x02\x01\x03" + _content_info_data(der(0x30, b"".join(kept))))
    loaded_certs = pkcs12.load_pkcs12(stripped, password)
    certificates = [c for c in loaded_certs.additional_certs]
    if loaded_certs.cert is not None:
        certificates.insert(0, loaded_certs.cert)
    public = key.public_key()
    mine = [c for c in certificates if c.certificate.public_key() == public]
    if len(mine) != 1:
        raise _NotPlain
    return OpenedPkcs12(
        key=key,
        certificate=mine[0].certificate,
        chain=tuple(c.certificate for c in certificates if c is not mine[0]),
        friendly_name=mine[0].friendly_name,
    )


# --- MAC -----------------------------------------------------------------------------------------


def _mac_holds(data: bytes, mac_data: _Element, signed: bytes, bmp: bytes) -> bool:
    """RFC 7292 §5: HMAC over the AuthenticatedSafe, keyed from the password (appendix B)."""
    parts = _children(data, mac_data)
    digest_info, salt = parts[0], parts[1]
    iterations = int.from_bytes(_body(data, parts[2]), "big") if len(parts) > 2 else 1
    algorithm, expected = _children(data, digest_info)
    hash_name = _MAC_HASHES.get(_body(data, _children(data, algorithm)[0]))
    if hash_name is None or not 1 <= iterations <= 10_000_000:
        raise _NotPlain
    length = getattr(hashlib, hash_name)().digest_size
    mac_key = derive_key(hash_name, bmp, _body(data, salt), PURPOSE_MAC, iterations, length)
    computed = hmac.new(mac_key, signed, hash_name).digest()
    return hmac.compare_digest(computed, _body(data, expected))


# --- DER, just enough ----------------------------------------------------------------------------


class _Element(NamedTuple):
    tag: int
    start: int  # of the whole element
    body: int  # of its contents
    end: int


def _element(data: bytes, at: int, limit: int) -> _Element:
    tag, length = data[at], data[at + 1]
    body = at + 2
    if length & 0x80:
        count = length & 0x7F
        if not 1 <= count <= 4:
            raise _NotPlain  # indefinite length (BER) or absurd
        length = int.from_bytes(data[body : body + count], "big")
        body += count
    end = body + length
    if end > limit:
        raise _NotPlain
    return _Element(tag, at, body, end)


def _whole(data: bytes, tag: int) -> _Element:
    element = _element(data, 0, len(data))
    if element.tag != tag or element.end != len(data):
        raise _NotPlain
    return element


def _whole_at(data: bytes, span: tuple[int, int], tag: int) -> _Element:
    element = _element(data, span[0], span[1])
    if element.tag != tag or element.end != span[1]:
        raise _NotPlain
    return element


def _children(data: bytes, parent: _Element) -> list[_Element]:
    found, at = [], parent.body
    while at < parent.end:
        child = _element(data, at, parent.end)
        found.append(child)
        at = child.end
    return found


def _body(data: bytes, element: _Element) -> bytes:
    return data[element.body : element.end]


def _oid_of(data: bytes, content_info: _Element) -> bytes:
    oid = _children(data, content_info)[0]
    if oid.tag != 0x06:
        raise _NotPlain
    return _body(data, oid)


def _data_content(data: bytes, content_info: _Element) -> tuple[int, int]:
    """The span of the OCTET STRING inside a ``data`` ContentInfo (``[0] EXPLICIT``)."""
    oid, explicit = _children(data, content_info)[:2]
    if oid.tag != 0x06 or _body(data, oid) != _DATA or explicit.tag != 0xA0:
        raise _NotPlain
    octets = _children(data, explicit)[0]
    if octets.tag != 0x04:
        raise _NotPlain  # a constructed (BER) OCTET STRING
    return octets.body, octets.end


def der(tag: int, body: bytes) -> bytes:
    """One DER element: ``tag``, the definite length, ``body``."""
    size = len(body)
    if size < 0x80:
        return bytes([tag, size]) + body
    raw = size.to_bytes((size.bit_length() + 7) // 8, "big")
    return bytes([tag, 0x80 | len(raw)]) + raw + body


def _content_info_data(inner: bytes) -> bytes:
    """ContentInfo { data, [0] EXPLICIT OCTET STRING inner }."""
    return der(0x30, der(0x06, _DATA) + der(0xA0, der(0x04, inner)))
