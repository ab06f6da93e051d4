"""WS-Security on DIAN's web service, checked as a strict server would (reference/dian-webservice.md).

For every request, in order, each failure a SOAP 1.2 Fault with its reason:

1. ``wsa:Action`` once, equal to the Body's operation's action; ``wsa:To`` once, with a ``wsu:Id``,
   equal to this endpoint's URL;
2. one ``wsse:Security`` with one ``wsu:Timestamp``: ``Created ≤ now + skew`` and ``now - skew ≤
   Expires`` (``now`` is the server's clock, so ``--at`` moves it);
3. one ``wsse:BinarySecurityToken`` (X.509 v3, base64) and one ``ds:Signature``: exclusive C14N,
   rsa-sha256/384/512, SHA-256/384/512 digests, KeyInfo → SecurityTokenReference → the token; every
   reference verifies (each to exactly one element by ``wsu:Id``, exclusive C14N only) and one of them
   is the ``wsa:To`` header read in step 1 (so a second, unsigned ``To`` cannot be slipped in);
4. the token's certificate chains to this CA, is valid now and not revoked.

Returns the certificate and the sender's NIT read from it in DIAN's order (None when it has none:
the caller answers StatusCode 89).
"""

from __future__ import annotations

import base64
import binascii
import datetime as _dt
from collections.abc import Sequence
from dataclasses import dataclass

from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from lxml import etree

from minica.ca.profiles import nits_in_name
from minica.ca.revocation import RevocationLookup
from minica.ca.trust import ChainPath, chain_path
from minica.dian.soap import WSA, WSSE, WSU, SoapRequest, security_fault
from minica.signing import canonical
from minica.signing import namespaces as ns

#: Clock skew tolerated between client and server.
SKEW = _dt.timedelta(minutes=5)
EXC_C14N = "http://www.w3.org/2001/10/xml-exc-c14n#"
X509V3 = "http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-x509-token-profile-1.0#X509v3"
_SIGNATURES: dict[str, hashes.HashAlgorithm] = {
    ns.RSA_SHA256: hashes.SHA256(), ns.RSA_SHA384: hashes.SHA384(), ns.RSA_SHA512: hashes.SHA512(),
}
_DIGESTS: dict[str, hashes.HashAlgorithm] = {
    ns.SHA256: hashes.SHA256(), ns.SHA384: hashes.SHA384(), ns.SHA512: hashes.SHA512(),
}
_ID = f"{{{WSU}}}Id"
#: Tokens a :class:`TokenPaths` remembers (clients send the same few certificates again and again).
MAX_REMEMBERED = 256


@dataclass(frozen=True)
class Sender:
    """Who signed the request: the certificate and the NIT DIAN reads from it (digits, no DV)."""

    certificate: x509.Certificate
    nit: str | None


class TokenPaths:
    """The BinarySecurityTokens seen, read once: each one's certificate, its chain path towards
    ``anchors`` through ``intermediates`` and the NIT in its subject. Which CA signed which
    certificate never changes; the CAs' validity at each request's time (and the certificate's own
    validity and revocation) is still judged for every request."""

    def __init__(self, anchors: Sequence[x509.Certificate], intermediates: Sequence[x509.Certificate]) -> None:
        self.anchors, self.intermediates = tuple(anchors), tuple(intermediates)
        self._seen: dict[str, tuple[x509.Certificate, ChainPath, str | None]] = {}

    def read(self, token_text: str) -> tuple[x509.Certificate, ChainPath, str | None]:
        """The token's certificate, path and NIT; a SoapFault when it is not a base64 certificate."""
        found = self._seen.get(token_text)
        if found is None:
            certificate = _load_token(token_text)
            nits = nits_in_name(certificate.subject)
            found = (certificate, chain_path(certificate, anchors=self.anchors, intermediates=self.intermediates),
                     nits[0].split("-")[0] if nits else None)
            if len(self._seen) >= MAX_REMEMBERED:
                self._seen.clear()
            self._seen[token_text] = found
        return found


def _one(elements: Sequence[etree._Element], what: str) -> etree._Element:
    if len(elements) != 1:
        raise security_fault(f"the request needs exactly one {what} (found {len(elements)})")
    return elements[0]


def _parse_time(text: str | None, what: str) -> _dt.datetime:
    raw = (text or "").strip()
    try:
        value = _dt.datetime.fromisoformat(raw.replace("Z", "+00:00"))
    except ValueError:
        raise security_fault(f"wsu:Timestamp/{what} '{raw[:40]}' is not an xsd:dateTime") from None
    if value.tzinfo is None:
        raise security_fault(f"wsu:Timestamp/{what} has no time zone", "InvalidSecurity")
    return value


