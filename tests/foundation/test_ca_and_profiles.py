"""The CA hierarchy and the end-entity profiles, checked field by field."""

from __future__ import annotations

import datetime as dt
import stat
import subprocess

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.x509.oid import ExtensionOID, NameOID
from support import NOW, PASSWORD

from minica.ca import oids
from minica.ca.hierarchy import Authority, create_authority
from minica.ca.issuance import IssueRequest, issue_certificate
from minica.clock import FixedClock
from minica.errors import CaExists
from minica.identity import Nit, PersonType
from minica.storage.home import Home


def _issue(home: Home, clock: FixedClock, **kwargs: object) -> x509.Certificate:
    request = IssueRequest(nit=Nit.parse(str(kwargs.pop("nit", "900373987-9"))),
                           name=str(kwargs.pop("name", "MINICA PRUEBAS S.A.S.")), **kwargs)  # type: ignore[arg-type]
    return issue_certificate(home, request, store_password=PASSWORD.encode(), clock=clock).certificate


def _values(name: x509.Name, oid: x509.ObjectIdentifier) -> list[str]:
    return [str(a.value) for a in name.get_attributes_for_oid(oid)]


def test_init_writes_mock_named_ca_with_proper_extensions(authority: Authority, home: Home) -> None:
    for cert in (authority.root, authority.issuing):
        assert _values(cert.subject, NameOID.ORGANIZATION_NAME) == ["MINICA MOCK CA"]
        assert _values(cert.subject, NameOID.ORGANIZATIONAL_UNIT_NAME) == ["NO VALIDO PARA PRODUCCION"]
        assert cert.signature_hash_algorithm is not None and cert.signature_hash_algorithm.name == "sha256"
        usage = cert.extensions.get_extension_for_class(x509.KeyUsage)
        assert usage.critical and usage.value.key_cert_sign and usage.value.crl_sign
        cert.extensions.get_extension_for_class(x509.SubjectKeyIdentifier)
        cert.extensions.get_extension_for_class(x509.AuthorityKeyIdentifier)
    assert authority.root.extensions.get_extension_for_class(x509.BasicConstraints).value.path_length == 1
    basic = authority.issuing.extensions.get_extension_for_class(x509.BasicConstraints)
    assert basic.critical and basic.value.ca and basic.value.path_length == 0
    crl = authority.issuing.extensions.get_extension_for_class(x509.CRLDistributionPoints).value
    assert crl[0].full_name[0].value == "http://127.0.0.1:8765/crl/root.crl"
    # PEM copies where other tools look for them, and keys private.
    assert x509.load_pem_x509_certificate(home.root_cert_path.read_bytes()) == authority.root
    assert x509.load_pem_x509_certificate(home.issuing_cert_path.read_bytes()) == authority.issuing
    for key in (home.root_key_path, home.issuing_key_path):
        assert stat.S_IMODE(key.stat().st_mode) == 0o600
    assert stat.S_IMODE(home.ca_dir.stat().st_mode) == 0o700
    out = subprocess.run(["openssl", "verify", "-attime", str(int(NOW.timestamp())), "-CAfile",
                          str(home.root_cert_path), str(home.issuing_cert_path)],
                         capture_output=True, text=True)
    assert out.returncode == 0, out.stderr


def test_init_refuses_to_overwrite(authority: Authority, home: Home, clock: FixedClock) -> None:
    before = home.root_cert_path.read_bytes()
    with pytest.raises(CaExists):
        create_authority(home, now=clock.now(), key_size=2048)
    assert home.root_cert_path.read_bytes() == before


def test_ca_key_encrypted_with_ca_password(tmp_path, clock: FixedClock) -> None:  # type: ignore[no-untyped-def]
    home = Home(tmp_path / "enc")
    authority = create_authority(home, now=clock.now(), ca_password=b"CA-secret#1", key_size=2048)
    pem = home.issuing_key_path.read_bytes()
    assert b"ENCRYPTED PRIVATE KEY" in pem
    with pytest.raises(TypeError):
        serialization.load_pem_private_key(pem, None)
    assert authority.issuing_key(b"CA-secret#1").key_size == 2048


