"""Object identifiers: the real Colombian CAs' NIT attributes, and minica's own arc.

minica's policy OIDs live under a UUID arc (ITU-T X.667, ``2.25.<uuid>``), never under a real CA's
enterprise number, so a minica certificate can never be mistaken for a real one by its policy.
"""

from __future__ import annotations

from cryptography.x509.oid import ObjectIdentifier

#: GSE reuses the Spanish "CIF" OID for the company NIT (without DV).
GSE_NIT = ObjectIdentifier("1.3.6.1.4.1.4710.1.3.2")
#: Older GSE certificates put the NIT here; DIAN's SOAP authentication still looks it up.
GSE_NIT_LEGACY = ObjectIdentifier("1.3.6.1.4.1.31136.1.1.20.2")
#: Certicámara's NIT attribute (NIT followed by its DV).
CERTICAMARA_NIT = ObjectIdentifier("1.3.6.1.4.1.23267.2.3")
#: X.520 organizationIdentifier.
ORGANIZATION_IDENTIFIER = ObjectIdentifier("2.5.4.97")
#: X.520 name (GSE writes "NIT" there).
X520_NAME = ObjectIdentifier("2.5.4.41")

MINICA_ARC = "2.25.72776977589592707420638447551877702671"
POLICY_GSE = ObjectIdentifier(f"{MINICA_ARC}.1.1")
POLICY_ANDES = ObjectIdentifier(f"{MINICA_ARC}.1.2")
POLICY_CERTICAMARA = ObjectIdentifier(f"{MINICA_ARC}.1.3")
POLICY_CA = ObjectIdentifier(f"{MINICA_ARC}.1.0")
