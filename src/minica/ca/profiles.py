"""End-entity certificate profiles shaped like the real Colombian CAs' (reference §3).

Each profile is data plus one function that lays out the subject; they differ mainly in where the
NIT goes:

* ``gse``: NIT **without** DV in ``serialNumber`` and in OID 1.3.6.1.4.1.4710.1.3.2, ``name`` =
  "NIT", ``description`` "FEPJ …"/"FEPN …" naming the subject type.
* ``andes``: NIT **with** DV (concatenated) in ``serialNumber``, ``title`` naming the subject type.
* ``certicamara``: NIT with DV in OID 1.3.6.1.4.1.23267.2.3, ``OU=CERTIFACTURA``, and a
  CA-internal number (not the NIT) in ``serialNumber``.

Policy OIDs are minica's own (see :mod:`minica.ca.oids`), never a real CA's.
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Callable
from dataclasses import dataclass

from cryptography import x509
from cryptography.x509.oid import NameOID

from minica.ca import oids
from minica.errors import InvalidInput
from minica.identity import Nit, PersonType, check_digit


@dataclass(frozen=True)
class SubjectData:
    """What goes into an end-entity subject, whatever the profile."""

    nit: Nit
    name: str
    person: PersonType
    email: str | None = None
    department: str | None = None
    city: str | None = None
    area: str | None = None


@dataclass(frozen=True)
class CertificateProfile:
    """A real CA's layout, mimicked: its label, policy and how it builds the subject."""

    key: str
    authority: str
    policy: x509.ObjectIdentifier
    build_subject: Callable[[SubjectData], x509.Name]
    notice: str


_DESCRIPTION = x509.ObjectIdentifier("2.5.4.13")


def _attr(oid: x509.ObjectIdentifier, value: str) -> x509.NameAttribute[str]:
    return x509.NameAttribute(oid, value)


def _place(data: SubjectData) -> list[x509.NameAttribute[str]]:
    return [
        _attr(NameOID.LOCALITY_NAME, data.city or "BOGOTA D.C."),
        _attr(NameOID.STATE_OR_PROVINCE_NAME, data.department or "BOGOTA D.C."),
        _attr(NameOID.COUNTRY_NAME, "CO"),
    ]


def _gse_subject(data: SubjectData) -> x509.Name:
    code = "FEPJ" if data.person is PersonType.JURIDICA else "FEPN"
    return x509.Name(
        [
            _attr(NameOID.ORGANIZATIONAL_UNIT_NAME, data.area or "FACTURACION ELECTRONICA"),
            _attr(NameOID.SERIAL_NUMBER, data.nit.number),
            _attr(oids.X520_NAME, "NIT"),
            _attr(oids.GSE_NIT, data.nit.number),
            _attr(NameOID.COMMON_NAME, data.name),
            *_place(data),
            _attr(_DESCRIPTION, f"{code} MINICA MOCK"),
        ]
    )


def _andes_subject(data: SubjectData) -> x509.Name:
    title = (
        "PERSONA JURIDICA"
        if data.person is PersonType.JURIDICA
        else "Emisor Factura Electronica - Persona Natural"
    )
    attributes = [_attr(NameOID.EMAIL_ADDRESS, data.email)] if data.email else []
    return x509.Name(
        attributes
        + [
            _attr(NameOID.COMMON_NAME, data.name),
            _attr(NameOID.SERIAL_NUMBER, data.nit.concatenated),
            _attr(NameOID.TITLE, title),
            _attr(NameOID.ORGANIZATIONAL_UNIT_NAME, "Emitido por MINICA MOCK CA - NO VALIDO PARA PRODUCCION"),
            _attr(NameOID.ORGANIZATION_NAME, data.name),
            *_place(data),
        ]
    )


def _certicamara_subject(data: SubjectData) -> x509.Name:
    internal_number = str(100000 + secrets.randbelow(900000))
    attributes = [
        _attr(NameOID.STATE_OR_PROVINCE_NAME, data.department or "DISTRITO CAPITAL"),
        _attr(NameOID.ORGANIZATIONAL_UNIT_NAME, "CERTIFACTURA"),
        _attr(NameOID.SERIAL_NUMBER, internal_number),
        _attr(oids.CERTICAMARA_NIT, data.nit.concatenated),
        _attr(NameOID.ORGANIZATION_NAME, data.name),
        _attr(NameOID.LOCALITY_NAME, data.city or "BOGOTA"),
    ]
    if data.email:
        attributes.append(_attr(NameOID.EMAIL_ADDRESS, data.email))
    attributes += [_attr(NameOID.COUNTRY_NAME, "CO"), _attr(NameOID.COMMON_NAME, data.name)]
    return x509.Name(attributes)


