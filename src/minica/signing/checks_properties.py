"""XAdES-EPES signed properties: SigningTime, SigningCertificate, policy and signer role.

These read ``xades:SignedSignatureProperties`` of *this* signature's ``ds:Object`` (located and
wrapping-checked by :mod:`checks_structure`). They say what the signer claimed; whether the claims
are covered by the signature is the SignedProperties digest (ZE02).
"""

from __future__ import annotations

import base64
import binascii
import datetime as _dt
import functools
import hashlib
import hmac
import re

from cryptography import x509

from minica.clock import COLOMBIA, UTC
from minica.signing import cert_memo, policy
from minica.signing import namespaces as ns
from minica.signing.checks_structure import DIGEST_NAMES, Checks, SignatureParts, _check_algorithm
from minica.signing.x500 import NameMatch, compare_names

_DS = f"{{{ns.DS}}}"
_XADES = f"{{{ns.XADES}}}"
_DATETIME = re.compile(
    r"^(\d{4})-(\d\d)-(\d\d)T(\d\d):(\d\d):(\d\d)(?:\.(\d+))?(Z|[+-]\d\d:\d\d)?$"
)
#: Clock skew tolerated between the signer's SigningTime and ``at``.
SIGNING_TIME_SKEW = _dt.timedelta(minutes=5)
ACCEPTED_ROLES = ("supplier", "third party", "thirdparty")


def read_xsd_datetime(text: str) -> tuple[_dt.datetime, str | None, int]:
    """Parse an ``xsd:dateTime``: the instant in the zone it is written in (Colombian time when it
    has none), the zone as written (``None`` without one) and its number of fraction digits.
    Raises ValueError."""
    match = _DATETIME.match(text.strip())
    if not match:
        raise ValueError(f"'{text}' is not an xsd:dateTime")
    year, month, day, hour, minute, second, fraction, zone = match.groups()
    micro = int((fraction or "0")[:6].ljust(6, "0"))
    tz: _dt.tzinfo = COLOMBIA
    if zone == "Z":
        tz = UTC
    elif zone:
        sign = 1 if zone[0] == "+" else -1
        tz = _dt.timezone(sign * _dt.timedelta(hours=int(zone[1:3]), minutes=int(zone[4:6])))
    value = _dt.datetime(
        int(year), int(month), int(day), int(hour), int(minute), int(second), micro, tzinfo=tz
    )
    return value, zone, len(fraction or "")


def parse_xsd_datetime(text: str) -> _dt.datetime:
    """Parse an ``xsd:dateTime`` into an aware UTC instant; without a zone it is read as Colombian
    time (as DIAN's servers read it; :func:`check_signing_time` warns). Raises ValueError."""
    return read_xsd_datetime(text)[0].astimezone(UTC)


def _text(element: object) -> str:
    return "".join(element.itertext()).strip() if element is not None else ""  # type: ignore[attr-defined]


def check_signing_time(
    parts: SignatureParts, at: _dt.datetime, out: Checks
) -> _dt.datetime | None:
    """DC24: SigningTime present, parseable, not after ``at``, inside the certificate's validity."""
    ssp = parts.signed_signature_properties
    if ssp is None:
        out.add("DC24", "skip", "no xades:SignedSignatureProperties to read SigningTime from")
        return None
    element = ssp.find(_XADES + "SigningTime")
    if element is None:
        out.failed("DC24", "xades:SigningTime is missing from xades:SignedSignatureProperties")
        return None
    written = _text(element)
    try:
        local, zone, _digits = read_xsd_datetime(written)
    except ValueError as exc:
        out.failed("DC24", f"xades:SigningTime: {exc}; expected e.g. 2019-06-21T19:24:47.563-05:00")
        return None
    value = local.astimezone(UTC)
    # Every instant below is shown in Colombian time, as every command writes times, so two
    # times are never compared across zones.
    shown = f"xades:SigningTime {written}"
    if zone is None:
        shown += f" (read as Colombian time: {_colombian(value)})"
        out.add(
            "DC24", "warn",
            f"xades:SigningTime {written} has no UTC offset; minica read it as Colombian time "
            f"(-05:00), the instant {_colombian(value)}, as DIAN's servers would; if the signer "
            "meant UTC it is 5 hours off. Write the offset, e.g. "
            f"{value.astimezone(COLOMBIA).isoformat(timespec='milliseconds')}",
        )
    if value > at + SIGNING_TIME_SKEW:
        out.failed(
            "DC24",
            f"{shown} is later than the verification time {_colombian(at)} "
            "(el valor reportado es superior a la fecha del sistema)",
        )
        return value
    cert = parts.certificate
    if cert is not None and not (
        cert.not_valid_before_utc <= value <= cert.not_valid_after_utc
    ):
        out.failed(
            "DC24",
            f"{shown} is outside the certificate's validity "
            f"{_colombian(cert.not_valid_before_utc)} → {_colombian(cert.not_valid_after_utc)} "
            "(policy Regla-1/Regla-2)",
        )
        return value
    out.passed("DC24", f"xades:SigningTime is {_colombian(value)}")
    return value