def check_timestamp(security: etree._Element, now: _dt.datetime) -> None:
    """Created ≤ now ≤ Expires, within :data:`SKEW`."""
    stamp = _one(security.findall(f"{{{WSU}}}Timestamp"), "wsu:Timestamp in wsse:Security")
    created = _parse_time(stamp.findtext(f"{{{WSU}}}Created"), "Created")
    expires = _parse_time(stamp.findtext(f"{{{WSU}}}Expires"), "Expires")
    if created - SKEW > now:
        raise security_fault(f"wsu:Timestamp Created {created.isoformat()} is in the future (server time "
                             f"{now.isoformat()})", "MessageExpired")
    if expires + SKEW < now:
        raise security_fault(f"wsu:Timestamp expired at {expires.isoformat()} (server time {now.isoformat()})",
                             "MessageExpired")
    if expires < created:
        raise security_fault("wsu:Timestamp Expires is before Created")


def verify_security(request: SoapRequest, *, endpoint: str, now: _dt.datetime,
                    anchors: Sequence[x509.Certificate] = (), intermediates: Sequence[x509.Certificate] = (),
                    revocation: RevocationLookup, tokens: TokenPaths | None = None) -> Sender:
    """Check the request's WS-Security (see the module's docstring); the sender, or a SoapFault.

    The CA is ``anchors`` and ``intermediates``, or those of ``tokens``, which remembers the tokens
    it has read (a server passes the same one for every request).
    """
    tokens = tokens or TokenPaths(anchors, intermediates)
    action = _one(request.header(WSA, "Action"), "wsa:Action header")
    if (action.text or "").strip() != request.operation.action:
        raise security_fault(f"wsa:Action '{(action.text or '').strip()[:120]}' does not match the Body's operation "
                             f"{request.operation.value} ({request.operation.action})", "InvalidSecurity")
    to = _one(request.header(WSA, "To"), "wsa:To header")
    if (to.text or "").strip() != endpoint:
        raise security_fault(f"wsa:To '{(to.text or '').strip()[:120]}' is not this endpoint ({endpoint})")
    if not to.get(_ID):
        raise security_fault("wsa:To has no wsu:Id, so it cannot be signed")
    security = _one(request.header(WSSE, "Security"), "wsse:Security header")
    check_timestamp(security, now)
    token = _one(security.findall(f"{{{WSSE}}}BinarySecurityToken"), "wsse:BinarySecurityToken")
    if token.get("ValueType") != X509V3:
        raise security_fault(f"the BinarySecurityToken's ValueType must be {X509V3}", "UnsupportedSecurityToken")
    certificate, path, nit = tokens.read("".join((token.text or "").split()))
    signature = _one(security.findall(f"{{{ns.DS}}}Signature"), "ds:Signature in wsse:Security")
    signed = _verify_signature(request.envelope, signature, token, certificate)
    if not any(element is to for element in signed):
        raise security_fault("the signature does not cover the wsa:To header (DIAN's policy signs To)")
    _check_certificate(certificate, now, path, revocation)
    return Sender(certificate, nit)


def _load_token(text: str) -> x509.Certificate:
    try:
        return x509.load_der_x509_certificate(base64.b64decode(text, validate=True))
    except (binascii.Error, ValueError):
        raise security_fault("the BinarySecurityToken is not a base64 X.509 certificate",
                             "InvalidSecurityToken") from None


def _exclusive(element: etree._Element, method: etree._Element | None) -> bytes:
    """Exclusive C14N of ``element`` with the PrefixList ``method`` declares (``#default`` too)."""
    algorithm = canonical.declared(method) if method is not None else None
    if algorithm is None or not algorithm.exclusive:
        algorithm = canonical.EXCLUSIVE
    return algorithm.apply(element, comments=False)


