"""minica's DIAN client signs WS-Security with its own code: the local DIAN's checker accepts it, and
so do two verifiers that are not minica's (xmlsec1, and zeep's verify_envelope over the xmlsec
library), told only which attributes are Ids; a changed To fails all three. Only a valid stored
certificate signs a request."""

from __future__ import annotations

import datetime as dt
import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization
from dian_kit import Served, pem_pair, unsigned_document
from lxml import etree
from support import NOW, PASSWORD, at_instant
from zeep.exceptions import SignatureVerificationFailed
from zeep.wsse.signature import verify_envelope

from minica.ca.hierarchy import Authority
from minica.ca.issuance import IssuedCertificate
from minica.ca.registry import RevocationReason, revoke
from minica.clock import FixedClock
from minica.dian.client import DianClient, credentials_from_signer, home_credentials, zip_of
from minica.dian.registration import SoftwareRegistration
from minica.dian.request_signing import RequestCredentials, signed_request
from minica.dian.soap import WSA, WSU, Operation, SoapFault, parse_request
from minica.dian.wssecurity import verify_security
from minica.environment import Environment
from minica.errors import CertificateNotUsable
from minica.identity import Nit
from minica.signing.service import Signer
from minica.storage.home import Home

ENDPOINT = "http://127.0.0.1:9/dian/habilitacion/WcfDianCustomerServices.svc"


@pytest.fixture
def credentials(signer: Signer) -> RequestCredentials:
    return credentials_from_signer(signer, NOW)


def _request(credentials: RequestCredentials, now: dt.datetime = NOW) -> bytes:
    return signed_request(Operation.GET_STATUS, [("trackId", "a" * 96)], endpoint=ENDPOINT, credentials=credentials,
                          now=now)


def _check(body: bytes, authority: Authority, now: dt.datetime = NOW) -> str | None:
    sender = verify_security(parse_request(body), endpoint=ENDPOINT, now=now, anchors=[authority.root],
                             intermediates=[authority.issuing], revocation=lambda _c: None)
    return sender.nit


def _changed_to(body: bytes) -> bytes:
    return body.replace(b"127.0.0.1:9/", b"127.0.0.1:10/")


def test_the_local_dians_checker_accepts_the_clients_signature(credentials: RequestCredentials,
                                                               authority: Authority) -> None:
    body = _request(credentials)
    assert _check(body, authority) == "900373987"
    envelope = etree.fromstring(body)
    signed = [r.get("URI") for r in envelope.iter("{http://www.w3.org/2000/09/xmldsig#}Reference")]
    to = envelope.find(f".//{{{WSA}}}To")
    stamp = envelope.find(f".//{{{WSU}}}Timestamp")
    assert signed == ["#" + to.get(f"{{{WSU}}}Id"), "#" + stamp.get(f"{{{WSU}}}Id")]
    with pytest.raises(SoapFault, match="is not this endpoint"):
        _check(_changed_to(body), authority)


def test_the_timestamp_is_the_clients_clock(credentials: RequestCredentials, authority: Authority) -> None:
    body = _request(credentials, NOW - dt.timedelta(minutes=20))
    assert b"<wsu:Created>2026-11-22T13:40:00.000Z</wsu:Created>" in body
    assert b"<wsu:Expires>2026-11-22T13:45:00.000Z</wsu:Expires>" in body
    with pytest.raises(SoapFault, match="expired"):
        _check(body, authority)


@pytest.fixture
def cert_pem(tmp_path: Path, credentials: RequestCredentials) -> Path:
    path = tmp_path / "sender.pem"
    path.write_bytes(credentials.certificate.public_bytes(serialization.Encoding.PEM))
    return path


def _xmlsec1(envelope: Path, cert: Path) -> subprocess.CompletedProcess[str]:
    """xmlsec1 with the sender's certificate as the key (it cannot read a SecurityTokenReference) and
    wsu:Id declared as the Id of To and Timestamp."""
    return subprocess.run(["xmlsec1", "--verify", "--pubkey-cert-pem", str(cert),
                           "--id-attr:Id", f"{WSA}:To", "--id-attr:Id", f"{WSU}:Timestamp", str(envelope)],
                          capture_output=True, text=True, timeout=60)


def test_xmlsec1_verifies_the_clients_signature(tmp_path: Path, credentials: RequestCredentials,
                                                cert_pem: Path) -> None:
    good, bad = tmp_path / "request.xml", tmp_path / "changed.xml"
    good.write_bytes(_request(credentials))
    bad.write_bytes(_changed_to(good.read_bytes()))
    verified = _xmlsec1(good, cert_pem)
    assert verified.returncode == 0, verified.stderr
    assert "SignedInfo References (ok/all): 2/2" in verified.stderr
    assert _xmlsec1(bad, cert_pem).returncode != 0


