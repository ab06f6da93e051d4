"""``minica verify``: report, JSON contract and exit codes (0 valid, 1 invalid, 2 unreadable)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from support import Cli

from minica.ca.hierarchy import Authority
from minica.storage.database import Database
from minica.storage.home import Home

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


def _tampered(signed: Path) -> Path:
    """``signed`` with one letter of the body changed after signing."""
    tampered = signed.with_name("tampered.xml")
    tampered.write_bytes(signed.read_bytes().replace(b"MINICA PRUEBAS", b"MINICA PRUEBaS", 1))
    return tampered


def test_minica_signed_document_passes_every_check(
    authority: Authority, run: Cli, password_file: Path, tmp_path: Path
) -> None:
    signed = _signed(run, password_file, tmp_path)
    result = run("verify", str(signed), "--json")
    assert result.exit_code == 0
    report = _one(result.stdout)
    assert report["valid"] is True and report["file"] == str(signed) and report["status"] == "valid"
    statuses = {c["status"] for c in report["checks"]}
    assert statuses <= {"pass", "skip"}
    assert all(set(c) == {"rule", "status", "message", "cause"} for c in report["checks"])
    rules = {c["rule"] for c in report["checks"]}
    assert {"DC01", "AA04", "DC02", "ZE02", "ZD04", "ZD05", "ZD06", "ZD07"} <= rules
    human = run("verify", str(signed))
    assert human.exit_code == 0 and "VALID" in human.stdout and "ZE02" in human.stdout


def test_tampered_revoked_and_later_documents_are_invalid(
    authority: Authority, run: Cli, password_file: Path, tmp_path: Path
) -> None:
    signed = _signed(run, password_file, tmp_path)
    tampered = _tampered(signed)
    result = run("verify", str(tampered), "--json")
    assert result.exit_code == 1
    failed = [c for c in _one(result.stdout)["checks"] if c["status"] == "fail"]
    assert [c["rule"] for c in failed] == ["ZE02"] and "URI=''" in failed[0]["message"]
    assert failed[0]["cause"] == "unexplained" and "changed after signing" in failed[0]["message"]
    # Revoke the signer: ZD04 fails from then on.
    serial = json.loads(run("certs", "list", "--json").stdout)[0]["serial"]
    assert run("revoke", serial, "--reason", "keyCompromise", at="2026-11-23").exit_code == 0
    revoked = run("verify", str(signed), "--json", at="2026-11-24")
    assert revoked.exit_code == 1
    assert any(c["rule"] == "ZD04" and c["status"] == "fail" for c in _one(revoked.stdout)["checks"])
    # After expiry ZD07 fails.
    expired = run("verify", str(signed), "--json", at="2028-01-01")
    assert any(c["rule"] == "ZD07" and c["status"] == "fail" for c in _one(expired.stdout)["checks"])


def test_foreign_dian_vector_fails_only_on_trust(authority: Authority, run: Cli) -> None:
    result = run("verify", str(VECTOR), "--json", at="2019-07-01")
    assert result.exit_code == 1
    checks = _one(result.stdout)["checks"]
    assert {c["rule"] for c in checks if c["status"] == "fail"} == {"ZD05"}
    # This home's CA did not issue DIAN's test certificate: whether it is revoked is unknown.
    assert [c["status"] for c in checks if c["rule"] == "ZD04"] == ["skip"]


def test_unreadable_and_hostile_inputs_exit_2(authority: Authority, run: Cli, tmp_path: Path) -> None:
    hostile = tmp_path / "xxe.xml"
    hostile.write_text('<!DOCTYPE x [<!ENTITY e SYSTEM "http://example.invalid/">]><Invoice>&e;</Invoice>')
    missing = tmp_path / "missing.xml"
    result = run("verify", str(hostile), str(missing), str(VECTOR), "--json", at="2019-07-01")
    assert result.exit_code == 2
    body = json.loads(result.stdout)
    reports = body["documents"]
    assert [r["valid"] for r in reports] == [False, False, False]
    assert [r["status"] for r in reports] == ["unreadable", "unreadable", "invalid"]
    assert "DTD" in reports[0]["error"] and reports[0]["hint"]
    assert "cannot read" in reports[1]["error"] and reports[1]["hint"] == "check the path"
    assert reports[2]["error"] is None and reports[2]["hint"] is None
    assert body["summary"] == {"total": 3, "valid": 0, "invalid": 1, "unreadable": 2}
    assert body["valid"] is False


def _one(stdout: str) -> dict[str, Any]:
    """The only document of a ``verify --json`` report (one shape for one file or many)."""
    body = json.loads(stdout)
    assert set(body) == {"valid", "documents", "summary"} and len(body["documents"]) == 1
    assert body["summary"]["total"] == 1 and body["valid"] is body["documents"][0]["valid"]
    return body["documents"][0]  # type: ignore[no-any-return]


def test_many_files_one_shape_and_a_summary(
    authority: Authority, run: Cli, password_file: Path, tmp_path: Path
) -> None:
    signed = _signed(run, password_file, tmp_path)
    tampered = _tampered(signed)
    result = run("verify", str(signed), str(tampered), "--json")
    assert result.exit_code == 1
    body = json.loads(result.stdout)
    assert set(body) == {"valid", "documents", "summary"} and body["valid"] is False
    assert [d["status"] for d in body["documents"]] == ["valid", "invalid"]
    assert body["summary"] == {"total": 2, "valid": 1, "invalid": 1, "unreadable": 0}
    keys = {frozenset(d) for d in body["documents"]}
    assert len(keys) == 1  # every document entry has the same keys
    # The signer's serial in hex, as `certs list` and every other command show it.
    listed = json.loads(run("certs", "list", "--json").stdout)
    serials = [c["serial"] for c in (listed["certificates"] if isinstance(listed, dict) else listed)]
    assert body["documents"][0]["signer"]["serial"] in serials
    human = run("verify", str(signed), str(tampered))
    assert human.exit_code == 1
    assert human.stdout.rstrip().splitlines()[-1] == "1 valid, 1 invalid (2 documents)"
    single = run("verify", str(signed))
    assert "documents)" not in single.stdout  # one file: its verdict is the summary


def test_unreadable_files_are_counted_and_described(authority: Authority, run: Cli, tmp_path: Path) -> None:
    missing = tmp_path / "missing.xml"
    result = run("verify", str(VECTOR), str(missing), at="2019-07-01")
    assert result.exit_code == 2
    assert result.stdout.rstrip().splitlines()[-1] == "0 valid, 1 invalid, 1 unreadable (2 documents)"
    only_missing = run("verify", str(missing), "--json")
    body = json.loads(only_missing.stdout)
    assert only_missing.exit_code == 2 and body["summary"]["unreadable"] == 1
    document = body["documents"][0]
    assert document["status"] == "unreadable" and document["checks"] == [] and document["signer"] is None
    assert document["error"].startswith("cannot read") and document["hint"] == "check the path"


def test_global_error_is_json_with_json(authority: Authority, run: Cli, tmp_path: Path) -> None:
    bad_anchor = tmp_path / "not-a-cert.pem"
    bad_anchor.write_text("hello")
    result = run("verify", str(VECTOR), "--trust", str(bad_anchor), "--json")
    assert result.exit_code == 2
    assert json.loads(result.stdout) == {
        "error": f"--trust {bad_anchor} is not a readable PEM certificate file", "hint": "give a PEM file"}
    human = run("verify", str(VECTOR), "--trust", str(bad_anchor))
    assert human.exit_code == 2 and human.stderr.startswith("error: --trust")


def test_home_without_a_ca_cannot_know_revocation(run: Cli, home: Home) -> None:
    """No CA in the home (even with a database left by another command): ZD04 is skipped."""
    Database.open(home).close()
    assert home.db_path.exists() and not home.has_ca()
    result = run("verify", str(VECTOR), "--json", at="2019-07-01")
    checks = _one(result.stdout)["checks"]
    assert [c["status"] for c in checks if c["rule"] == "ZD04"] == ["skip"]


def test_subjects_name_their_attributes_and_times_are_colombian(
    authority: Authority, run: Cli, password_file: Path, tmp_path: Path
) -> None:
    """The report writes names as ``check`` does (``title=``, ``emailAddress=``, ``serialNumber=``,
    not ``2.5.4.12=``) and every time in Colombian time, messages included (issue 11 §2, §4)."""
    issued = run("issue", "--nit", "900373987-9", "--name", "MINICA PRUEBAS S.A.S.", "--profile", "andes",
                 "--email", "firma@empresa.com.co", "--password-file", str(password_file))
    assert issued.exit_code == 0, issued.stderr
    signed = tmp_path / "signed.xml"
    assert run("sign", str(HAB), "-o", str(signed), "--password-file", str(password_file)).exit_code == 0
    report = _one(run("verify", str(signed), "--json").stdout)
    subject = report["signer"]["subject"]
    assert "title=PERSONA JURIDICA" in subject and "emailAddress=firma@empresa.com.co" in subject
    human = run("verify", str(signed)).stdout
    for dotted in ("2.5.4.12=", "1.2.840.113549.1.9.1=", "2.5.4.5="):
        assert dotted not in subject + human
    assert "serialNumber=9003739879" in human  # Andes: the NIT with its DV
    messages = " ".join(c["message"] for c in report["checks"] if c["rule"] in ("DC24", "ZD07"))
    assert "+00:00" not in messages and messages.count("-05:00") == 2
