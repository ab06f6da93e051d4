"""``minica dian send`` and ``minica dian status`` against the local DIAN: each document's answer
printed (status, rules, the ApplicationResponse saved beside it) and in JSON; a test set sent together
and followed by its ZipKey; bad input refused before anything is sent."""

from __future__ import annotations

import datetime as dt
import json
import shlex
import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest
from dian_kit import Served
from lxml import etree
from support import NOW, PASSWORD, Cli

from minica.ca.issuance import IssueRequest, issue_certificate
from minica.clock import COLOMBIA, FixedClock
from minica.dian.generator import generate_credit_note, generate_invoice, generate_nomina
from minica.dian.registration import RegistrationRequest, SoftwareRegistration, register_software
from minica.identity import Nit
from minica.signing import namespaces as ns
from minica.storage.home import Home


@pytest.fixture
def documents(tmp_path: Path, registration: SoftwareRegistration, sign: Callable[[bytes], bytes]) -> list[Path]:
    invoice = generate_invoice(registration, "SETP990000001", NOW)
    wrong = etree.fromstring(generate_invoice(registration, "SETP990000002", NOW))
    wrong.find(f"{{{ns.CBC}}}UUID").text = "0" * 96
    files = {
        "SETP990000001.signed.xml": sign(invoice),
        "SETP990000002.xml": sign(etree.tostring(wrong, xml_declaration=True, encoding="UTF-8")),
        "NC1.xml": sign(generate_credit_note(registration, "NC1", NOW, invoice=invoice)),
        "NI1.xml": sign(generate_nomina(registration, "NI1", NOW)),
    }
    for name, data in files.items():
        (tmp_path / name).write_bytes(data)
    return [tmp_path / name for name in files]


def test_send_prints_each_answer_and_saves_dians_application_response(run: Cli, served: Served,
                                                                      documents: list[Path],
                                                                      password_file: Path) -> None:
    result = run("dian", "send", *map(str, documents), "--url", served.endpoint(), "--password-file",
                 str(password_file))
    assert result.exit_code == 1  # one document is rejected
    out = result.stdout
    assert f"{documents[0]}  00 Procesado Correctamente. — accepted" in out
    assert f"{documents[1]}  99 Validación contiene errores en campos mandatorios. — rejected" in out
    assert "Regla: FAD06, Rechazo: Valor del CUFE no está calculado correctamente" in out
    assert "3 accepted, 1 rejected (4 answered of 4)" in out
    saved = [d.with_name(d.name.split(".")[0] + ".application-response.xml") for d in documents]
    assert f"ApplicationResponse → {saved[0]}" in out
    for path in saved:
        root = etree.parse(str(path)).getroot()
        assert etree.QName(root).localname == "ApplicationResponse"
    assert result.stderr == ""


def test_send_json_and_status(run: Cli, served: Served, documents: list[Path], password_file: Path,
                              tmp_path: Path) -> None:
    result = run("--json", "dian", "send", str(documents[0]), "--url", served.endpoint(), "--password-file",
                 str(password_file))
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert (data["environment"], data["all_accepted"], data["not_sent"], data["error"]) == (
        "habilitacion", True, [], None)
    [document] = data["documents"]
    assert (document["file"], document["status_code"], document["is_valid"], document["rules"]) == (
        str(documents[0]), "00", True, [])
    assert document["application_response"].endswith("SETP990000001.application-response.xml")

    asked = run("--json", "dian", "status", document["document_key"], "--url", served.endpoint(),
                "--password-file", str(password_file), "--out-dir", str(tmp_path / "answers"))
    assert asked.exit_code == 0, asked.output
    status = json.loads(asked.stdout)
    assert status["operation"] == "GetStatus"
    assert [d["status_code"] for d in status["documents"]] == ["00"]
    assert Path(status["documents"][0]["application_response"]).is_file()

    unknown = run("dian", "status", "f" * 96, "--url", served.endpoint(), "--password-file", str(password_file))
    assert unknown.exit_code == 1
    assert "66 TrackId no existe en los registros de la DIAN." in unknown.stdout


