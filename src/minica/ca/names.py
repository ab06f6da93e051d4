"""Distinguished names as people read them: attribute names, not dotted OIDs.

``cryptography`` writes RFC 4514 strings with names only for the nine attributes RFC 4514 lists and
dotted OIDs for the rest (``2.5.4.12=PERSONA JURIDICA``). Colombian certificates carry several
others (``title``, ``serialNumber``, ``description``, ``emailAddress``, ``name``), so ``check``,
``certs`` and the API name them as OpenSSL does. Private OIDs (GSE's and Certicámara's NIT
attributes) have no standard name and stay dotted.
"""

from __future__ import annotations

from cryptography import x509
from cryptography.x509.oid import NameOID

from minica.ca import oids

_NAMES: dict[x509.ObjectIdentifier, str] = {
    NameOID.SERIAL_NUMBER: "serialNumber",
    NameOID.TITLE: "title",
    NameOID.EMAIL_ADDRESS: "emailAddress",
    x509.ObjectIdentifier("2.5.4.13"): "description",
    oids.X520_NAME: "name",
    NameOID.GIVEN_NAME: "givenName",
    NameOID.SURNAME: "surname",
    NameOID.INITIALS: "initials",
    NameOID.GENERATION_QUALIFIER: "generationQualifier",
    NameOID.DN_QUALIFIER: "dnQualifier",
    NameOID.PSEUDONYM: "pseudonym",
    NameOID.POSTAL_CODE: "postalCode",
    NameOID.BUSINESS_CATEGORY: "businessCategory",
    oids.ORGANIZATION_IDENTIFIER: "organizationIdentifier",
}


def display_name(name: x509.Name) -> str:
    """``name`` as an RFC 4514 string with attribute names (``title=…``, ``emailAddress=…``)."""
    return name.rfc4514_string(_NAMES)
