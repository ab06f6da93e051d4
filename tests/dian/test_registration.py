"""Software registration (issue 12 §3): what DIAN's habilitación portal gives, kept in the home with
the PIN sealed, loadable by NIT for the web service and the document generator."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from support import NOW, Cli

from minica.clock import FixedClock
from minica.dian.registration import (
    RegistrationRequest,
    TestSetQuota,
    load_registration,
    register_software,
    registration_by_software_id,
    registration_by_test_set,
)
from minica.environment import Environment
from minica.errors import InvalidInput, NotFound
from minica.identity import Nit
from minica.storage.database import Database
from minica.storage.home import Home
from minica.storage.recovery import home_transaction

PIN = "75315"


@pytest.fixture
def pin_file(tmp_path: Path) -> Path:
    path = tmp_path / "pin.txt"
    path.write_text(PIN + "\n")
    return path


def test_register_prints_software_id_test_set_range_and_technical_key(run: Cli, home: Home, pin_file: Path) -> None:
    result = run("--json", "dian", "register", "--nit", "900373987-9", "--provider-nit", "830095213-0",
                 "--pin-file", str(pin_file))
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert data["nit"] == "900373987-9" and data["provider_nit"] == "830095213"
    numbering = data["numbering_range"]
    assert (numbering["prefix"], numbering["from_number"], numbering["to_number"]) == ("SETP", 990000000, 995000000)
    assert numbering["resolution_number"] == "18760000001" and len(numbering["technical_key"]) == 64
    assert numbering["valid_from"] == NOW.date().isoformat()
    assert data["test_set_quota"] == {"invoices": 30, "credit_notes": 10, "debit_notes": 10}
    assert PIN not in result.output

    loaded = load_registration(home, "900373987")
    assert (loaded.software_id, loaded.test_set_id, loaded.pin) == (data["software_id"], data["test_set_id"], PIN)
    assert loaded.authorises("830095213") and loaded.authorises("900373987") and not loaded.authorises("1")
    assert registration_by_software_id(home, data["software_id"].upper()) == loaded
    assert registration_by_test_set(home, data["test_set_id"]) == loaded
    assert registration_by_test_set(home, "not-a-uuid") is None


def test_the_pin_is_never_stored_in_clear(home: Home, clock: FixedClock) -> None:
    registration = register_software(home, clock, RegistrationRequest(Nit.parse("900373987"), pin="Pin-2026#x"))
    assert b"Pin-2026#x" not in home.db_path.read_bytes()
    with Database.open(home) as db:
        row = db.connection.execute("SELECT * FROM dian_software").fetchone()
    assert b"Pin-2026#x" not in b"".join(str(v).encode() if not isinstance(v, bytes) else v for v in row)
    assert (home.root / "dian" / "secrets.key").stat().st_mode & 0o777 == 0o600
    assert load_registration(home, "900373987-9").pin == registration.pin == "Pin-2026#x"


def test_quota_and_range_are_configurable(home: Home, clock: FixedClock) -> None:
    request = RegistrationRequest(Nit.parse("900373987"), pin="12345", prefix="PRUE", from_number=1,
                                  to_number=100, quota=TestSetQuota.parse("2/1/0"),
                                  environment=Environment.PRODUCCION)
    registration = register_software(home, clock, request)
    assert registration.numbering.problem("PRUE50") is None
    assert registration.numbering.problem("PRUE101") is not None
    assert registration.numbering.problem("SETP50") is not None
    assert load_registration(home, "900373987", environment=Environment.PRODUCCION).quota == TestSetQuota(2, 1, 0)
    with pytest.raises(NotFound):
        load_registration(home, "900373987", environment=Environment.HABILITACION)


@pytest.mark.parametrize("args, message", [
    (["--nit", "900373987-8"], "wrong check digit"),
    (["--nit", "900373987", "--test-set-quota", "30-10-10"], "INVOICES/CREDIT/DEBIT"),
    (["--nit", "900373987", "--env", "pruebas"], "unknown environment"),
])
def test_bad_input_is_one_line_and_records_nothing(run: Cli, home: Home, pin_file: Path, args: list[str],
                                                    message: str) -> None:
    result = run("dian", "register", *args, "--pin-file", str(pin_file))
    assert result.exit_code == 2
    assert message in result.output and result.output.count("\n") == 1
    assert not (home.root / "dian" / "secrets.key").exists()


def test_a_short_pin_is_refused(run: Cli, tmp_path: Path) -> None:
    short = tmp_path / "short.txt"
    short.write_text("12\n")
    result = run("dian", "register", "--nit", "900373987", "--pin-file", str(short))
    assert result.exit_code == 2 and "PIN" in result.output


def test_an_unregistered_nit_is_not_found(home: Home) -> None:
    with pytest.raises(NotFound, match="minica dian register"):
        load_registration(home, "900373987")
    with pytest.raises(InvalidInput):
        RegistrationRequest(Nit.parse("900373987"), pin="has space")


def test_a_killed_first_registration_leaves_no_pin_key(home: Home, clock: FixedClock) -> None:
    """The PIN key made by a registration that never committed is removed by the next writer."""
    from minica.dian.pin_seal import seal_pin

    with pytest.raises(RuntimeError), home_transaction(home) as write:
        seal_pin(write, "3c11638c-e2e4-470d-945e-095b6c2110e6", "12345")
        write.written.clear()  # as if killed: nothing cleans up
        raise RuntimeError("killed")
    assert (home.root / "dian" / "secrets.key").exists()
    (home.root / ".journal").mkdir(exist_ok=True)
    (home.root / ".journal" / "1-dead.pending").touch()
    with home_transaction(home):
        pass
    assert not (home.root / "dian" / "secrets.key").exists()
