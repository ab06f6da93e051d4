"""Compare an ``ds:X509IssuerName`` string with a certificate's issuer as parsed X.500 names.

DIAN's producers write the issuer in different string forms: Java RFC 2253 with hex-encoded
unknown OIDs (``1.2.840.113549.1.9.1=#16…``), .NET style (``E=…``, ``", "`` separators, quoted
values), Go style (``SERIALNUMBER=…``). Strings are therefore parsed into RDNs of
``(OID, normalised value)`` and compared with the certificate's issuer in either RDN order
(RFC 2253 writes the last RDN first; some producers write DER order). A string with the same RDNs
in any other order (Go's ``pkix.Name.String()`` puts ``SERIALNUMBER`` first) is told apart: it
names the same attributes, but a validator comparing names in order (DIAN's) rejects it.
"""

from __future__ import annotations

import enum
from collections import Counter

from cryptography import x509

_KEYWORDS = {
    "C": "2.5.4.6", "CN": "2.5.4.3", "L": "2.5.4.7", "ST": "2.5.4.8", "S": "2.5.4.8",
    "O": "2.5.4.10", "OU": "2.5.4.11", "STREET": "2.5.4.9", "T": "2.5.4.12", "TITLE": "2.5.4.12",
    "SN": "2.5.4.4", "SURNAME": "2.5.4.4", "SERIALNUMBER": "2.5.4.5", "G": "2.5.4.42",
    "GN": "2.5.4.42", "GIVENNAME": "2.5.4.42", "DESCRIPTION": "2.5.4.13", "POSTALCODE": "2.5.4.17",
    "DC": "0.9.2342.19200300.100.1.25", "UID": "0.9.2342.19200300.100.1.1",
    "E": "1.2.840.113549.1.9.1", "EMAIL": "1.2.840.113549.1.9.1",
    "EMAILADDRESS": "1.2.840.113549.1.9.1", "ORGANIZATIONIDENTIFIER": "2.5.4.97",
    "DNQUALIFIER": "2.5.4.46", "PSEUDONYM": "2.5.4.65", "INITIALS": "2.5.4.43",
}

RDN = frozenset[tuple[str, str]]


def _normalise(value: str) -> str:
    return " ".join(value.split()).casefold()


def _der_string(hex_text: str) -> str:
    """Decode ``#<hex>`` (a DER-encoded ASN.1 string) to its text."""
    raw = bytes.fromhex(hex_text)
    if len(raw) < 2:
        raise ValueError("short DER value")
    length, offset = raw[1], 2
    if length & 0x80:
        count = length & 0x7F
        length, offset = int.from_bytes(raw[2 : 2 + count], "big"), 2 + count
    body = raw[offset : offset + length]
    if raw[0] == 0x1E:  # BMPString
        return body.decode("utf-16-be")
    return body.decode("utf-8")


def _split(text: str, separators: str) -> list[str]:
    parts, current, quoted, i = [], [], False, 0
    while i < len(text):
        char = text[i]
        if char == "\\" and i + 1 < len(text):
            current.append(text[i : i + 2])
            i += 2
            continue
        if char == '"':
            quoted = not quoted
        if char in separators and not quoted:
            parts.append("".join(current))
            current = []
        else:
            current.append(char)
        i += 1
    parts.append("".join(current))
    return parts


def _unescape(value: str) -> str:
    value = value.strip()
    if value.startswith('"') and value.endswith('"') and len(value) >= 2:
        value = value[1:-1]
    out, i = bytearray(), 0
    while i < len(value):
        if value[i] == "\\" and i + 1 < len(value):
            pair = value[i + 1 : i + 3]
            if len(pair) == 2 and all(c in "0123456789abcdefABCDEF" for c in pair):
                out.append(int(pair, 16))
                i += 3
                continue
            out.extend(value[i + 1].encode())
            i += 2
            continue
        out.extend(value[i].encode())
        i += 1
    return out.decode("utf-8", errors="replace")


def parse_name(text: str) -> list[RDN]:
    """Parse an RFC 2253/4514-like DN string into RDNs in written order; raises ValueError."""
    rdns: list[RDN] = []
    for rdn_text in _split(text, ",;"):
        if not rdn_text.strip():
            raise ValueError(f"empty RDN in '{text}'")
        attributes = set()
        for attribute in _split(rdn_text, "+"):
            key, sep, value = attribute.partition("=")
            if not sep:
                raise ValueError(f"'{attribute.strip()}' is not type=value")
            key = key.strip()
            upper = key.upper()
            oid = key[4:] if upper.startswith("OID.") else _KEYWORDS.get(upper, key)
            if not all(part.isdigit() for part in oid.split(".")):
                raise ValueError(f"unknown attribute type '{key}'")
            value = value.strip()
            decoded = _der_string(value[1:]) if value.startswith("#") else _unescape(value)
            attributes.add((oid, _normalise(decoded)))
        rdns.append(frozenset(attributes))
    return rdns


def name_rdns(name: x509.Name) -> list[RDN]:
    """A certificate name's RDNs in DER order, normalised like :func:`parse_name`."""
    result: list[RDN] = []
    for rdn in name.rdns:
        attributes = set()
        for attribute in rdn:
            value = attribute.value
            text = value if isinstance(value, str) else value.decode("utf-8", errors="replace")
            attributes.add((attribute.oid.dotted_string, _normalise(text)))
        result.append(frozenset(attributes))
    return result


class NameMatch(enum.Enum):
    """How a DN string compares with a certificate name."""

    SAME = "same"
    #: The same RDNs, in an order that is neither RFC 2253's nor DER's.
    REORDERED = "reordered"
    DIFFERENT = "different"


def compare_names(text: str, name: x509.Name) -> NameMatch:
    """Compare the DN string ``text`` with ``name``; raises ValueError when it does not parse."""
    written = parse_name(text)
    actual = name_rdns(name)
    if written == list(reversed(actual)) or written == actual:
        return NameMatch.SAME
    if Counter(written) == Counter(actual):
        return NameMatch.REORDERED
    return NameMatch.DIFFERENT
