"""``minica sign``: only a valid stored certificate signs; refusals say why and write nothing."""

from __future__ import annotations

import datetime as dt
import json
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
from support import NOW, PASSWORD, Cli, at_instant, files_under, xmlsec1_verify

from minica.ca.hierarchy import Authority
from minica.signing import batch
from minica.storage.home import Home

ROOT = Path(__file__).resolve().parents[2]
HAB = ROOT / "testdata" / "invoice-habilitacion.xml"
PROD = ROOT / "testdata" / "invoice-produccion.xml"


def _issue(run: Cli, password_file: Path, *extra: str, nit: str = "900373987-9") -> dict:  # type: ignore[type-arg]
    result = run("issue", "--nit", nit, "--name", "MINICA PRUEBAS S.A.S.", "--password-file",
                 str(password_file), "--json", *extra)
    assert result.exit_code == 0, result.stderr
    return json.loads(result.stdout)  # type: ignore[no-any-return]


def xmlsec_verify(home: Home, path: Path, at: str = "2026-11-23 12:00:00") -> subprocess.CompletedProcess[str]:
    return xmlsec1_verify(path, trusted=home.root_cert_path, untrusted=home.issuing_cert_path, at=at)


def test_sign_with_the_documents_supplier_nit_and_environment(
    authority: Authority, run: Cli, home: Home, password_file: Path, tmp_path: Path
) -> None:
    _issue(run, password_file)
    out = tmp_path / "signed.xml"
    result = run("sign", str(HAB), "-o", str(out), "--password-file", str(password_file))
    assert result.exit_code == 0, result.stderr
    assert xmlsec_verify(home, out).returncode == 0
    verified = run("verify", str(out), "--json")
    assert verified.exit_code == 0, verified.stdout
    assert json.loads(verified.stdout)["valid"] is True
    assert run("check", str(out), at="2026-11-23").exit_code == 0  # check reads the KeyInfo certificate


@pytest.mark.parametrize(("case", "at", "fragment"), [
    ("not_yet_valid", "2026-11-22T08:00-05:00", "not valid until"),
    ("expired", "2027-12-01", "expired on"),
])
def test_validity_at_signing_time(
    authority: Authority, run: Cli, password_file: Path, tmp_path: Path, case: str, at: str, fragment: str
) -> None:
    _issue(run, password_file)
    out = tmp_path / f"{case}.xml"
    result = run("sign", str(HAB), "-o", str(out), "--password-file", str(password_file), at=at)
    assert result.exit_code == 1
    assert fragment in result.stderr
    assert not out.exists()


def test_revoked_certificate_refused(authority: Authority, run: Cli, password_file: Path, tmp_path: Path) -> None:
    issued = _issue(run, password_file)
    assert run("revoke", issued["serial"], "--reason", "keyCompromise").exit_code == 0
    out = tmp_path / "revoked.xml"
    result = run("sign", str(HAB), "-o", str(out), "--serial", issued["serial"], "--password-file",
                 str(password_file), at="2026-11-23")
    assert result.exit_code == 1 and "revoked" in result.stderr and "keyCompromise" in result.stderr
    assert not out.exists()


def test_certificate_without_signing_usage_refused(
    authority: Authority, run: Cli, password_file: Path, tmp_path: Path
) -> None:
    _issue(run, password_file, "--key-usage", "encipherment")
    out = tmp_path / "ku.xml"
    result = run("sign", str(HAB), "-o", str(out), "--password-file", str(password_file))
    assert result.exit_code == 1 and "digitalSignature + nonRepudiation" in result.stderr
    assert not out.exists()


def test_wrong_environment_store_refused(authority: Authority, run: Cli, password_file: Path, tmp_path: Path) -> None:
    issued = _issue(run, password_file, "--env", "habilitacion")
    out = tmp_path / "prod.xml"
    # By NIT: the producción store has no certificate for it.
    by_nit = run("sign", str(PROD), "-o", str(out), "--password-file", str(password_file))
    assert by_nit.exit_code == 2 and "producción store" in by_nit.stderr  # no such store: NotFound
    # Pointing at the habilitación keystore for a producción document.
    store = issued["stores"]["habilitacion"]
    by_store = run("sign", str(PROD), "-o", str(out), "--store", store, "--password-file", str(password_file))
    assert by_store.exit_code == 1
    assert "ProfileExecutionID 1" in by_store.stderr and "habilitación store" in by_store.stderr
    assert not out.exists()


