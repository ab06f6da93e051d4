"""DIAN's signature policy (v2), signer roles and digest algorithms: the profile as data.

Sources: DIAN Anexo Técnico 002, "Política de Firma … Versión 2" (POL2) and the payroll Anexo
(NOM §7); hash values computed over the published ``politicadefirmav2.pdf`` (see
``shared/reference/dian-xades-profile.md`` §6.3).
"""

from __future__ import annotations

import enum
import hashlib
from typing import NamedTuple

from minica.errors import InvalidInput
from minica.signing import namespaces as ns

POLICY_V2 = "https://facturaelectronica.dian.gov.co/politicadefirma/v2/politicadefirmav2.pdf"
#: The 2019 toolbox examples point at a ``/v1/`` folder holding the same v2 file; accepted on verify.
POLICY_V2_V1_PATH = "https://facturaelectronica.dian.gov.co/politicadefirma/v1/politicadefirmav2.pdf"
ACCEPTED_POLICY_IDENTIFIERS = (POLICY_V2, POLICY_V2_V1_PATH)
POLICY_DESCRIPTION = "Política de firma para facturas electrónicas de la República de Colombia."
POLICY_DESCRIPTION_NOMINA = "Política de firma para nóminas electrónicas de la República de Colombia."

#: Base64 digests of politicadefirmav2.pdf (1,272,898 bytes) per digest-method URI.
POLICY_HASHES = {
    ns.SHA256: "dMoMvtcG5aIzgYo0tIsSQeVJBDnUnfSOfBpxXrmor0Y=",
    ns.SHA384: "EQC0kiWPaAME6IsEZ7WuaTWJ97Zmf6hIO69rMCVURmQxBB9ebgLrjhL5BArQ0a0l",
    ns.SHA512: "Zcjw1Z9nGQn2j6NyGx8kAaLbOfJGd/fJxRTCeirlqAg7zRG27piJkJOpflGu7XACpMj9hC6dVMcCyzqHxxPZeQ==",
}


class SignerRole(str, enum.Enum):
    """``xades:ClaimedRole``: the issuer itself, or its technology provider signing for it."""

    SUPPLIER = "supplier"
    THIRD_PARTY = "third party"

    @classmethod
    def parse(cls, text: str) -> SignerRole:
        plain = text.strip().lower().replace("_", " ").replace("-", " ")
        if plain in ("thirdparty", "third party"):
            return cls.THIRD_PARTY
        if plain == "supplier":
            return cls.SUPPLIER
        raise InvalidInput(f"unknown signer role '{text}'", "use supplier or 'third party'")


class DigestAlgorithm(NamedTuple):  # not a dataclass: cheaper to define, at every start of minica
    """A digest allowed by DIAN's Regla-4, with its XMLDSig URIs."""

    name: str
    digest_uri: str
    signature_uri: str

    def new(self) -> hashlib._Hash:
        return hashlib.new(self.name)

    @property
    def policy_hash(self) -> str:
        return POLICY_HASHES[self.digest_uri]


SHA256 = DigestAlgorithm("sha256", ns.SHA256, ns.RSA_SHA256)
SHA384 = DigestAlgorithm("sha384", ns.SHA384, ns.RSA_SHA384)
SHA512 = DigestAlgorithm("sha512", ns.SHA512, ns.RSA_SHA512)
DIGESTS = {d.name: d for d in (SHA256, SHA384, SHA512)}
DIGESTS_BY_URI = {d.digest_uri: d for d in (SHA256, SHA384, SHA512)}
SIGNATURE_HASH_BY_URI = {d.signature_uri: d.name for d in (SHA256, SHA384, SHA512)}


def digest_algorithm(name: str) -> DigestAlgorithm:
    try:
        return DIGESTS[name.lower()]
    except KeyError:
        raise InvalidInput(
            f"unknown digest '{name}'", "use sha256, sha384 or sha512 (DIAN refuses SHA-1)"
        ) from None
