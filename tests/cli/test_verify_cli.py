"""``minica verify``: report, JSON contract and exit codes (0 valid, 1 invalid, 2 unreadable)."""

from __future__ import annotations

import json
from pathlib import Path

from support import Cli

from minica.ca.hierarchy import Authority

ROOT = Path(__file__).resolve().parents[2]
HAB = ROOT / "testdata" / "invoice-habilitacion.xml"
VECTOR = ROOT / "tests" / "vectors" / "dian" / "Kreo-one__dian-fe19-creditnote.xml"


def _signed(run: Cli, password_file: Path, tmp_path: Path) -> Path:
    issued = run("issue", "--nit", "900373987-9", "--name", "MINICA PRUEBAS S.A.S.", "--password-file",
                 str(password_file))
    assert issued.exit_code == 0, issued.stderr
    out = tmp_path / "signed.xml"
    assert run("sign", str(HAB), "-o", str(out), "--password-file", str(password_file)).exit_code == 0
    return out


def test_minica_signed_document_passes_every_check(
    authority: Authority, run: Cli, password_file: Path, tmp_path: Path
) -> None:
    signed = _signed(run, password_file, tmp_path)
    result = run("verify", str(signed), "--json")
    assert result.exit_code == 0
    report = json.loads(result.stdout)
    assert report["valid"] is True and report["file"] == str(signed)
    statuses = {c["status"] for c in report["checks"]}
    assert statuses <= {"pass", "skip"}
    assert all(set(c) == {"rule", "status", "message"} for c in report["checks"])
    rules = {c["rule"] for c in report["checks"]}
    assert {"DC01", "AA04", "DC02", "ZE02", "ZD04", "ZD05", "ZD06", "ZD07"} <= rules
    human = run("verify", str(signed))
    assert human.exit_code == 0 and "VALID" in human.stdout and "ZE02" in human.stdout


def test_tampered_revoked_and_later_documents_are_invalid(
    authority: Authority, run: Cli, password_file: Path, tmp_path: Path
) -> None:
    signed = _signed(run, password_file, tmp_path)
    tampered = tmp_path / "tampered.xml"
    tampered.write_bytes(signed.read_bytes().replace(b"MINICA PRUEBAS", b"MINICA PRUEBaS", 1))
    result = run("verify", str(tampered), "--json")
    assert result.exit_code == 1
    failed = [c for c in json.loads(result.stdout)["checks"] if c["status"] == "fail"]
    assert [c["rule"] for c in failed] == ["ZE02"] and "URI=''" in failed[0]["message"]
    # Revoke the signer: ZD04 fails from then on.
    serial = json.loads(run("certs", "list", "--json").stdout)[0]["serial"]
    assert run("revoke", serial, "--reason", "keyCompromise", at="2026-11-23").exit_code == 0
    revoked = run("verify", str(signed), "--json", at="2026-11-24")
    assert revoked.exit_code == 1
    assert any(c["rule"] == "ZD04" and c["status"] == "fail" for c in json.loads(revoked.stdout)["checks"])
    # After expiry ZD07 fails.
    expired = run("verify", str(signed), "--json", at="2028-01-01")
    assert any(c["rule"] == "ZD07" and c["status"] == "fail" for c in json.loads(expired.stdout)["checks"])


def test_foreign_dian_vector_fails_only_on_trust(authority: Authority, run: Cli) -> None:
    result = run("verify", str(VECTOR), "--json", at="2019-07-01")
    assert result.exit_code == 1
    failed = {c["rule"] for c in json.loads(result.stdout)["checks"] if c["status"] == "fail"}
    assert failed == {"ZD05"}


def test_unreadable_and_hostile_inputs_exit_2(authority: Authority, run: Cli, tmp_path: Path) -> None:
    hostile = tmp_path / "xxe.xml"
    hostile.write_text('<!DOCTYPE x [<!ENTITY e SYSTEM "http://example.invalid/">]><Invoice>&e;</Invoice>')
    missing = tmp_path / "missing.xml"
    result = run("verify", str(hostile), str(missing), str(VECTOR), "--json", at="2019-07-01")
    assert result.exit_code == 2
    reports = json.loads(result.stdout)
    assert [r["valid"] for r in reports] == [False, False, False]
    assert "DTD" in reports[0]["error"]
