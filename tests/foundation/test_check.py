"""``minica check``: exit codes and JSON across time, on stores and on files from anywhere."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest
from support import PASSWORD, Cli, at_instant

from minica.ca.hierarchy import Authority


def _issue(run: Cli, password_file: Path, *extra: str) -> dict:  # type: ignore[type-arg]
    result = run("issue", "--nit", "900373987-9", "--name", "MINICA PRUEBAS S.A.S.",
                 "--password-file", str(password_file), "--json", *extra)
    assert result.exit_code == 0, result.stderr
    return json.loads(result.stdout)  # type: ignore[no-any-return]


def _check(run: Cli, *args: str, at: str) -> tuple[int, dict]:  # type: ignore[type-arg]
    result = run("check", "--json", *args, at=at)
    return result.exit_code, json.loads(result.stdout)


@pytest.mark.parametrize(("at", "code", "status"), [
    ("2026-11-23", 0, "valid"),
    ("2027-11-01", 1, "expiring"),          # inside the 30-day window
    ("2027-12-01", 2, "expired"),
    ("2026-11-21", 2, "not_yet_valid"),
])
def test_stores_across_time(
    authority: Authority, run: Cli, password_file: Path, at: str, code: int, status: str
) -> None:
    issued = _issue(run, password_file)
    exit_code, report = _check(run, at=at)
    assert exit_code == code
    [entry] = report["certificates"]
    assert entry["status"] == status
    assert entry["serial"] == issued["serial"]
    assert entry["nit"] == "900373987-9"  # GSE writes it without its DV; check shows it with
    assert entry["environments"] == ["habilitacion", "produccion"]
    assert report["exit_code"] == code


def test_warn_days_moves_the_window(authority: Authority, run: Cli, password_file: Path) -> None:
    _issue(run, password_file)
    assert _check(run, "--warn-days", "400", at="2026-11-23")[0] == 1
    assert _check(run, "--warn-days", "0", at="2027-11-01")[0] == 0


def test_revoked_certificate_is_reported(authority: Authority, run: Cli, password_file: Path) -> None:
    issued = _issue(run, password_file)
    assert run("revoke", issued["serial"], "--reason", "keyCompromise").exit_code == 0
    code, report = _check(run, at="2026-11-23")
    assert code == 2 and report["certificates"][0]["status"] == "revoked"
    assert "keyCompromise" in report["certificates"][0]["detail"]
    # Before the revocation was recorded, the certificate was fine.
    assert _check(run, "--warn-days", "0", at="2026-11-22T08:59:30-05:00")[0] == 0


def test_foreign_p12_and_pem_across_time(tmp_path: Path, authority: Authority, run: Cli, password_file: Path) -> None:
    """A keystore made by openssl (legacy RC2-40, as older real CAs deliver) is untrusted here."""
    key, cert, p12 = tmp_path / "k.pem", tmp_path / "c.pem", tmp_path / "foreign.pfx"
    subprocess.run([*at_instant(), "openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", str(key),
                    "-out", str(cert), "-subj", "/CN=EMPRESA REAL S.A.S./serialNumber=9005295133/C=CO", "-days", "400"],
                   check=True, capture_output=True)
    subprocess.run(["openssl", "pkcs12", "-export", "-legacy", "-inkey", str(key), "-in", str(cert), "-out", str(p12),
                    "-passout", f"pass:{PASSWORD}"], check=True, capture_output=True)
    code, report = _check(run, str(p12), str(cert), "--password-file", str(password_file), at="2026-12-01")
    assert code == 2
    assert [c["status"] for c in report["certificates"]] == ["untrusted", "untrusted"]
    assert report["certificates"][0]["nit"] == "900529513-3"
    # Trusting it explicitly makes it valid; far in the future it is expired either way.
    assert _check(run, str(cert), "--trust", str(cert), at="2026-12-01")[0] == 0
    assert _check(run, str(cert), "--trust", str(cert), at="2031-01-01")[1]["certificates"][0]["status"] == "expired"


def test_minica_p12_and_ca_pem_are_trusted(authority: Authority, run: Cli, password_file: Path, tmp_path: Path) -> None:
    issued = _issue(run, password_file)
    p12 = issued["stores"]["produccion"]
    pem = tmp_path / "leaf.pem"
    pem.write_text(issued_cert_pem(run, issued["serial"]))
    code, report = _check(run, p12, str(pem), "--password-file", str(password_file), at="2026-12-01")
    assert code == 0, report
    assert {c["serial"] for c in report["certificates"]} == {issued["serial"]}


def issued_cert_pem(run: Cli, serial: str) -> str:
    from minica.ca.registry import get_certificate

    return get_certificate(run.home, serial).cert_pem


def test_unreadable_targets_exit_3(authority: Authority, run: Cli, password_file: Path, tmp_path: Path) -> None:
    issued = _issue(run, password_file)
    wrong = tmp_path / "wrong.txt"
    wrong.write_text("Wrong#Pass1\n")
    code, report = _check(run, issued["stores"]["habilitacion"], "--password-file", str(wrong), at="2026-12-01")
    assert code == 3
    assert report["certificates"][0]["status"] == "unreadable"
    assert "password" in report["certificates"][0]["detail"]
    corrupt = tmp_path / "corrupt.p12"
    corrupt.write_bytes(b"\x30\x82garbage" * 10)
    assert _check(run, str(corrupt), "--password-file", str(password_file), at="2026-12-01")[0] == 3
    missing = tmp_path / "nope.pem"
    assert _check(run, str(missing), at="2026-12-01")[0] == 3


def test_human_output_names_subject_nit_and_days(authority: Authority, run: Cli, password_file: Path) -> None:
    _issue(run, password_file, "--profile", "andes")
    result = run("check", at="2027-11-10")
    assert result.exit_code == 1
    assert "EXPIRING" in result.stdout and "900373987-9" in result.stdout and "days left" in result.stdout
