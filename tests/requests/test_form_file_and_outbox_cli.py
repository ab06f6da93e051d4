"""Issue 11 §4 at the command line: the shipped ``testdata/solicitud.json`` files a request and
the README documents each of its keys; a misspelt key is one short error naming the closest valid
key; ``request outbox --show ID`` prints an e-mail's decoded text."""

from __future__ import annotations

import datetime as dt
import json
import re
from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from request_support import STORE_PASSWORD

from minica.ca.requests import form as request_form
from minica.cli.main import cli
from minica.storage.home import Home

ROOT = Path(__file__).resolve().parents[2]
SOLICITUD = ROOT / "testdata" / "solicitud.json"


@pytest.fixture
def run(ca_home: Home, tmp_path: Path):  # type: ignore[no-untyped-def]
    (tmp_path / "pw.txt").write_text(STORE_PASSWORD + "\n")

    def invoke(*args: str) -> Result:
        return CliRunner().invoke(cli, ["--home", str(ca_home.root), "--at", "2026-11-02T10:00", *args])

    return invoke


def test_the_shipped_solicitud_files_a_request_and_every_key_is_documented(run, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    keys = json.loads(SOLICITUD.read_text(encoding="utf-8"))
    assert set(keys) == set(request_form.FIELDS)
    filed = run("request", "new", "--from-file", str(SOLICITUD), "--password-file", str(tmp_path / "pw.txt"), "--json")
    assert filed.exit_code == 0, filed.output
    assert json.loads(filed.output)["status"] == "radicada"
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    documented = set(re.findall(r"^\| `(\w+)` \|", readme, flags=re.M))
    assert set(request_form.FIELDS) <= documented
    assert all(f"`{code}`" in readme for code in request_form.CODE_FIELDS)


def test_a_misspelt_key_is_one_short_error_with_the_closest_valid_key(run, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    data = json.loads(SOLICITUD.read_text(encoding="utf-8"))
    data["razon_socal"] = data.pop("razon_social")
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps(data), encoding="utf-8")
    result = run("request", "new", "--from-file", str(bad), "--password-file", str(tmp_path / "pw.txt"))
    assert result.exit_code == 2
    assert result.output.count("\n") == 1 and len(result.output) < 200, result.output
    assert "razon_socal: unknown field; did you mean 'razon_social'?" in result.output
    data["password"] = STORE_PASSWORD
    bad.write_text(json.dumps(data), encoding="utf-8")
    secret = run("request", "new", "--from-file", str(bad), "--password-file", str(tmp_path / "pw.txt"))
    assert secret.exit_code == 2 and "holds a keystore password" in secret.output
    assert STORE_PASSWORD not in secret.output


def test_outbox_show_prints_an_emails_decoded_text(run, tmp_path: Path, ca_home: Home) -> None:  # type: ignore[no-untyped-def]
    assert run("request", "new", "--from-file", str(SOLICITUD), "--password-file", str(tmp_path / "pw.txt")
               ).exit_code == 0  # fmt: skip
    raw = next((ca_home.root / "outbox").glob("*.eml")).read_bytes()
    assert b"Contrase=C3=B1a temporal" in raw  # quoted-printable on disk
    listed = run("request", "outbox")
    assert "--show ID" in listed.output
    number = listed.output.split()[0]
    shown = run("request", "outbox", "--show", number)
    assert shown.exit_code == 0, shown.output
    assert "Contraseña temporal: " in shown.output and "Subject: " in shown.output and "=C3=B1" not in shown.output
    as_json = json.loads(run("request", "outbox", "--show", number, "--json").output)
    assert "Contraseña temporal: " in as_json["text"] and as_json["id"] == int(number)
    missing = run("request", "outbox", "--show", "999")
    assert missing.exit_code == 2 and "no e-mail number 999" in missing.output


@pytest.mark.parametrize("base_url", [None, "http://127.0.0.1:9311"])
def test_the_welcome_link_opens_the_platform_on_the_homes_server(tmp_path: Path, base_url: str | None) -> None:
    """The welcome e-mail linked to http://127.0.0.1:8000/plataforma?…, the wrong port and a 404: the
    link is built from the home's base URL (``init --base-url``, default :8765), and that server
    answers it with the platform's sign-in page for the request."""
    from starlette.testclient import TestClient

    from minica.clock import FixedClock
    from minica.server.app import ServerSettings, create_app

    home = Home(tmp_path / "home")
    (tmp_path / "pw.txt").write_text(STORE_PASSWORD + "\n")

    def invoke(*args: str) -> Result:
        return CliRunner().invoke(cli, ["--home", str(home.root), "--at", "2026-11-02T10:00", *args])

    assert invoke("init", *(["--base-url", base_url] if base_url else [])).exit_code == 0
    filed = invoke("request", "new", "--from-file", str(SOLICITUD), "--password-file", str(tmp_path / "pw.txt"),
                   "--json")
    radicado = json.loads(filed.output)["radicado"]
    shown = invoke("request", "outbox", "--show", "1").output
    link = re.search(r"Enlace: (\S+)", shown)
    assert link is not None, shown
    expected = base_url or "http://127.0.0.1:8765"
    assert link.group(1) == f"{expected}/plataforma?radicado={radicado}"
    clock = FixedClock(dt.datetime(2026, 11, 2, 15, 0, tzinfo=dt.timezone.utc))
    page = TestClient(create_app(ServerSettings(home=home, clock=clock, token="t" * 32)), base_url=expected)
    answer = page.get(link.group(1).removeprefix(expected))
    assert answer.status_code == 200 and radicado in answer.text