def test_send_a_test_set_together_and_follow_its_zipkey(run: Cli, served: Served, documents: list[Path],
                                                       password_file: Path,
                                                       registration: SoftwareRegistration) -> None:
    bills = documents[:3]
    result = run("--json", "dian", "send", *map(str, bills), "--test-set", registration.test_set_id, "--url",
                 served.endpoint(), "--password-file", str(password_file), "--poll-interval", "0")
    assert result.exit_code == 1  # the wrong CUFE
    data = json.loads(result.stdout)
    [zip_key] = data["zip_keys"]
    assert data["pending"] == [] and data["not_sent"] == []
    assert [(d["file"], d["status_code"]) for d in data["documents"]] == [
        (str(bills[0]), "00"), (str(bills[1]), "99"), (str(bills[2]), "00")]

    asked = run("--json", "dian", "status", zip_key, "--url", served.endpoint(), "--password-file",
                str(password_file))
    status = json.loads(asked.stdout)
    assert status["operation"] == "GetStatusZip"
    assert [d["status_code"] for d in status["documents"]] == ["00", "99", "00"]
    assert asked.exit_code == 1

    testset = json.loads(run("--json", "dian", "testset", "status", "--nit", "900373987").stdout)
    assert (testset["status"], testset["total_accepted"], testset["total_rejected"]) == ("rechazado", 2, 1)


def test_bad_input_is_refused_before_anything_is_sent(run: Cli, documents: list[Path], password_file: Path,
                                                      registration: SoftwareRegistration) -> None:
    url = "http://127.0.0.1:9/dian/habilitacion/WcfDianCustomerServices.svc"  # nothing is sent: no server
    options = ("--url", url, "--password-file", str(password_file))
    nomina = run("dian", "send", str(documents[3]), "--test-set", registration.test_set_id, *options)
    assert nomina.exit_code == 2 and "the test set takes invoices, credit and debit notes" in nomina.stderr
    missing = run("dian", "send", "nowhere.xml", *options)
    assert missing.exit_code == 2 and "does not exist" in missing.stderr
    bad_url = run("dian", "send", str(documents[0]), "--url", "ftp://dian", "--password-file", str(password_file))
    assert bad_url.exit_code == 2 and "is not an http(s) URL" in bad_url.stderr
    not_mine = run("dian", "send", str(documents[0]), "--nit", "830095213-0", *options)
    assert not_mine.exit_code == 2 and "no certificate for NIT 830095213-0" in not_mine.stderr


def test_a_batch_still_being_validated_is_reported_pending(run: Cli, serve: Callable[..., Served],
                                                           documents: list[Path], password_file: Path,
                                                           registration: SoftwareRegistration) -> None:
    slow = serve(dian_batch_delay=3600.0)
    options = ("--url", slow.endpoint(), "--password-file", str(password_file))
    sent = run("dian", "send", str(documents[0]), "--test-set", registration.test_set_id, "--wait", "0", *options)
    assert sent.exit_code == 1 and sent.stderr == ""
    [line] = [x for x in sent.stdout.splitlines() if "still being validated" in x]
    zip_key = line.split()[-1]
    assert line == f"batch {zip_key} is still being validated: minica dian status {zip_key}"
    assert "0 accepted, 0 rejected (0 answered of 1)" in sent.stdout
    assert not documents[0].with_name("SETP990000001.application-response.xml").exists()

    asked = run("dian", "status", zip_key, *options)
    assert asked.exit_code == 1
    assert f"{zip_key}  98 En Proceso — still being validated" in asked.stdout
    assert "Batch en proceso de validación." in asked.stdout


