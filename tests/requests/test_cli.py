"""``minica request …`` through click's CliRunner, travelling in time with ``--at``."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from click.testing import CliRunner
from request_support import FORM, STORE_PASSWORD

from minica.ca.requests.outbox import read_message
from minica.cli.main import cli
from minica.cli.request import request as request_group

if "request" not in cli.commands:  # until the lead registers the group in minica.cli.main
    cli.add_command(request_group)


@pytest.fixture
def run(ca_home, tmp_path: Path):
    runner = CliRunner()

    def invoke(*args: str, at: str = "2026-11-02T10:00", ok: bool = True, env: dict[str, str] | None = None):
        result = runner.invoke(cli, ["--home", str(ca_home.root), "--at", at, *args], env=env)
        if ok:
            assert result.exit_code == 0, result.output
        return result

    return invoke


def _file(tmp_path: Path, run) -> str:
    (tmp_path / "request.json").write_text(json.dumps(FORM), encoding="utf-8")
    (tmp_path / "pw.txt").write_text(STORE_PASSWORD + "\n")
    result = run("request", "new", "--from-file", str(tmp_path / "request.json"),
                 "--password-file", str(tmp_path / "pw.txt"), "--json")  # fmt: skip
    return json.loads(result.output)["radicado"]


def test_cli_walks_the_whole_process(run, tmp_path: Path, pdf_file: Path):
    radicado = _file(tmp_path, run)
    assert re.fullmatch(r"[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[0-9a-f]{4}-[0-9a-f]{12}", radicado)
    outbox = json.loads(run("request", "outbox", "--json").output)
    welcome = read_message(Path(outbox[0]["file"])).get_content()
    user = re.search(r"Usuario: (\S+)", welcome).group(1)
    (tmp_path / "tmp.txt").write_text(re.search(r"Contraseña temporal: (\S+)", welcome).group(1))
    (tmp_path / "new.txt").write_text("Plataforma#1")
    run("request", "login", radicado, "--user", user, "--password-file", str(tmp_path / "tmp.txt"),
        "--new-password-file", str(tmp_path / "new.txt"))  # fmt: skip
    for kind in ("rut", "camara_comercio", "documento_identidad"):
        run("request", "attach", radicado, str(pdf_file), "--kind", kind)
    run("request", "section", radicado, "solicitante", "--set", "email=compras@acme.example.co")
    for name in ("empresa", "representante", "documentos"):
        run("request", "section", radicado, name)
    run("request", "finalize", radicado)
    refused = run("request", "section", radicado, "empresa", ok=False)
    assert refused.exit_code == 1 and "locked" in refused.output
    approved = json.loads(run("request", "approve", radicado, "--json", at="2026-11-04T09:00").output)
    assert set(approved["stores"]) == {"habilitacion", "produccion"}
    view = json.loads(run("request", "show", radicado, "--json").output)
    assert view["radicado"] == radicado and view["status"] == "aprobada"
    assert view["progress"]["done"] == 4 and len(view["documents"]) == 3
    assert all(h["at"] for h in view["history"])
    human = run("request", "show", radicado).output
    assert "[####################] 4/4" in human and "aprobada" in human
    listed = json.loads(run("request", "list", "--json").output)
    assert [r["radicado"] for r in listed] == [radicado]


def test_cli_form_errors_are_one_line_naming_every_field(run, tmp_path: Path):
    bad = {**FORM, "nit": "900373987-1", "telefono_movil": "123"}
    (tmp_path / "bad.json").write_text(json.dumps(bad))
    (tmp_path / "pw.txt").write_text("debil")
    result = run("request", "new", "--from-file", str(tmp_path / "bad.json"),
                 "--password-file", str(tmp_path / "pw.txt"), ok=False)  # fmt: skip
    assert result.exit_code == 2
    line = result.output.strip()
    assert line.startswith("error: the request form has 3 problems") and "\n" not in line
    assert "NIT" in line and "teléfono móvil" in line and "contraseña" in line


def test_cli_tick_applies_reminders_once(run, tmp_path: Path, pdf_file: Path, ca_home):
    from request_support import complete, filed_and_signed_in

    from minica.ca.requests.form import validate_form

    filed = filed_and_signed_in(ca_home, validate_form(FORM))
    complete(ca_home, filed.radicado, pdf_file)
    run("request", "reject", filed.radicado, "--reason", "Falta la firma", at="2026-11-02T15:00")
    first = run("request", "tick", at="2026-11-20T08:00").output
    assert "recordatorio_dia_3" in first and "aviso_caducidad" in first and "caducada" in first
    assert all(line.endswith("-05:00)") for line in first.strip().splitlines()), first  # Colombian, not UTC
    assert run("request", "tick", at="2026-11-21T08:00").output.strip() == "nothing due"
    shown = json.loads(run("request", "show", filed.radicado, "--json", at="2026-11-21T08:00").output)
    assert shown["status"] == "caducada"


def test_cli_smtp_setting(run):
    assert "off" in run("request", "smtp").output
    run("request", "smtp", "--host", "127.0.0.1", "--port", "2525")
    assert "127.0.0.1:2525" in run("request", "smtp").output
    run("request", "smtp", "--off")
