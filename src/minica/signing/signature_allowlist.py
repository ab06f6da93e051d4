"""DIAN's signature profile as an allow-list: what each element inside ``ds:Signature`` may hold.

Data only, read by :mod:`minica.signing.checks_signature_shape`, which refuses everything the
list does not allow (per ``reference/dian-xades-profile.md`` §5–§6 and §12 "Accept", and the
elements real DIAN-signed documents use).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from minica.signing import namespaces as ns
from minica.signing.canonical import EXC_C14N

_DS = f"{{{ns.DS}}}"
_XADES = f"{{{ns.XADES}}}"
#: Exclusive C14N's parameter (a child of its ds:CanonicalizationMethod or ds:Transform).
INCLUSIVE_NAMESPACES = f"{{{EXC_C14N}}}InclusiveNamespaces"


@dataclass(frozen=True)
class Slot:
    """What one element of DIAN's signature profile may hold.

    ``children`` maps each allowed child (Clark name) to its maximum count (``None``: unbounded);
    ``attributes`` are the allowed unqualified attribute names; ``text`` is true for value
    elements, which hold text and no child element. Presence of required children is left to the
    rules that read them (DC02, DC20, ZD06, DC24 …); a slot only says what may be there.
    """

    children: dict[str, int | None] = field(default_factory=dict)
    attributes: frozenset[str] = frozenset()
    text: bool = False


def _slot(*children: tuple[str, int | None], attributes: tuple[str, ...] = ()) -> Slot:
    return Slot(dict(children), frozenset(attributes))


_VALUE = Slot(text=True)
ALGORITHM = Slot(attributes=frozenset({"Algorithm"}))
#: A canonicalization naming exclusive C14N may carry its InclusiveNamespaces (see checks_signature_shape._slot_of).
CANONICALIZATION = _slot((INCLUSIVE_NAMESPACES, 1), attributes=("Algorithm",))
_DIGEST = _slot((_DS + "DigestMethod", 1), (_DS + "DigestValue", 1))
_ISSUER_SERIAL = _slot((_DS + "X509IssuerName", 1), (_DS + "X509SerialNumber", 1))

#: DIAN's signature profile as an allow-list: element (Clark name) → what it may hold. XMLDSig
#: elements keep their schema's attributes; ds:KeyInfo and ds:X509Data take the extras real
#: documents carry (ds:KeyValue from DIAN's own signer; ds:X509SubjectName and ds:X509IssuerSerial
#: from a production invoice; chain certificates from minica); xades:SignedDataObjectProperties
#: is DIAN's own signer's; an empty xades:UnsignedProperties is tolerated (checked apart). Exclusive
#: C14N (off-profile, DC03/DC07, yet computed for ZE02) keeps its ec:InclusiveNamespaces.
SHAPE: dict[str, Slot] = {
    _DS + "Signature": _slot(
        (_DS + "SignedInfo", 1), (_DS + "SignatureValue", 1), (_DS + "KeyInfo", 1),
        (_DS + "Object", 1), attributes=("Id",),
    ),
    _DS + "SignedInfo": _slot(
        (_DS + "CanonicalizationMethod", 1), (_DS + "SignatureMethod", 1), (_DS + "Reference", None),
        attributes=("Id",),
    ),
    _DS + "CanonicalizationMethod": CANONICALIZATION,
    _DS + "SignatureMethod": ALGORITHM,
    _DS + "Reference": _slot(
        (_DS + "Transforms", 1), (_DS + "DigestMethod", 1), (_DS + "DigestValue", 1),
        attributes=("Id", "URI", "Type"),
    ),
    _DS + "Transforms": _slot((_DS + "Transform", None)),
    _DS + "Transform": CANONICALIZATION,
    INCLUSIVE_NAMESPACES: Slot(attributes=frozenset({"PrefixList"})),
    _DS + "DigestMethod": ALGORITHM,
    _DS + "DigestValue": _VALUE,
    _DS + "SignatureValue": Slot(attributes=frozenset({"Id"}), text=True),
    _DS + "KeyInfo": _slot((_DS + "X509Data", 1), (_DS + "KeyValue", 1), attributes=("Id",)),
    _DS + "X509Data": _slot(
        (_DS + "X509Certificate", None), (_DS + "X509SubjectName", None),
        (_DS + "X509IssuerSerial", None), (_DS + "X509SKI", None), (_DS + "X509CRL", None),
    ),
    _DS + "X509Certificate": _VALUE,
    _DS + "X509SubjectName": _VALUE,
    _DS + "X509SKI": _VALUE,
    _DS + "X509CRL": _VALUE,
    _DS + "X509IssuerSerial": _ISSUER_SERIAL,
    _DS + "X509IssuerName": _VALUE,
    _DS + "X509SerialNumber": _VALUE,
    _DS + "KeyValue": _slot((_DS + "RSAKeyValue", 1)),
    _DS + "RSAKeyValue": _slot((_DS + "Modulus", 1), (_DS + "Exponent", 1)),
    _DS + "Modulus": _VALUE,
    _DS + "Exponent": _VALUE,
    _DS + "Object": _slot((_XADES + "QualifyingProperties", 1), attributes=("Id",)),
    _XADES + "QualifyingProperties": _slot(
        (_XADES + "SignedProperties", 1), (_XADES + "UnsignedProperties", 1),
        attributes=("Id", "Target"),
    ),
    _XADES + "SignedProperties": _slot(
        (_XADES + "SignedSignatureProperties", 1), (_XADES + "SignedDataObjectProperties", 1),
        attributes=("Id",),
    ),
    _XADES + "SignedSignatureProperties": _slot(
        (_XADES + "SigningTime", 1), (_XADES + "SigningCertificate", 1),
        (_XADES + "SignaturePolicyIdentifier", 1), (_XADES + "SignerRole", 1), attributes=("Id",),
    ),
    _XADES + "SigningTime": _VALUE,
    _XADES + "SigningCertificate": _slot((_XADES + "Cert", None)),
    _XADES + "Cert": _slot(
        (_XADES + "CertDigest", 1), (_XADES + "IssuerSerial", 1), attributes=("URI",)
    ),
    _XADES + "CertDigest": _DIGEST,
    _XADES + "IssuerSerial": _ISSUER_SERIAL,
    _XADES + "SignaturePolicyIdentifier": _slot((_XADES + "SignaturePolicyId", 1)),
    _XADES + "SignaturePolicyId": _slot((_XADES + "SigPolicyId", 1), (_XADES + "SigPolicyHash", 1)),
    _XADES + "SigPolicyId": _slot((_XADES + "Identifier", 1), (_XADES + "Description", 1)),
    _XADES + "Identifier": Slot(attributes=frozenset({"Qualifier"}), text=True),
    _XADES + "Description": _VALUE,
    _XADES + "SigPolicyHash": _DIGEST,
    _XADES + "SignerRole": _slot((_XADES + "ClaimedRoles", 1)),
    _XADES + "ClaimedRoles": _slot((_XADES + "ClaimedRole", None)),
    _XADES + "ClaimedRole": _VALUE,
    _XADES + "SignedDataObjectProperties": _slot(
        (_XADES + "DataObjectFormat", None), attributes=("Id",)
    ),
    _XADES + "DataObjectFormat": _slot(
        (_XADES + "Description", 1), (_XADES + "MimeType", 1), (_XADES + "Encoding", 1),
        attributes=("ObjectReference",),
    ),
    _XADES + "MimeType": _VALUE,
    _XADES + "Encoding": _VALUE,
}
