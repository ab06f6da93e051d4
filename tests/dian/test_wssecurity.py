"""WS-Security as a strict server checks it (issue 12 §2): each refusal its own test, each a SOAP 1.2
Fault whose reason says what is wrong; a certificate whose NIT may not send the document is 89."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

import pytest
import zeep.exceptions
from dian_kit import WSA, DianSignature, Served, answer, pem_pair, unsigned_document, zeep_client, zipped
from lxml import etree
from support import NOW, PASSWORD

from minica.ca import registry
from minica.ca.issuance import IssuedCertificate, IssueRequest, issue_certificate
from minica.clock import FixedClock
from minica.dian.registration import SoftwareRegistration
from minica.environment import Environment
from minica.identity import Nit
from minica.signing.service import Signer
from minica.storage.home import Home
from minica.testing import MockCA

MINUTE = dt.timedelta(minutes=1)


def _send(client, registration: SoftwareRegistration, sign: Callable[[bytes], bytes]):  # type: ignore[no-untyped-def]
    return client.service.SendBillSync(fileName="z.zip",
                                       contentFile=zipped(("fv.xml", sign(unsigned_document(registration)))))


def _fault(served: Served, signature: DianSignature, registration: SoftwareRegistration,
           sign: Callable[[bytes], bytes]) -> str:
    with pytest.raises(zeep.exceptions.Fault) as raised:
        _send(zeep_client(served, signature), registration, sign)
    return str(raised.value.message)


def _keys(issued: IssuedCertificate) -> tuple[bytes, bytes]:
    signer = Signer.from_keystore(issued.store_paths[Environment.HABILITACION], PASSWORD.encode(), trust=[])
    return pem_pair(signer)


@pytest.fixture
def keys(signer: Signer) -> tuple[bytes, bytes]:
    return pem_pair(signer)


def test_no_timestamp_is_refused(served: Served, keys, registration, sign) -> None:  # type: ignore[no-untyped-def]
    assert "wsu:Timestamp" in _fault(served, DianSignature(*keys, None), registration, sign)


def test_an_expired_timestamp_is_refused(served: Served, keys, registration, sign) -> None:  # type: ignore[no-untyped-def]
    stale = (NOW - 20 * MINUTE, NOW - 10 * MINUTE)
    assert "expired" in _fault(served, DianSignature(*keys, stale), registration, sign)


def test_a_timestamp_from_the_future_is_refused(served: Served, keys, registration, sign) -> None:  # type: ignore[no-untyped-def]
    assert "future" in _fault(served, DianSignature(*keys, (NOW + 10 * MINUTE, NOW + 15 * MINUTE)), registration, sign)


def test_an_unsigned_to_is_refused(served: Served, keys, stamp, registration, sign) -> None:  # type: ignore[no-untyped-def]
    assert "does not cover the wsa:To" in _fault(served, DianSignature(*keys, stamp, sign_to=False),
                                                 registration, sign)


def test_a_to_changed_after_signing_is_refused(served: Served, keys, stamp, registration, sign) -> None:  # type: ignore[no-untyped-def]
    def tamper(envelope: etree._Element) -> None:
        envelope.find(f".//{{{WSA}}}To").text += "?x=1"

    reason = _fault(served, DianSignature(*keys, stamp, tamper=tamper), registration, sign)
    assert "is not this endpoint" in reason or "does not match" in reason


def test_a_signed_to_naming_another_endpoint_is_refused(served: Served, keys, stamp, registration,  # type: ignore[no-untyped-def]
                                                        sign) -> None:
    def other(envelope: etree._Element) -> None:
        envelope.find(f".//{{{WSA}}}To").text = served.endpoint("produccion")

    assert "is not this endpoint" in _fault(served, DianSignature(*keys, stamp, prepare=other), registration, sign)


def test_a_body_changed_after_signing_is_refused(served: Served, keys, stamp, registration, sign) -> None:  # type: ignore[no-untyped-def]
    def tamper(envelope: etree._Element) -> None:
        envelope.find(".//{http://wcf.dian.colombia}fileName").text = "other.zip"

    assert "changed after signing" in _fault(served, DianSignature(*keys, stamp, tamper=tamper), registration, sign)


def test_a_certificate_from_another_ca_is_refused(served: Served, stamp, registration, sign) -> None:  # type: ignore[no-untyped-def]
    other = MockCA(now=NOW).issue("900373987-9", "MINICA PRUEBAS S.A.S.")
    from cryptography.hazmat.primitives import serialization

    key = other.private_key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                          serialization.NoEncryption())
    assert "does not chain to this CA" in _fault(served, DianSignature(key, other.cert_pem, stamp), registration,
                                                 sign)


def test_an_expired_certificate_is_refused(served: Served, home: Home, clock: FixedClock, stamp,  # type: ignore[no-untyped-def]
                                           registration, sign) -> None:
    old = issue_certificate(home, IssueRequest(Nit.parse("900373987-9"), "MINICA PRUEBAS S.A.S.",
                                               not_before=NOW - dt.timedelta(days=400),
                                               not_after=NOW - dt.timedelta(days=35)),
                            store_password=PASSWORD.encode(), clock=clock)
    assert "expired" in _fault(served, DianSignature(*_keys(old), stamp), registration, sign)


def test_a_revoked_certificate_is_refused(served: Served, home: Home, company: IssuedCertificate, keys, stamp,  # type: ignore[no-untyped-def]
                                          registration, sign) -> None:
    registry.revoke(home, company.serial_hex, registry.RevocationReason.KEY_COMPROMISE, now=NOW - MINUTE)
    assert "revoked" in _fault(served, DianSignature(*keys, stamp), registration, sign)


def test_wrong_action_is_refused(served: Served, keys, stamp, registration, sign) -> None:  # type: ignore[no-untyped-def]
    def wrong(envelope: etree._Element) -> None:
        envelope.find(f".//{{{WSA}}}Action").text = "http://wcf.dian.colombia/IWcfDianCustomerServices/GetStatus"

    assert "does not match the Body's operation" in _fault(served, DianSignature(*keys, stamp, prepare=wrong),
                                                           registration, sign)


def test_a_certificate_whose_nit_may_not_send_the_document_is_89(served: Served, home: Home, clock: FixedClock,  # type: ignore[no-untyped-def]
                                                                 stamp, registration, sign) -> None:
    stranger = issue_certificate(home, IssueRequest(Nit.parse("860001022-7"), "OTRA EMPRESA S.A.S."),
                                 store_password=PASSWORD.encode(), clock=clock)
    result = answer(_send(zeep_client(served, DianSignature(*_keys(stranger), stamp)), registration, sign))
    assert (result.status_code, result.is_valid) == ("89", False)
    assert "860001022" in result.errors[0] and "no está autorizado" in result.errors[0]


def test_the_registered_provider_may_send_the_companys_documents(served: Served, home: Home, clock: FixedClock,  # type: ignore[no-untyped-def]
                                                                 stamp, registration, sign) -> None:
    provider = issue_certificate(home, IssueRequest(Nit.parse("830095213-0"), "PROVEEDOR TECNOLOGICO S.A.S."),
                                 store_password=PASSWORD.encode(), clock=clock)
    result = answer(_send(zeep_client(served, DianSignature(*_keys(provider), stamp)), registration, sign))
    assert (result.status_code, result.errors) == ("00", [])


def test_a_certificate_without_a_nit_is_89(served: Served, home: Home, authority, stamp,  # type: ignore[no-untyped-def]
                                           registration, sign) -> None:
    """A certificate of this CA, valid and signing, whose subject holds no NIT in any place DIAN reads."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import rsa
    from cryptography.x509.oid import NameOID

    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    certificate = (x509.CertificateBuilder()
                   .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "SIN NIT S.A.S.")]))
                   .issuer_name(authority.issuing.subject).public_key(key.public_key())
                   .serial_number(x509.random_serial_number())
                   .not_valid_before(NOW - MINUTE).not_valid_after(NOW + dt.timedelta(days=30))
                   .add_extension(x509.KeyUsage(True, True, False, False, False, False, False, False, False), True)
                   .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(
                       authority.issuing.public_key()), False)  # type: ignore[arg-type]
                   .sign(authority.issuing_key(None), hashes.SHA256()))
    key_pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                serialization.NoEncryption())
    cert_pem = certificate.public_bytes(serialization.Encoding.PEM)
    result = answer(_send(zeep_client(served, DianSignature(key_pem, cert_pem, stamp)), registration, sign))
    assert (result.status_code, result.is_valid, result.application_response) == ("89", False, None)
    assert "NIT" in result.errors[0], result.errors
