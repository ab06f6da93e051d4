"""``minica dian generate``: documents for the company registered in the home (or described by hand),
which ``minica sign`` signs and ``minica verify`` accepts with the CUFE/CUDE recomputed."""

from __future__ import annotations

import datetime as dt
import json
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from support import NOW, Cli, files_under

from minica.ca.hierarchy import Authority
from minica.dian.generator import Issuer, Party, generate_invoice
from minica.dian.registration import NumberingRange
from minica.signing.verifier import verify_document
from minica.storage.home import Home

PIN = "75315"
KEY = "fc8eac422eba16e22ffd8c6f94b3f40a6e38162c"


@pytest.fixture
def pin_file(tmp_path: Path) -> Path:
    (tmp_path / "secrets").mkdir()
    (tmp_path / "secrets" / "pin").write_text(PIN + "\n")
    return tmp_path / "secrets" / "pin"


@pytest.fixture
def registered(run: Cli, pin_file: Path) -> dict:  # type: ignore[type-arg]
    """The company 900373987-9 registered with the local DIAN of the test's home (PIN from a file)."""
    result = run("--json", "dian", "register", "--nit", "900373987-9", "--pin-file", str(pin_file))
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)  # type: ignore[no-any-return]


@pytest.fixture(autouse=True)
def _no_pin_in_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("MINICA_DIAN_PIN", raising=False)


def test_generate_sign_and_verify_an_invoice_and_its_credit_note(
    authority: Authority, run: Cli, home: Home, registered: dict, password_file: Path, pin_file: Path,  # type: ignore[type-arg]
    tmp_path: Path,
) -> None:
    issued = run("issue", "--nit", "900373987-9", "--name", "MINICA PRUEBAS S.A.S.", "--password-file",
                 str(password_file))
    assert issued.exit_code == 0, issued.output
    invoice, note = tmp_path / "factura.xml", tmp_path / "nota.xml"
    result = run("--json", "dian", "generate", "--kind", "invoice", "--number", "SETP990000001", "--lines", "3",
                 "-o", str(invoice))
    assert result.exit_code == 0, result.output
    made = json.loads(result.stdout)
    assert (made["kind"], made["number"], made["key_scheme"]) == ("invoice", "SETP990000001", "CUFE-SHA384")
    assert made["key"].encode() in invoice.read_bytes()
    result = run("dian", "generate", "--kind", "creditnote", "--number", "NC1", "--references", str(invoice),
                 "--concept", "2", "-o", str(note))
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith(f"wrote creditnote NC1 → {note}\nCUDE ")

    signed = run("sign", str(invoice), str(note), "--out-dir", str(tmp_path / "signed"),
                 "--password-file", str(password_file))
    assert signed.exit_code == 0, signed.output
    technical_key = registered["numbering_range"]["technical_key"]
    for name in ("factura.xml", "nota.xml"):
        path = tmp_path / "signed" / name
        verified = run("verify", str(path), "--technical-key", technical_key, "--software-pin-file", str(pin_file))
        assert verified.exit_code == 0, verified.output
        result = verify_document(path.read_bytes(), at=NOW, trust=[authority.root],
                                 intermediates=[authority.issuing], technical_key=technical_key, software_pin=PIN)
        statuses = {check.rule: check.status for check in result.checks}
        assert result.valid and statuses["MINICA-CUFE" if name == "factura.xml" else "MINICA-CUDE"] == "pass"
        assert statuses["MINICA-SOFTWARE-SECURITY-CODE"] == "pass"


def _cude_statuses(result: Any) -> tuple[str, str | None]:
    assert result.exit_code in (0, 1), result.output
    checks = json.loads(result.stdout)["documents"][0]["checks"]
    statuses = {c["rule"]: c["status"] for c in checks}
    return statuses["MINICA-CUDE"], statuses.get("MINICA-SOFTWARE-SECURITY-CODE")