def _colombian(moment: _dt.datetime) -> str:
    return moment.astimezone(COLOMBIA).isoformat()


def check_signing_certificate(parts: SignatureParts, out: Checks) -> None:
    """DC25–DC32: the first xades:Cert's digest and IssuerSerial match the KeyInfo certificate."""
    ssp, cert = parts.signed_signature_properties, parts.certificate
    if ssp is None or cert is None:
        out.add("DC29", "skip", "SigningCertificate not checked: no SignedProperties or certificate")
        return
    certs = ssp.findall(f"{_XADES}SigningCertificate/{_XADES}Cert")
    if not certs:
        out.failed("DC25", "xades:SigningCertificate/xades:Cert is missing")
        return
    if len(certs) == 2:
        out.add("DC25", "warn", "xades:SigningCertificate has 2 xades:Cert; DIAN uses 1 or 3+")
    else:
        out.passed("DC25", f"xades:SigningCertificate has {len(certs)} xades:Cert")
    first = certs[0]
    method = first.find(f"{_XADES}CertDigest/{_DS}DigestMethod")
    uri = method.get("Algorithm", "") if method is not None else ""
    if _check_algorithm(out, "DC28", "xades:CertDigest/ds:DigestMethod", uri, DIGEST_NAMES):
        expected = _decode(_text(first.find(f"{_XADES}CertDigest/{_DS}DigestValue")))
        actual = hashlib.new(DIGEST_NAMES[uri], cert_memo.der(cert)).digest()
        if expected is not None and hmac.compare_digest(expected, actual):
            out.passed("DC29", "the first xades:CertDigest matches the KeyInfo certificate")
        else:
            out.failed(
                "DC29",
                "the first xades:Cert/xades:CertDigest does not match the KeyInfo certificate; "
                f"expected {base64.b64encode(actual).decode()}",
            )
    issuer = _text(first.find(f"{_XADES}IssuerSerial/{_DS}X509IssuerName"))
    match, reason = _issuer_match(issuer, cert_memo.der(cert))
    if match is NameMatch.SAME:
        out.passed("DC31", "xades:IssuerSerial/ds:X509IssuerName names the certificate's issuer")
    elif match is NameMatch.REORDERED:
        out.failed(
            "DC31",
            f"ds:X509IssuerName '{issuer}' has the same attributes as the certificate's issuer "
            f"but in a different order; DIAN's validator compares the name in order: write "
            f"'{cert.issuer.rfc4514_string()}' (RFC 4514, as the certificate holds it)",
        )
    else:
        out.failed(
            "DC31",
            f"ds:X509IssuerName '{issuer}' does not name the certificate's issuer "
            f"'{cert.issuer.rfc4514_string()}'{reason}",
        )
    serial = _text(first.find(f"{_XADES}IssuerSerial/{_DS}X509SerialNumber"))
    if serial.isdigit() and int(serial) == cert.serial_number:
        out.passed("DC32", "xades:IssuerSerial/ds:X509SerialNumber is the certificate's serial")
    else:
        out.failed(
            "DC32",
            f"ds:X509SerialNumber is '{serial}', expected {cert.serial_number} (decimal)",
        )


@functools.lru_cache(maxsize=64)
def _issuer_match(written: str, encoded: bytes) -> tuple[NameMatch, str]:
    """How ``written`` compares with the issuer of the certificate whose DER is ``encoded``, and
    why it does not parse (remembered: a signer writes the same name in each document)."""
    try:
        return compare_names(written, x509.load_der_x509_certificate(encoded).issuer), ""
    except ValueError as exc:
        return NameMatch.DIFFERENT, f" ({exc})"


