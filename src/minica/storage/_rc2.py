"""RC2-CBC encryption (RFC 2268) with a chosen *effective* key length.

Why hand-written: ``cryptography``'s ``decrepit`` RC2 only accepts 128-bit keys at 128 effective
bits, and the PKCS#12 legacy profile needs a 5-byte key at 40 effective bits
(pbeWithSHAAnd40BitRC2-CBC). Encryption only: minica writes such files, ``cryptography`` reads them.
Not constant-time and slow (pure Python); fine for a few kilobytes of public certificates.
"""

from __future__ import annotations

import struct

# RFC 2268 section 2: a fixed permutation of 0..255 "based on the digits of pi".
_PITABLE = bytes.fromhex(
    "d978f9c419ddb5ed28e9fd794aa0d89d" "c67e37832b76538e624c6488448bfba2"
    "179a59f587b34f1361456d8d09817d32" "bd8f40eb86b77b0bf09521225c6b4e82"
    "54d66593ce60b21c7356c014a78cf1dc" "1275ca1f3bbee4d1423dd430a33cb626"
    "6fbf0eda4669075727f21d9bbc944303" "f811c7f690ef3ee706c3d52fc8661ed7"
    "08e8eade8052eef784aa72ac354d6a2a" "961ad2715a1549744b9fd05e0418a4ec"
    "c2e0416e0f51cbcc2491af50a1f47039" "997c3a8523b8b47afc02365b25559731"
    "2d5dfa98e38a92ae05df2910676cbac9" "d300e6cfe19ea82c6316013f58e289a9"
    "0d38341bab33ffb0bb480c5fb9b1cd2e" "c5f3db47e5a59c770aa62068fe7fc1ad"
)
_MASK = 0xFFFF
_ROTATIONS = (1, 2, 3, 5)


def expand_key(key: bytes, effective_bits: int) -> list[int]:
    """The 64 16-bit key words K[0..63] of RFC 2268 section 2."""
    if not 1 <= len(key) <= 128 or not 1 <= effective_bits <= 1024:
        raise ValueError("RC2 keys have 1..128 bytes and 1..1024 effective bits")
    length = len(key)
    buf = bytearray(key) + bytearray(128 - length)
    for i in range(length, 128):
        buf[i] = _PITABLE[(buf[i - 1] + buf[i - length]) & 0xFF]
    # Reduce the key to `effective_bits`: only the last T8 bytes (masked) seed the rest.
    t8 = (effective_bits + 7) // 8
    tm = 0xFF >> (8 * t8 - effective_bits)
    buf[128 - t8] = _PITABLE[buf[128 - t8] & tm]
    for i in range(127 - t8, -1, -1):
        buf[i] = _PITABLE[buf[i + 1] ^ buf[i + t8]]
    return list(struct.unpack("<64H", bytes(buf)))


def _encrypt_block(k: list[int], block: bytes) -> bytes:
    r = list(struct.unpack("<4H", block))
    j = 0
    # 5 mixing rounds, a mash, 6 mixing, a mash, 5 mixing (RFC 2268 section 3.3).
    for phase in (5, -1, 6, -1, 5):
        if phase < 0:  # mashing round
            for i in range(4):
                r[i] = (r[i] + k[r[i - 1] & 63]) & _MASK
            continue
        for _ in range(phase):
            for i in range(4):
                mixed = r[i] + k[j] + (r[i - 1] & r[i - 2]) + (~r[i - 1] & r[i - 3])
                j += 1
                mixed &= _MASK
                s = _ROTATIONS[i]
                r[i] = ((mixed << s) | (mixed >> (16 - s))) & _MASK
    return struct.pack("<4H", *r)


def rc2_cbc_encrypt(key: bytes, effective_bits: int, iv: bytes, padded: bytes) -> bytes:
    """CBC-encrypt ``padded`` (a multiple of 8 bytes: pad it before) under RC2."""
    if len(iv) != 8 or len(padded) % 8:
        raise ValueError("RC2-CBC needs an 8-byte IV and whole 8-byte blocks")
    k = expand_key(key, effective_bits)
    out = bytearray()
    previous = iv
    for at in range(0, len(padded), 8):
        block = bytes(a ^ b for a, b in zip(padded[at : at + 8], previous, strict=True))
        previous = _encrypt_block(k, block)
        out += previous
    return bytes(out)