def test_verify_takes_the_pin_from_a_file_or_the_environment_never_an_argument(
    authority: Authority, run: Cli, registered: dict, password_file: Path, pin_file: Path,  # type: ignore[type-arg]
    tmp_path: Path,
) -> None:
    """Issue 11: ``--software-pin PIN`` showed the PIN in ps. ``--software-pin-file`` (or ``--pin-file``,
    as the ``dian`` commands name it) and ``$MINICA_DIAN_PIN`` give it; the argument is refused."""
    assert run("issue", "--nit", "900373987-9", "--name", "MINICA PRUEBAS S.A.S.", "--password-file",
               str(password_file)).exit_code == 0
    invoice, note, signed = tmp_path / "factura.xml", tmp_path / "nota.xml", tmp_path / "nota.signed.xml"
    assert run("dian", "generate", "--kind", "invoice", "--number", "SETP990000001", "-o", str(invoice)).exit_code == 0
    assert run("dian", "generate", "--kind", "creditnote", "--number", "NC1", "--references", str(invoice),
               "-o", str(note)).exit_code == 0
    assert run("sign", str(note), "-o", str(signed), "--password-file", str(password_file)).exit_code == 0

    assert _cude_statuses(run("verify", str(signed), "--json")) == ("skip", None)  # no PIN: not recomputed
    for option in ("--software-pin-file", "--pin-file"):
        assert _cude_statuses(run("verify", str(signed), "--json", option, str(pin_file))) == ("pass", "pass")
    assert _cude_statuses(run("verify", str(signed), "--json", env={"MINICA_DIAN_PIN": PIN})) == ("pass", "pass")
    assert _cude_statuses(run("verify", str(signed), "--json", env={"MINICA_DIAN_PIN": "99999"})) == ("fail", "fail")
    wrong = tmp_path / "wrong-pin"
    wrong.write_text("99999\n")  # the file wins over the environment
    assert _cude_statuses(run("verify", str(signed), "--json", "--software-pin-file", str(wrong),
                              env={"MINICA_DIAN_PIN": PIN})) == ("fail", "fail")

    refused = run("verify", str(signed), "--software-pin", PIN)
    assert refused.exit_code == 2 and refused.stdout == ""
    assert refused.stderr.startswith("error: --software-pin would put the PIN on the command line")
    assert "--software-pin-file FILE or set $MINICA_DIAN_PIN" in refused.stderr and PIN not in refused.stderr
    as_json = run("verify", str(signed), "--json", "--software-pin", PIN)
    assert as_json.exit_code == 2 and set(json.loads(as_json.stdout)) == {"error", "hint"}
    empty = tmp_path / "empty-pin"
    empty.write_text("\n")
    result = run("verify", str(signed), "--software-pin-file", str(empty))
    assert result.exit_code == 2
    assert result.stderr == f"error: the software PIN file {empty} is empty — write the PIN in it\n"
    missing = run("verify", str(signed), "--software-pin-file", str(tmp_path / "nowhere"))
    assert missing.exit_code == 2 and "software PIN file" in missing.stderr and "does not exist" in missing.stderr


def test_without_a_registration_the_options_describe_the_software(run: Cli, pin_file: Path, tmp_path: Path) -> None:
    """``--software-id`` and the range's options give the same document as the Python API."""
    out = tmp_path / "f.xml"
    args = ("dian", "generate", "--kind", "invoice", "--number", "SETP990000010", "--nit", "900373987-9",
            "--name", "MINICA PRUEBAS S.A.S.", "--software-id", "5e1b7c1a-3f0e-4c59-9c5e-6f2d7a9b1c30",
            "--technical-key", KEY, "--valid-from", "2026-01-01", "--valid-to", "2027-12-31", "-o", str(out))
    result = run(*args, "--pin-file", str(pin_file))
    assert result.exit_code == 0, result.output
    issuer = Issuer(Party("900373987", "MINICA PRUEBAS S.A.S."), "5e1b7c1a-3f0e-4c59-9c5e-6f2d7a9b1c30", PIN,
                    NumberingRange("SETP", 990000000, 995000000, "18760000001", dt.date(2026, 1, 1),
                                   dt.date(2026, 1, 1), dt.date(2027, 12, 31), KEY))
    assert out.read_bytes() == generate_invoice(issuer, "SETP990000010", NOW)
    out.unlink()
    from_env = run(*args, env={"MINICA_DIAN_PIN": PIN})
    assert from_env.exit_code == 0, from_env.output
    assert out.read_bytes() == generate_invoice(issuer, "SETP990000010", NOW)