def _decode(value: str) -> bytes | None:
    try:
        return base64.b64decode("".join(value.split()), validate=True)
    except (binascii.Error, ValueError):
        return None


def check_policy(parts: SignatureParts, out: Checks) -> str | None:
    """DC47–DC53: DIAN's policy identifier (``/v1/`` or ``/v2/`` path) and its hash."""
    ssp = parts.signed_signature_properties
    if ssp is None:
        out.add("DC50", "skip", "policy not checked: no SignedSignatureProperties")
        return None
    base = f"{_XADES}SignaturePolicyIdentifier/{_XADES}SignaturePolicyId/"
    identifier_element = ssp.find(base + f"{_XADES}SigPolicyId/{_XADES}Identifier")
    if identifier_element is None:
        out.failed("DC47", "xades:SignaturePolicyIdentifier/…/xades:Identifier is missing")
        return None
    identifier = _text(identifier_element)
    if identifier in policy.ACCEPTED_POLICY_IDENTIFIERS:
        out.passed("DC50", f"policy identifier is {identifier}")
    else:
        out.failed("DC50", f"policy identifier is '{identifier}', expected {policy.POLICY_V2}")
    method = ssp.find(base + f"{_XADES}SigPolicyHash/{_DS}DigestMethod")
    uri = method.get("Algorithm", "") if method is not None else ""
    if not _check_algorithm(out, "DC52", "xades:SigPolicyHash/ds:DigestMethod", uri, DIGEST_NAMES):
        return identifier
    value = "".join(_text(ssp.find(base + f"{_XADES}SigPolicyHash/{_DS}DigestValue")).split())
    expected = policy.POLICY_HASHES[uri]
    if value == expected:
        out.passed("DC53", f"xades:SigPolicyHash is the {DIGEST_NAMES[uri]} of politicadefirmav2.pdf")
    else:
        out.failed(
            "DC53",
            f"xades:SigPolicyHash is '{value}', expected the {DIGEST_NAMES[uri]} of "
            f"politicadefirmav2.pdf, {expected}",
        )
    return identifier


def check_signer_role(parts: SignatureParts, out: Checks) -> None:
    """DC54–DC56: SignerRole/ClaimedRoles/ClaimedRole ∈ {supplier, third party}; warn if absent."""
    ssp = parts.signed_signature_properties
    if ssp is None:
        out.add("DC54", "skip", "signer role not checked: no SignedSignatureProperties")
        return
    role = ssp.find(_XADES + "SignerRole")
    if role is None:
        out.add("DC54", "warn", "xades:SignerRole is missing (DIAN accepts this in practice)")
        return
    claimed = role.findall(f"{_XADES}ClaimedRoles/{_XADES}ClaimedRole")
    if not claimed:
        out.failed("DC55", "xades:SignerRole has no xades:ClaimedRoles/xades:ClaimedRole")
        return
    values = [_text(c) for c in claimed]
    bad = [v for v in values if v.lower() not in ACCEPTED_ROLES]
    if bad:
        out.failed(
            "DC56", f"xades:ClaimedRole '{bad[0]}' is not one of supplier, third party"
        )
    else:
        out.passed("DC56", f"xades:ClaimedRole is {', '.join(values)}")


def check_certificate_digests(
    parts: SignatureParts, known: list[x509.Certificate], out: Checks
) -> None:
    """DC36/DC43: further xades:Cert entries match a known CA certificate (warn when unknown)."""
    ssp = parts.signed_signature_properties
    if ssp is None:
        return
    certs = ssp.findall(f"{_XADES}SigningCertificate/{_XADES}Cert")[1:]
    ders = [cert_memo.der(c) for c in known] if certs else []
    for number, element in enumerate(certs, start=2):
        method = element.find(f"{_XADES}CertDigest/{_DS}DigestMethod")
        uri = method.get("Algorithm", "") if method is not None else ""
        expected = _decode(_text(element.find(f"{_XADES}CertDigest/{_DS}DigestValue")))
        name = DIGEST_NAMES.get(uri)
        if name is None or expected is None:
            out.failed("DC36", f"xades:Cert #{number}: digest method '{uri}' refused or no value")
            continue
        if any(hashlib.new(name, der).digest() == expected for der in ders):
            out.passed("DC36", f"xades:Cert #{number} matches a known chain certificate")
        else:
            out.add(
                "DC36", "warn",
                f"xades:Cert #{number} names a certificate not given to the verifier; not checked",
            )