def test_an_upload_dian_refuses_is_one_error_and_nothing_is_sent(run: Cli, served: Served, documents: list[Path],
                                                                 password_file: Path) -> None:
    unknown = "0b5ece9d-6496-4aed-9e86-01f8844ff724"
    result = run("--json", "dian", "send", str(documents[0]), "--test-set", unknown, "--url", served.endpoint(),
                 "--password-file", str(password_file))
    assert result.exit_code == 1
    assert result.stderr.strip() == (f"error: DIAN refused the test-set batch: El testSetId '{unknown}' no existe. —"
                                     " check --test-set (the TestSetId of the registered software) and --env")
    data = json.loads(result.stdout)
    assert (data["zip_keys"], data["not_sent"]) == ([], [str(documents[0])])


def test_envelope_out_writes_the_signed_request_that_readmes_curl_posts(run: Cli, served: Served,
                                                                        documents: list[Path],
                                                                        password_file: Path) -> None:
    """README's curl example, exactly: ``--envelope-out`` writes the WS-Security signed request
    (nothing sent), and curl posting it gets DIAN's answer."""
    envelope = documents[0].with_name("envelope.xml")
    written = run("--json", "dian", "send", str(documents[0]), "--envelope-out", str(envelope), "--url",
                  served.endpoint(), "--password-file", str(password_file))
    assert written.exit_code == 0, written.output
    data = json.loads(written.stdout)
    assert (data["operation"], data["url"], data["envelope"]) == ("SendBillSync", served.endpoint(), str(envelope))
    assert data["expires"] == (NOW + dt.timedelta(minutes=5)).astimezone(COLOMBIA).isoformat(timespec="seconds")
    assert not documents[0].with_name("SETP990000001.application-response.xml").exists()
    received = run("--json", "dian", "documents")
    assert json.loads(received.stdout)["documents"] == []  # nothing was sent

    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text(encoding="utf-8")
    line = next(x for x in readme.splitlines() if x.startswith("curl ") and "@envelope.xml" in x)
    command = shlex.split(line.split("#")[0].replace('"$DIAN"', served.endpoint()))
    posted = subprocess.run(command, cwd=envelope.parent, capture_output=True, timeout=60, check=True)
    root = etree.fromstring(posted.stdout)
    result = root.find(".//{http://wcf.dian.colombia}SendBillSyncResult")
    d = "{http://schemas.datacontract.org/2004/07/DianResponse}"
    assert (result.findtext(f"{d}StatusCode"), result.findtext(f"{d}IsValid")) == ("00", "true")
    assert subprocess.run(shlex.split(data["curl"]), cwd=envelope.parent, capture_output=True, timeout=60,
                          check=True).stdout.count(b"Documento procesado anteriormente.") == 1  # the same, again

    both = run("dian", "send", *map(str, documents[:2]), "--envelope-out", str(envelope), "--url", served.endpoint(),
               "--password-file", str(password_file))
    assert both.exit_code == 2 and "one document sent alone" in both.stderr


def test_status_signs_with_the_one_company_that_has_a_certificate(run: Cli, served: Served, home: Home,
                                                                   clock: FixedClock, password_file: Path,
                                                                   registration: SoftwareRegistration) -> None:
    """``dian status`` names no document: the only company with a usable certificate signs, however many
    software registrations the home holds; with two such companies it asks which."""
    register_software(home, clock, RegistrationRequest(Nit.parse("860001022-7"), pin="54321"))  # no certificate
    options = ("--url", served.endpoint(), "--password-file", str(password_file))
    unknown = run("dian", "status", "f" * 96, *options)
    assert unknown.exit_code == 1 and "66 TrackId no existe" in unknown.stdout, unknown.output

    issue_certificate(home, IssueRequest(Nit.parse("860001022-7"), "OTRA EMPRESA S.A.S."),
                      store_password=PASSWORD.encode(), clock=clock)
    two = run("dian", "status", "f" * 96, *options)
    assert two.exit_code == 2
    assert two.stderr.strip() == ("error: 2 companies have a certificate in the habilitacion store (860001022-7, "
                                  "900373987-9) — give --nit: whose certificate signs the request")
    chosen = run("dian", "status", "f" * 96, "--nit", "860001022-7", *options)
    assert chosen.exit_code == 1 and "66 TrackId no existe" in chosen.stdout