def test_foreign_keystore_needs_trust(authority: Authority, run: Cli, password_file: Path, tmp_path: Path) -> None:
    key, cert, p12 = tmp_path / "k.pem", tmp_path / "c.pem", tmp_path / "foreign.p12"
    # openssl makes the certificate valid from "now": a minute before the test's signing time.
    subprocess.run([*at_instant(NOW - dt.timedelta(minutes=1)), "openssl", "req", "-x509", "-newkey", "rsa:2048",
                    "-nodes", "-keyout", str(key), "-out", str(cert),
                    "-subj", "/CN=EMPRESA REAL/serialNumber=900373987", "-days", "3650",
                    "-addext", "keyUsage=critical,digitalSignature,nonRepudiation"], check=True, capture_output=True)
    subprocess.run(["openssl", "pkcs12", "-export", "-inkey", str(key), "-in", str(cert), "-out", str(p12),
                    "-passout", f"pass:{PASSWORD}"], check=True, capture_output=True)
    out = tmp_path / "foreign-signed.xml"
    refused = run("sign", str(HAB), "-o", str(out), "--store", str(p12), "--password-file", str(password_file))
    assert refused.exit_code == 1 and "does not chain to a trusted CA" in refused.stderr
    assert not out.exists()
    accepted = run("sign", str(HAB), "-o", str(out), "--store", str(p12), "--trust", str(cert),
                   "--password-file", str(password_file))
    assert accepted.exit_code == 0, accepted.stderr
    assert out.exists()


def test_wrong_password_refused_and_nothing_written(
    authority: Authority, run: Cli, password_file: Path, tmp_path: Path
) -> None:
    _issue(run, password_file)
    wrong = tmp_path / "wrong.txt"
    wrong.write_text("Wrong#Pass1")
    out = tmp_path / "x.xml"
    result = run("sign", str(HAB), "-o", str(out), "--password-file", str(wrong))
    assert result.exit_code == 2 and "password does not open" in result.stderr  # bad input
    assert not out.exists()


@pytest.mark.parametrize("pool", [False, True], ids=["one-process", "worker-pool"])
def test_folder_batch_reports_failures_and_signs_the_rest(
    authority: Authority, run: Cli, home: Home, password_file: Path, tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch, pool: bool,
) -> None:
    monkeypatch.setattr(batch, "POOL_MINIMUM", 2 if pool else 1_000)  # 12 documents: in workers, or not
    pools: list[int] = []  # the size of each batch given to worker processes
    real_pool = batch._sign_in_pool

    def in_pool(jobs: list[Any], *rest: Any) -> None:
        pools.append(len(jobs))
        real_pool(jobs, *rest)

    monkeypatch.setattr(batch, "_sign_in_pool", in_pool)
    _issue(run, password_file)
    folder = tmp_path / "lote"
    folder.mkdir()
    for i in range(10):
        shutil.copy(HAB, folder / f"factura-{i:02}.xml")
    (folder / "rota.xml").write_text("<Invoice><no-cierra>")
    (folder / "xxe.xml").write_text('<!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]><Invoice>&e;</Invoice>')
    out_dir = tmp_path / "firmadas"
    result = run("sign", str(folder), "--out-dir", str(out_dir), "--password-file", str(password_file),
                 "--jobs", "2", "--json")
    assert result.exit_code == 2  # two inputs were unreadable
    report = json.loads(result.stdout)
    assert len(report["signed"]) == 10
    assert sorted(Path(f["input"]).name for f in report["failed"]) == ["rota.xml", "xxe.xml"]
    assert any("DTD" in f["error"] for f in report["failed"])
    assert sorted(p.name for p in files_under(out_dir)) == [f"factura-{i:02}.xml" for i in range(10)]
    for signed in out_dir.iterdir():
        assert xmlsec_verify(home, signed).returncode == 0
    assert pools == ([12] if pool else [])


def test_quickstart_signs_and_verifies_the_bundled_invoice(tmp_path: Path) -> None:
    home = Home(tmp_path / "qs")
    result = Cli(home)("quickstart", "--json")
    assert result.exit_code == 0, result.stderr
    data = json.loads(result.stdout)
    assert data["verified"] is True and data["created_ca"] is True
    assert sorted(data["stores"]) == ["habilitacion", "produccion"]
    signed = Path(data["signed_document"])
    assert xmlsec_verify(home, signed).returncode == 0
    assert (Path(data["password_file"]).stat().st_mode & 0o777) == 0o600
    again = Cli(home)("quickstart", "--json")
    assert again.exit_code == 0 and json.loads(again.stdout)["created_ca"] is False