def test_gse_profile_puts_nit_without_dv_in_serial_number_and_4710_oid(
    authority: Authority, home: Home, clock: FixedClock
) -> None:
    cert = _issue(home, clock, profile="gse")
    assert _values(cert.subject, NameOID.SERIAL_NUMBER) == ["900373987"]
    assert _values(cert.subject, oids.GSE_NIT) == ["900373987"]
    assert _values(cert.subject, oids.X520_NAME) == ["NIT"]
    assert _values(cert.subject, x509.ObjectIdentifier("2.5.4.13"))[0].startswith("FEPJ")


def test_andes_profile_puts_nit_with_dv_in_serial_number_and_a_title(
    authority: Authority, home: Home, clock: FixedClock
) -> None:
    cert = _issue(home, clock, profile="andes", email="firma@empresa.com.co")
    assert _values(cert.subject, NameOID.SERIAL_NUMBER) == ["9003739879"]
    assert _values(cert.subject, NameOID.TITLE) == ["PERSONA JURIDICA"]
    natural = _issue(home, clock, profile="andes", nit="41261533", name="PERSONA DE PRUEBA",
                     person=PersonType.NATURAL)
    assert _values(natural.subject, NameOID.SERIAL_NUMBER) == ["412615332"]
    assert _values(natural.subject, NameOID.TITLE) == ["Emisor Factura Electronica - Persona Natural"]


def test_certicamara_profile_puts_nit_with_dv_in_23267_oid(
    authority: Authority, home: Home, clock: FixedClock
) -> None:
    cert = _issue(home, clock, profile="certicamara")
    assert _values(cert.subject, oids.CERTICAMARA_NIT) == ["9003739879"]
    assert _values(cert.subject, NameOID.ORGANIZATIONAL_UNIT_NAME) == ["CERTIFACTURA"]
    serial_number = _values(cert.subject, NameOID.SERIAL_NUMBER)[0]
    assert serial_number != "900373987" and len(serial_number) == 6  # a CA-internal number


def test_end_entity_is_one_year_backdated_a_minute_with_signing_usage(
    authority: Authority, home: Home, clock: FixedClock
) -> None:
    cert = _issue(home, clock, legal_representative="ANA PÉREZ", legal_representative_document="CC 52123456",
                  email="a@b.co")
    assert cert.not_valid_before_utc == NOW - dt.timedelta(minutes=1)
    assert cert.not_valid_after_utc == NOW.replace(year=2027)
    usage = cert.extensions.get_extension_for_class(x509.KeyUsage)
    assert usage.critical
    assert usage.value.digital_signature and usage.value.content_commitment
    assert not usage.value.key_cert_sign
    assert cert.public_key().key_size == 2048  # type: ignore[union-attr]
    assert cert.issuer == authority.issuing.subject
    assert 0 < cert.serial_number < 2**159
    policies = cert.extensions.get_extension_for_class(x509.CertificatePolicies).value
    assert policies[0].policy_identifier.dotted_string.startswith(oids.MINICA_ARC)
    aia = cert.extensions.get_extension_for_oid(ExtensionOID.AUTHORITY_INFORMATION_ACCESS).value
    assert any(d.access_location.value == "http://127.0.0.1:8765/ocsp" for d in aia)
    san = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    rep = san.get_values_for_type(x509.DirectoryName)[0]
    assert _values(rep, NameOID.COMMON_NAME) == ["ANA PÉREZ"]


def test_scenario_validity_with_days_and_explicit_dates(
    authority: Authority, home: Home, clock: FixedClock
) -> None:
    short = _issue(home, clock, days=10)
    assert short.not_valid_after_utc - short.not_valid_before_utc == dt.timedelta(days=10)
    past = _issue(home, clock, not_before=dt.datetime(2024, 1, 1, tzinfo=dt.timezone.utc),
                  not_after=dt.datetime(2025, 1, 1, tzinfo=dt.timezone.utc))
    assert past.not_valid_after_utc.year == 2025