def _verify_signature(envelope: etree._Element, signature: etree._Element, token: etree._Element,
                      certificate: x509.Certificate) -> list[etree._Element]:
    """Verify every reference and the SignatureValue; the elements the signature covers."""
    signed_info = _one(signature.findall(f"{{{ns.DS}}}SignedInfo"), "ds:SignedInfo")
    c14n = _one(signed_info.findall(f"{{{ns.DS}}}CanonicalizationMethod"), "ds:CanonicalizationMethod")
    if c14n.get("Algorithm") != EXC_C14N:
        raise security_fault(f"SignedInfo must use exclusive C14N ({EXC_C14N})", "UnsupportedAlgorithm")
    method = _one(signed_info.findall(f"{{{ns.DS}}}SignatureMethod"), "ds:SignatureMethod").get("Algorithm")
    if method not in _SIGNATURES:
        raise security_fault(f"signature method {method} is not accepted; use rsa-sha256", "UnsupportedAlgorithm")
    _check_key_info(signature, token)
    ids = {}
    for element in envelope.iter():
        identifier = element.get(_ID) if isinstance(element.tag, str) else None
        if identifier is not None:
            if identifier in ids:
                raise security_fault(f"two elements carry wsu:Id '{identifier}' (signature wrapping?)")
            ids[identifier] = element
    covered = []
    references = signed_info.findall(f"{{{ns.DS}}}Reference")
    if not references:
        raise security_fault("the signature has no ds:Reference")
    for reference in references:
        uri = reference.get("URI") or ""
        target = ids.get(uri[1:]) if uri.startswith("#") else None
        if target is None:
            raise security_fault(f"the reference '{uri[:80]}' does not name an element by wsu:Id")
        transforms = reference.findall(f"{{{ns.DS}}}Transforms/{{{ns.DS}}}Transform")
        if len(transforms) > 1 or any(t.get("Algorithm") != EXC_C14N for t in transforms):
            raise security_fault(f"reference {uri[:80]}: only the exclusive C14N transform is accepted",
                                 "UnsupportedAlgorithm")
        digest_method = reference.find(f"{{{ns.DS}}}DigestMethod")
        algorithm = digest_method.get("Algorithm") if digest_method is not None else None
        if algorithm not in _DIGESTS:
            raise security_fault(f"reference {uri[:80]}: digest {algorithm} is not accepted; use sha256",
                                 "UnsupportedAlgorithm")
        digest = hashes.Hash(_DIGESTS[algorithm])
        digest.update(_exclusive(target, transforms[0] if transforms else None))
        expected = "".join((reference.findtext(f"{{{ns.DS}}}DigestValue") or "").split())
        if base64.b64encode(digest.finalize()).decode("ascii") != expected:
            name = etree.QName(target).localname
            raise security_fault(f"the digest of the signed {name} ({uri[:80]}) does not match: it was changed "
                                 "after signing", "FailedCheck")
        covered.append(target)
    value = "".join((signature.findtext(f"{{{ns.DS}}}SignatureValue") or "").split())
    key = certificate.public_key()
    if not isinstance(key, rsa.RSAPublicKey):
        raise security_fault("the token's key is not RSA", "UnsupportedAlgorithm")
    try:
        key.verify(base64.b64decode(value, validate=True), _exclusive(signed_info, c14n), padding.PKCS1v15(),
                   _SIGNATURES[method])
    except (InvalidSignature, binascii.Error, ValueError):
        raise security_fault("the SignatureValue does not verify with the BinarySecurityToken's key",
                             "FailedCheck") from None
    return covered


def _check_key_info(signature: etree._Element, token: etree._Element) -> None:
    references = signature.findall(f"{{{ns.DS}}}KeyInfo/{{{WSSE}}}SecurityTokenReference/{{{WSSE}}}Reference")
    reference = _one(references, "ds:KeyInfo/wsse:SecurityTokenReference/wsse:Reference")
    if (reference.get("URI") or "") != f"#{token.get(_ID) or ''}" or not token.get(_ID):
        raise security_fault("the signature's KeyInfo does not point at the BinarySecurityToken",
                             "SecurityTokenUnavailable")


def _check_certificate(certificate: x509.Certificate, now: _dt.datetime, path: ChainPath,
                       revocation: RevocationLookup) -> None:
    subject = certificate.subject.rfc4514_string()[:160]
    if now < certificate.not_valid_before_utc:
        raise security_fault(f"the certificate {subject} is not valid until "
                             f"{certificate.not_valid_before_utc.isoformat()}", "FailedAuthentication")
    if now > certificate.not_valid_after_utc:
        raise security_fault(f"the certificate {subject} expired on {certificate.not_valid_after_utc.isoformat()}",
                             "FailedAuthentication")
    chain = path.at(now)
    if not chain.trusted:
        raise security_fault(f"the certificate {subject} does not chain to this CA: {chain.problem}",
                             "FailedAuthentication")
    revoked = revocation(certificate)
    if revoked is not None and revoked.revoked_at <= now:
        raise security_fault(f"the certificate {subject} was revoked on {revoked.revoked_at.isoformat()} "
                             f"({revoked.reason})", "FailedAuthentication")


