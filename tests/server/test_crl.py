"""``minica crl``: increasing numbers, reason codes, and OpenSSL's CRL check agrees."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

from cryptography import x509
from support import NOW, Cli

from minica.ca.crl import CrlScope, publish_crl
from minica.ca.hierarchy import Authority
from minica.ca.registry import get_certificate
from minica.storage.home import Home

ATTIME = str(int(NOW.timestamp()) + 3600)  # OpenSSL checks at the tests' fixed time, not the wall clock


def issue(run: Cli, password_file: Path, nit: str = "900373987-9") -> str:
    result = run("issue", "--nit", nit, "--name", "MINICA PRUEBAS S.A.S.", "--password-file",
                 str(password_file), "--json")
    assert result.exit_code == 0, result.stderr
    return str(json.loads(result.stdout)["serial"])


def leaf_pem(home: Home, serial: str) -> str:
    return get_certificate(home, serial).cert_pem


def crl_number(crl: x509.CertificateRevocationList) -> int:
    return crl.extensions.get_extension_for_class(x509.CRLNumber).value.crl_number


def test_crl_numbers_increase_and_list_revocations_with_reason(
    authority: Authority, run: Cli, home: Home, password_file: Path, tmp_path: Path
) -> None:
    serial = issue(run, password_file)
    first = tmp_path / "1.crl"
    assert run("crl", "-o", str(first)).exit_code == 0
    crl1 = x509.load_der_x509_crl(first.read_bytes())
    assert len(crl1) == 0
    assert run("revoke", serial, "--reason", "keyCompromise").exit_code == 0
    second = tmp_path / "2.pem"
    out = run("crl", "-o", str(second), "--pem", "--json")
    assert out.exit_code == 0, out.stderr
    assert json.loads(out.stdout)["revoked"] == 1
    crl2 = x509.load_pem_x509_crl(second.read_bytes())
    assert crl_number(crl2) > crl_number(crl1)
    assert crl2.is_signature_valid(authority.issuing.public_key())  # type: ignore[arg-type]
    assert crl2.last_update_utc == NOW and crl2.next_update_utc is not None and crl2.next_update_utc > NOW
    entry = crl2.get_revoked_certificate_by_serial_number(int(serial, 16))
    assert entry is not None and entry.revocation_date_utc == NOW
    assert entry.extensions.get_extension_for_class(x509.CRLReason).value.reason == x509.ReasonFlags.key_compromise
    assert crl2.extensions.get_extension_for_class(x509.AuthorityKeyIdentifier)


def test_a_revocation_later_than_now_is_not_listed_yet(
    authority: Authority, run: Cli, home: Home, password_file: Path
) -> None:
    serial = issue(run, password_file)
    assert run("revoke", serial, "--reason", "superseded", at="2026-12-01").exit_code == 0
    assert len(publish_crl(home, now=NOW, ca_password=None).crl) == 0


def test_root_crl_is_empty_and_signed_by_the_root(authority: Authority, home: Home) -> None:
    published = publish_crl(home, now=NOW, ca_password=None, scope=CrlScope.ROOT)
    assert len(published.crl) == 0 and published.crl.issuer == authority.root.subject
    assert published.crl.is_signature_valid(authority.root.public_key())  # type: ignore[arg-type]


def test_openssl_crl_check_accepts_valid_and_rejects_revoked(
    authority: Authority, run: Cli, home: Home, password_file: Path, tmp_path: Path
) -> None:
    good, bad = issue(run, password_file), issue(run, password_file, nit="800197268-4")
    assert run("revoke", bad, "--reason", "cessationOfOperation").exit_code == 0
    crl = tmp_path / "issuing.crl.pem"
    root_crl = tmp_path / "root.crl.pem"
    assert run("crl", "-o", str(crl), "--pem").exit_code == 0
    assert run("crl", "--root", "-o", str(root_crl), "--pem").exit_code == 0
    chain = tmp_path / "chain.pem"
    chain.write_bytes(home.root_cert_path.read_bytes() + home.issuing_cert_path.read_bytes())

    def verify(serial: str, *flags: str) -> subprocess.CompletedProcess[str]:
        leaf = tmp_path / f"{serial}.pem"
        leaf.write_text(leaf_pem(home, serial))
        return subprocess.run(
            ["openssl", "verify", *flags, "-CRLfile", str(crl), "-CRLfile", str(root_crl), "-CAfile",
             str(chain), "-attime", ATTIME, str(leaf)],
            capture_output=True, text=True, timeout=30,
        )

    ok = verify(good, "-crl_check")
    assert ok.returncode == 0, ok.stdout + ok.stderr
    assert verify(good, "-crl_check_all").returncode == 0
    refused = verify(bad, "-crl_check")
    assert refused.returncode != 0
    assert "certificate revoked" in (refused.stdout + refused.stderr)