def test_nomina_for_the_registered_company(run: Cli, registered: dict, tmp_path: Path) -> None:  # type: ignore[type-arg]
    out = tmp_path / "nomina.xml"
    result = run("--json", "dian", "generate", "--kind", "nomina", "--number", "NI1", "-o", str(out))
    assert result.exit_code == 0, result.output
    made = json.loads(result.stdout)
    assert made["key_scheme"] == "CUNE-SHA384" and f'CUNE="{made["key"]}"'.encode() in out.read_bytes()
    assert registered["software_id"].encode() in out.read_bytes()


@pytest.mark.parametrize(("args", "message"), [
    (("--kind", "invoice", "--number", "SETP1"), "not in the numbering range SETP990000000"),
    (("--kind", "invoice", "--number", "../x"), "is not a prefix"),
    (("--kind", "creditnote", "--number", "NC1"), "must reference the invoice"),
    (("--kind", "nomina", "--number", "NI1", "--lines", "2"), "a nómina has no lines"),
    (("--kind", "debitnote", "--number", "ND1", "--references", "missing.xml"), "does not exist"),
    (("--kind", "invoice", "--number", "SETP990000001", "--technical-key", "abc"), "only with --software-id"),
    (("--kind", "invoice", "--number", "SETP990000001", "--customer-nit", "860001022-1"), "wrong check digit"),
    (("--kind", "invoice", "--number", "SETP990000001", "--nit", "830095213-0"), "no software is registered"),
])
def test_bad_input_is_one_line_exit_2_and_no_file(
    run: Cli, registered: dict, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,  # type: ignore[type-arg]
    args: tuple[str, ...], message: str,
) -> None:
    monkeypatch.chdir(tmp_path)
    before = files_under(tmp_path)
    result = run("dian", "generate", *args)
    assert result.exit_code == 2, result.output
    assert result.stderr.startswith("error: ") and message in result.stderr
    assert result.stderr.count("\n") == 1 and "Traceback" not in result.stderr
    assert files_under(tmp_path) == before


def test_without_registration_or_pin_it_says_what_to_give(run: Cli, tmp_path: Path,
                                                            monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    none = run("dian", "generate", "--kind", "invoice", "--number", "SETP990000001")
    assert none.exit_code == 2 and "no software registrations in this home" in none.stderr
    no_pin = run("dian", "generate", "--kind", "nomina", "--number", "NI1", "--nit", "900373987",
                 "--software-id", "abc", input="")
    assert no_pin.exit_code == 2 and "no software PIN given" in no_pin.stderr
    assert "use --pin-file FILE, set $MINICA_DIAN_PIN" in no_pin.stderr  # not --password-file
    assert files_under(tmp_path) == set()


def test_readme_python_example_runs(tmp_path: Path) -> None:
    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text(encoding="utf-8")
    (example,) = [block for block in re.findall(r"```python\n(.*?)```", readme, flags=re.S)
                  if "minica.dian.generator" in block]
    out = subprocess.run([sys.executable, "-c", example], capture_output=True, text=True, cwd=tmp_path,
                         env={"HOME": str(tmp_path), "PATH": "/usr/bin:/bin"}, timeout=60)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "True ['pass']"
    assert list(tmp_path.iterdir()) == []