def test_zeep_verifies_the_clients_signature(credentials: RequestCredentials, cert_pem: Path) -> None:
    body = _request(credentials)
    verify_envelope(etree.fromstring(body), str(cert_pem))
    with pytest.raises(SignatureVerificationFailed):
        verify_envelope(etree.fromstring(_changed_to(body)), str(cert_pem))


def test_the_client_gets_dians_answers_from_the_local_dian(served: Served, credentials: RequestCredentials,
                                                           registration: SoftwareRegistration,
                                                           sign: Callable[[bytes], bytes]) -> None:
    client = DianClient(served.endpoint(), credentials, FixedClock(NOW), timeout=30)
    answer = client.send_bill_sync("fv.zip", zip_of([("fv.xml", sign(unsigned_document(registration)))]))
    assert (answer.status_code, answer.is_valid, answer.errors) == ("00", True, ())
    assert answer.application_response is not None and answer.application_response.startswith(b"<?xml")
    assert answer.document_key is not None
    again = client.get_status(answer.document_key)
    assert (again.status_code, again.document_key) == ("00", answer.document_key)
    assert client.get_status("f" * 96).status_code == "66"


def test_only_a_valid_stored_certificate_signs_a_request(home: Home, clock: FixedClock, authority: Authority,
                                                         company: IssuedCertificate, signer: Signer) -> None:
    nit = Nit.parse("900373987-9")
    later = NOW + dt.timedelta(days=400)
    with pytest.raises(CertificateNotUsable, match="expired"):
        home_credentials(home, PASSWORD.encode(), Environment.HABILITACION, at=later, nit=nit)
    with pytest.raises(CertificateNotUsable, match="expired"):
        credentials_from_signer(signer, later)
    revoke(home, company.serial_hex, RevocationReason.KEY_COMPROMISE, now=NOW - dt.timedelta(minutes=1))
    with pytest.raises(CertificateNotUsable, match="revoked"):
        home_credentials(home, PASSWORD.encode(), Environment.HABILITACION, at=NOW, nit=nit)


EXC = "http://www.w3.org/2001/10/xml-exc-c14n#"
DS = "http://www.w3.org/2000/09/xmldsig#"


def test_a_prefix_list_with_default_is_honoured_as_xmlsec1_signs_it(tmp_path: Path, signer: Signer,
                                                                    credentials: RequestCredentials,
                                                                    authority: Authority) -> None:  # fmt: skip
    """A client whose exclusive C14N lists ``#default`` (an envelope with a default namespace, To and
    Timestamp prefixed): xmlsec1 signs it, and the local DIAN digests what xmlsec1 digested."""
    body = _request(credentials).replace(b"<soap:Envelope ", b'<soap:Envelope xmlns="urn:example:default" ', 1)
    assert b'xmlns="urn:example:default"' in body
    envelope = etree.fromstring(body)
    for method in [*envelope.iter(f"{{{DS}}}Transform"), *envelope.iter(f"{{{DS}}}CanonicalizationMethod")]:
        etree.SubElement(method, f"{{{EXC}}}InclusiveNamespaces", PrefixList="#default", nsmap={"ec": EXC})
    for value in [*envelope.iter(f"{{{DS}}}DigestValue"), *envelope.iter(f"{{{DS}}}SignatureValue")]:
        value.text = ""
    template, signed = tmp_path / "template.xml", tmp_path / "signed.xml"
    template.write_bytes(etree.tostring(envelope))
    key, cert = tmp_path / "key.pem", tmp_path / "cert.pem"
    key_pem, cert_pem_bytes = pem_pair(signer)
    key.write_bytes(key_pem)
    cert.write_bytes(cert_pem_bytes)
    made = subprocess.run([*at_instant(NOW), "xmlsec1", "--sign", "--privkey-pem", f"{key},{cert}",
                           "--id-attr:Id", f"{WSA}:To", "--id-attr:Id", f"{WSU}:Timestamp",
                           "--output", str(signed), str(template)],
                          capture_output=True, text=True, timeout=60)  # fmt: skip
    assert made.returncode == 0, made.stderr
    assert _check(signed.read_bytes(), authority) == "900373987"
    # Without #default the digests differ: the declaration of the default namespace was signed.
    dropped = signed.read_bytes().replace(b'PrefixList="#default"', b'PrefixList=""')
    with pytest.raises(SoapFault, match="does not match"):
        _check(dropped, authority)
