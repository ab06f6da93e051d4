"""``minica.testing.MockCA``: a whole mock CA in memory for other projects' tests. Its signatures
verify in xmlsec1, its CRLs and keystores in OpenSSL, and it never writes a file."""

from __future__ import annotations

import datetime as dt
import subprocess
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from support import NOW, PASSWORD, files_under, xmlsec1_verify

from minica.ca.profiles import nits_in_name
from minica.errors import CertificateNotUsable, InvalidNit, MinicaError, NotFound
from minica.testing import MockCA

ROOT = Path(__file__).resolve().parents[2]
INVOICE = (ROOT / "testdata" / "invoice-habilitacion.xml").read_bytes()
LATER = NOW + dt.timedelta(hours=2)


@pytest.fixture(scope="module")
def ca() -> MockCA:
    return MockCA(now=NOW)


def _openssl(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["openssl", *args], capture_output=True, text=True, timeout=60)


def _utc(moment: dt.datetime) -> str:
    return moment.astimezone(dt.timezone.utc).strftime("%Y-%m-%d %H:%M:%S")


def test_a_signature_from_the_mock_ca_verifies_in_xmlsec1(ca: MockCA, tmp_path: Path) -> None:
    company = ca.issue("900373987-9", "ACME COMERCIALIZADORA S.A.S.", profile="andes")
    assert "900373987-9" in nits_in_name(company.certificate.subject)
    assert company.certificate.not_valid_after_utc - NOW == dt.timedelta(days=365)
    signed = company.sign(INVOICE, at=LATER)
    assert signed.startswith(INVOICE[:38]) and len(signed) > len(INVOICE)
    result = ca.verify(signed, at=LATER)
    assert result.valid, [c for c in result.failures]
    (tmp_path / "signed.xml").write_bytes(signed)
    (tmp_path / "root.pem").write_bytes(ca.root_pem)
    (tmp_path / "issuing.pem").write_bytes(ca.issuing.public_bytes(serialization.Encoding.PEM))
    checked = xmlsec1_verify(tmp_path / "signed.xml", trusted=tmp_path / "root.pem",
                             untrusted=tmp_path / "issuing.pem", at=_utc(LATER))
    assert checked.returncode == 0, checked.stderr
    other = MockCA(now=NOW)  # a different CA's root must not be trusted
    assert not other.verify(signed, at=LATER).valid


def test_revocation_is_known_only_for_what_this_ca_issued(ca: MockCA) -> None:
    """ZD04 passes for this CA's own certificates (it holds their revocations) and is skipped, not
    passed, for another CA's: it cannot know whether that one is revoked (issue 11 §1)."""
    signed = ca.issue("900373987-9", "ACME S.A.S.").sign(INVOICE, at=LATER)
    own = [(c.status, c.message) for c in ca.verify(signed, at=LATER).checks if c.rule == "ZD04"]
    assert own == [("pass", "not revoked (2 certificate(s) asked)")]
    other = MockCA(now=NOW)  # same names, other keys: its CA did not issue this certificate
    (check,) = [c for c in other.verify(signed, at=LATER).checks if c.rule == "ZD04"]
    assert check.status == "skip" and "cannot tell whether it is revoked" in check.message


def test_revocation_refuses_signing_and_appears_in_the_crl(ca: MockCA, tmp_path: Path) -> None:
    company = ca.issue("900373987-9", "EMPRESA REVOCADA S.A.S.")
    before = company.sign(INVOICE, at=LATER)
    revoked_at = NOW + dt.timedelta(days=1)
    ca.revoke(company, at=revoked_at, reason="keyCompromise")
    with pytest.raises(CertificateNotUsable, match="was revoked"):
        company.sign(INVOICE, at=revoked_at + dt.timedelta(hours=1))
    assert company.sign(INVOICE, at=LATER) and ca.verify(before, at=LATER).valid  # before the revocation
    late = ca.verify(before, at=revoked_at + dt.timedelta(hours=1))
    assert "ZD04" in [c.rule for c in late.failures]

    first, second = ca.crl(at=NOW), ca.crl(at=revoked_at + dt.timedelta(minutes=5))
    assert first.get_revoked_certificate_by_serial_number(company.certificate.serial_number) is None
    entry = second.get_revoked_certificate_by_serial_number(company.certificate.serial_number)
    assert entry is not None and entry.extensions.get_extension_for_class(x509.CRLReason).value.reason.value == (
        "keyCompromise")
    numbers = [c.extensions.get_extension_for_class(x509.CRLNumber).value.crl_number for c in (first, second)]
    assert numbers[1] > numbers[0]

    crl, cert = tmp_path / "issuing.crl", tmp_path / "cert.pem"
    crl.write_bytes(second.public_bytes(serialization.Encoding.PEM))
    cert.write_bytes(company.cert_pem)
    (tmp_path / "root.pem").write_bytes(ca.root_pem)
    (tmp_path / "issuing.pem").write_bytes(ca.issuing.public_bytes(serialization.Encoding.PEM))
    attime = str(int((revoked_at + dt.timedelta(hours=1)).timestamp()))
    checked = _openssl("verify", "-attime", attime, "-crl_check", "-CAfile", str(tmp_path / "root.pem"),
                       "-untrusted", str(tmp_path / "issuing.pem"), "-CRLfile", str(crl), str(cert))
    assert checked.returncode != 0 and "certificate revoked" in checked.stdout + checked.stderr
    valid = ca.issue("900373987-9", "EMPRESA VIGENTE S.A.S.")
    cert.write_bytes(valid.cert_pem)
    checked = _openssl("verify", "-attime", attime, "-crl_check", "-CAfile", str(tmp_path / "root.pem"),
                       "-untrusted", str(tmp_path / "issuing.pem"), "-CRLfile", str(crl), str(cert))
    assert checked.returncode == 0, checked.stdout + checked.stderr


