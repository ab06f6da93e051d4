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
    """NIT digits found in any of the places Colombian CAs put them (DV stripped where present).

    Looks where DIAN's own web-service authentication looks: Certicámara's OID, serialNumber, GSE's
    current and legacy OIDs and organizationIdentifier. Values with a DV (Andes, Certicámara) are
    returned as ``number-dv`` when the last digit is the right check digit for the rest.
    """
    found: list[str] = []
    for oid in (
        oids.CERTICAMARA_NIT, NameOID.SERIAL_NUMBER, oids.GSE_NIT, oids.GSE_NIT_LEGACY,
        oids.ORGANIZATION_IDENTIFIER,
    ):
        for attribute in name.get_attributes_for_oid(oid):
            digits = "".join(c for c in str(attribute.value) if c.isdigit())
            if len(digits) < 5:
                continue
            text = _split_dv(digits, with_dv=oid in (oids.CERTICAMARA_NIT,))
            if text not in found:
                found.append(text)
    return found


def _split_dv(digits: str, *, with_dv: bool) -> str:
    """``9003739879`` → ``900373987-9`` when the last digit is a valid DV, else the digits."""
    head, tail = digits[:-1], digits[-1]
    if len(head) >= 5 and check_digit(head) == int(tail) and (with_dv or len(digits) == 10):
        return f"{head}-{tail}"
    return digits
