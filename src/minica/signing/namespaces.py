"""XML namespaces and algorithm URIs of UBL 2.1, DIAN's extensions, XMLDSig and XAdES."""

from __future__ import annotations

DS = "http://www.w3.org/2000/09/xmldsig#"
XADES = "http://uri.etsi.org/01903/v1.3.2#"
XADES141 = "http://uri.etsi.org/01903/v1.4.1#"
EXT = "urn:oasis:names:specification:ubl:schema:xsd:CommonExtensionComponents-2"
STS = "dian:gov:co:facturaelectronica:Structures-2-1"
STS_OLD = "http://www.dian.gov.co/contratos/facturaelectronica/v1/Structures"
CBC = "urn:oasis:names:specification:ubl:schema:xsd:CommonBasicComponents-2"
CAC = "urn:oasis:names:specification:ubl:schema:xsd:CommonAggregateComponents-2"

#: Root element namespaces of the documents minica signs.
INVOICE = "urn:oasis:names:specification:ubl:schema:xsd:Invoice-2"
CREDIT_NOTE = "urn:oasis:names:specification:ubl:schema:xsd:CreditNote-2"
DEBIT_NOTE = "urn:oasis:names:specification:ubl:schema:xsd:DebitNote-2"
APPLICATION_RESPONSE = "urn:oasis:names:specification:ubl:schema:xsd:ApplicationResponse-2"
ATTACHED_DOCUMENT = (
    "urn:oasis:names:specification:ubl:schema:xsd:AttachedDocument-2"
)
NOMINA_INDIVIDUAL = "dian:gov:co:facturaelectronica:NominaIndividual"
NOMINA_INDIVIDUAL_AJUSTE = "dian:gov:co:facturaelectronica:NominaIndividualDeAjuste"

# Algorithms (XMLDSig, XML-Signature more, XML-Encryption).
C14N = "http://www.w3.org/TR/2001/REC-xml-c14n-20010315"
C14N_WITH_COMMENTS = "http://www.w3.org/TR/2001/REC-xml-c14n-20010315#WithComments"
ENVELOPED = "http://www.w3.org/2000/09/xmldsig#enveloped-signature"
RSA_SHA1 = "http://www.w3.org/2000/09/xmldsig#rsa-sha1"
RSA_SHA256 = "http://www.w3.org/2001/04/xmldsig-more#rsa-sha256"
RSA_SHA384 = "http://www.w3.org/2001/04/xmldsig-more#rsa-sha384"
RSA_SHA512 = "http://www.w3.org/2001/04/xmldsig-more#rsa-sha512"
SHA1 = "http://www.w3.org/2000/09/xmldsig#sha1"
SHA256 = "http://www.w3.org/2001/04/xmlenc#sha256"
SHA384 = "http://www.w3.org/2001/04/xmldsig-more#sha384"
SHA512 = "http://www.w3.org/2001/04/xmlenc#sha512"
SIGNED_PROPERTIES_TYPE = "http://uri.etsi.org/01903#SignedProperties"

NSMAP_SIGNATURE = {"ds": DS, "xades": XADES}