@pytest.mark.parametrize("profile", ["compat", "modern", "legacy"])
def test_pkcs12_exports_open_in_openssl(ca: MockCA, tmp_path: Path, profile: str) -> None:
    company = ca.issue("900373987-9", "ACME S.A.S.")
    path = tmp_path / "store.p12"
    path.write_bytes(company.pkcs12(PASSWORD.encode(), profile=profile))
    legacy = ["-legacy"] if profile == "legacy" else []
    opened = _openssl("pkcs12", *legacy, "-in", str(path), "-passin", f"pass:{PASSWORD}", "-nokeys", "-clcerts")
    assert opened.returncode == 0, opened.stderr
    assert x509.load_pem_x509_certificate(opened.stdout.encode()).serial_number == company.certificate.serial_number
    assert _openssl("pkcs12", *legacy, "-in", str(path), "-passin", "pass:Otra#Clave1", "-noout").returncode != 0


def test_the_private_key_is_encrypted_unless_asked_in_clear(ca: MockCA) -> None:
    company = ca.issue("900373987-9", "ACME S.A.S.")
    encrypted = company.key_pem(PASSWORD.encode())
    assert b"ENCRYPTED PRIVATE KEY" in encrypted
    with pytest.raises(TypeError):
        serialization.load_pem_private_key(encrypted, password=None)
    assert serialization.load_pem_private_key(encrypted, PASSWORD.encode()).public_key() == (
        company.certificate.public_key())
    assert b"BEGIN PRIVATE KEY" in company.key_pem(None)


def test_scenarios_expired_not_yet_valid_and_no_signing_usage_are_refused(ca: MockCA) -> None:
    expired = ca.issue("900373987-9", "VENCIDA S.A.S.", not_before=NOW - dt.timedelta(days=400),
                       not_after=NOW - dt.timedelta(days=35))
    with pytest.raises(CertificateNotUsable, match="expired"):
        expired.sign(INVOICE, at=LATER)
    future = ca.issue("900373987-9", "FUTURA S.A.S.", not_before=NOW + dt.timedelta(days=10), days=30)
    with pytest.raises(CertificateNotUsable, match="not valid until"):
        future.sign(INVOICE, at=LATER)
    cipher = ca.issue("900373987-9", "CIFRADO S.A.S.", key_usage="encipherment")
    with pytest.raises(CertificateNotUsable, match="nonRepudiation"):
        cipher.sign(INVOICE, at=LATER)


def test_bad_input_raises_minica_errors(ca: MockCA) -> None:
    with pytest.raises(InvalidNit, match="9"):
        ca.issue("900373987-1", "ACME S.A.S.")
    with pytest.raises(MinicaError):
        ca.issue("900373987-9", "ACME S.A.S.", profile="verisign")
    with pytest.raises(MinicaError, match="control characters"):
        ca.issue("900373987-9", "ACME\nS.A.S.")
    with pytest.raises(NotFound):
        MockCA(now=NOW).revoke(ca.issue("900373987-9", "ACME S.A.S."))  # another CA's certificate
    with pytest.raises(ValueError, match="timezone-aware"):
        MockCA(now=dt.datetime(2026, 11, 22, 9, 0))


def test_nothing_is_written_anywhere(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("HOME", str(tmp_path))
    ca = MockCA(now=NOW)
    company = ca.issue("900373987-9", "ACME S.A.S.")
    ca.verify(company.sign(INVOICE, at=LATER), at=LATER)
    company.pkcs12(PASSWORD.encode())
    ca.crl(at=LATER)
    assert files_under(tmp_path) == set()


def test_the_pytest_fixture_gives_a_fresh_ca(minica_ca: MockCA) -> None:
    company = minica_ca.issue("900373987-9", "ACME S.A.S.")
    assert company.certificate.issuer == minica_ca.issuing.subject
    assert company.chain == (minica_ca.issuing, minica_ca.root)