_NOTICE = "Certificado de PRUEBA emitido por minica (MOCK). NO VALIDO PARA PRODUCCION NI ANTE LA DIAN."

PROFILES: dict[str, CertificateProfile] = {
    "gse": CertificateProfile("gse", "GSE", oids.POLICY_GSE, _gse_subject, _NOTICE),
    "andes": CertificateProfile("andes", "Andes SCD", oids.POLICY_ANDES, _andes_subject, _NOTICE),
    "certicamara": CertificateProfile(
        "certicamara", "Certicámara", oids.POLICY_CERTICAMARA, _certicamara_subject, _NOTICE
    ),
}


def profile(key: str) -> CertificateProfile:
    """The profile named ``key`` (gse, andes, certicamara; accents and case ignored)."""
    plain = key.strip().lower().replace("á", "a").replace(" scd", "").replace(" ", "")
    try:
        return PROFILES[plain]
    except KeyError:
        raise InvalidInput(
            f"unknown certificate profile '{key}'", "use gse, andes or certicamara"
        ) from None


def nits_in_name(name: x509.Name) -> list[str]:
    """The certificate's NIT with its DV (``number-dv``), read from the place its CA's profile puts
    it; an empty list when no known placement holds one. One NIT, never a CA-internal number.

    Placements (reference §3), recognised from the subject itself, so real CAs' certificates read
    the same way as minica's:

    * Certicámara: OID 1.3.6.1.4.1.23267.2.3 = NIT‖DV (its ``serialNumber`` is a CA-internal
      number, not a NIT);
    * GSE: OID 1.3.6.1.4.1.4710.1.3.2 (or the older 1.3.6.1.4.1.31136.1.1.20.2), or a
      ``serialNumber`` beside ``name=NIT``: the NIT **without** DV (the DV is computed);
    * Andes SCD: ``serialNumber`` = NIT‖DV (or cédula‖DV) beside a ``title``;
    * otherwise ``serialNumber`` or organizationIdentifier: ``number-dv`` when written with a hyphen
      or when its last digit is the check digit of a 9-digit NIT before it, else the digits as they are.
    """
    nit = _placed_nit(name)
    return [nit] if nit else []


def _values(name: x509.Name, oid: x509.ObjectIdentifier) -> list[str]:
    return [str(a.value) for a in name.get_attributes_for_oid(oid)]


def _digits(text: str) -> str:
    return "".join(c for c in text if c.isdigit())


def _placed_nit(name: x509.Name) -> str | None:
    for value in _values(name, oids.CERTICAMARA_NIT):
        if found := _with_dv_appended(_digits(value)):
            return found
    for oid in (oids.GSE_NIT, oids.GSE_NIT_LEGACY):
        for value in _values(name, oid):
            if found := _without_dv(_digits(value)):
                return found
    serials = _values(name, NameOID.SERIAL_NUMBER)
    if serials and any(v.strip().upper() == "NIT" for v in _values(name, oids.X520_NAME)):
        return _without_dv(_digits(serials[0]))
    if serials and _values(name, NameOID.TITLE):
        return _with_dv_appended(_digits(serials[0])) or _unplaced(serials[0])
    for value in serials + _values(name, oids.ORGANIZATION_IDENTIFIER):
        if found := _unplaced(value):
            return found
    return None


def _without_dv(digits: str) -> str | None:
    """A NIT written without its DV: ``900373987`` → ``900373987-9``."""
    number = digits.lstrip("0")
    if not 5 <= len(number) <= 15:
        return None
    return f"{number}-{check_digit(number)}"


def _with_dv_appended(digits: str) -> str | None:
    """A NIT written with its DV after it: ``9003739879`` → ``900373987-9`` (None when the last
    digit is not the check digit of the others)."""
    head, tail = digits[:-1].lstrip("0"), digits[-1:]
    if 5 <= len(head) <= 15 and check_digit(head) == int(tail):
        return f"{head}-{tail}"
    return None


def _unplaced(value: str) -> str | None:
    """A number in a place no known profile describes: ``number-dv`` when the DV is evident."""
    text = value.strip()
    match = re.fullmatch(r"(?:NIT\s*)?([0-9][0-9.]*)\s*-\s*([0-9])", text, flags=re.IGNORECASE)
    if match:
        number = _digits(match.group(1)).lstrip("0")
        if 5 <= len(number) <= 15 and check_digit(number) == int(match.group(2)):
            return f"{number}-{match.group(2)}"
    digits = _digits(text)
    if len(digits) < 5 or len(digits) < len(re.sub(r"[\s.\-]|^NIT", "", text, flags=re.IGNORECASE)):
        return None  # letters in it: another country's identifier, not a NIT
    if len(digits) == 10 and (found := _with_dv_appended(digits)):
        return found
    return digits
