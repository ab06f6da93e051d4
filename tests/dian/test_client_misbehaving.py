"""The client against a DIAN that misbehaves — no answer in time, a SOAP Fault, HTTP 500, bytes that
are not XML or not SOAP, no server at all: one clear error line (exit status 1), no ApplicationResponse
written, the document listed as not sent; and ``minica dian habilitacion`` marks nothing as sent, then
finishes the set against the real local DIAN without sending anything twice."""

from __future__ import annotations

import json
import socket
import threading
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from dian_kit import Served
from support import NOW, Cli

from minica.clock import FixedClock
from minica.dian.generator import generate_invoice
from minica.dian.registration import RegistrationRequest, SoftwareRegistration, TestSetQuota, register_software
from minica.identity import Nit
from minica.storage.home import Home

FAULT = (b'<s:Envelope xmlns:s="http://www.w3.org/2003/05/soap-envelope"><s:Body><s:Fault><s:Code><s:Value>'
         b's:Receiver</s:Value></s:Code><s:Reason><s:Text xml:lang="es-CO">Servicio en mantenimiento</s:Text>'
         b'</s:Reason></s:Fault></s:Body></s:Envelope>')
#: mode → (HTTP status, content type, body)
ANSWERS = {
    "fault": (500, "application/soap+xml; charset=utf-8", FAULT),
    "http500": (500, "text/html", b"<html><body>Internal Server Error</body></html>"),
    "malformed": (200, "application/soap+xml; charset=utf-8",
                  b'<s:Envelope xmlns:s="http://www.w3.org/2003/05/soap-envelope"><s:Body><SendBillSyncResp'),
    "not-soap": (200, "text/xml", b"<html><body>Bienvenido</body></html>"),
    "empty": (200, "application/soap+xml", b""),
}
#: mode → what the one error line says
ERRORS = {
    "hang": "no answer from", "fault": "refused the request (SOAP Fault s:Receiver): Servicio en mantenimiento",
    "http500": "answered HTTP 500 Internal Server Error without a SOAP Fault",
    "malformed": "answered HTTP 200 OK with bytes that are not well-formed XML",
    "not-soap": "answered HTTP 200 OK with <html>, not a SOAP Envelope",
    "empty": "answered HTTP 200 OK with an empty body",
    "refused": "cannot reach",
}


class Misbehaving:
    """A tiny HTTP server on loopback answering every POST the way ``mode`` says ("hang": nothing,
    until the test ends)."""

    def __init__(self) -> None:
        self.mode = "fault"
        self.requests = 0
        self.release = threading.Event()
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 - http.server's name
                self.rfile.read(int(self.headers.get("Content-Length", "0")))
                outer.requests += 1
                if outer.mode == "hang":
                    outer.release.wait(30)
                    return
                status, content_type, body = ANSWERS[outer.mode]
                self.send_response(status)
                self.send_header("Content-Type", content_type)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *_args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/dian/habilitacion/WcfDianCustomerServices.svc"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def stop(self) -> None:
        self.release.set()
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(timeout=30)


@pytest.fixture
def misbehaving() -> Iterator[Misbehaving]:
    server = Misbehaving()
    yield server
    server.stop()


def _closed_port_url() -> str:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    return f"http://127.0.0.1:{port}/dian/habilitacion/WcfDianCustomerServices.svc"


@pytest.fixture
def invoice(tmp_path: Path, registration: SoftwareRegistration, sign: Callable[[bytes], bytes]) -> Path:
    path = tmp_path / "SETP990000001.xml"
    path.write_bytes(sign(generate_invoice(registration, "SETP990000001", NOW)))
    return path


def _error_lines(stderr: str) -> list[str]:
    return [line for line in stderr.splitlines() if line.strip()]


@pytest.mark.parametrize("mode", ["hang", "fault", "http500", "malformed", "not-soap", "empty", "refused"])
def test_send_says_what_went_wrong_in_one_line_and_marks_nothing_sent(run: Cli, misbehaving: Misbehaving,
                                                                      invoice: Path, password_file: Path,
                                                                      mode: str) -> None:
    misbehaving.mode = mode
    url = _closed_port_url() if mode == "refused" else misbehaving.url
    result = run("--json", "dian", "send", str(invoice), "--url", url, "--password-file", str(password_file),
                 "--timeout", "0.5")
    assert result.exit_code == 1
    lines = _error_lines(result.stderr)
    assert len(lines) == 1 and lines[0].startswith("error: ") and ERRORS[mode] in lines[0], result.stderr
    assert " — " in lines[0] and "Traceback" not in result.output
    data = json.loads(result.stdout)
    assert data["not_sent"] == [str(invoice)]
    assert (data["documents"], data["all_accepted"]) == ([], False)
    assert sorted(p.name for p in invoice.parent.iterdir() if p.suffix == ".xml") == [invoice.name]
    assert misbehaving.requests == (0 if mode == "refused" else 1)


def test_status_says_what_went_wrong(run: Cli, misbehaving: Misbehaving, company: object,
                                     password_file: Path) -> None:
    misbehaving.mode = "fault"
    result = run("dian", "status", "a" * 96, "--nit", "900373987-9", "--url", misbehaving.url,
                 "--password-file", str(password_file))
    assert result.exit_code == 1
    assert _error_lines(result.stderr) == [
        f"error: {misbehaving.url} refused the request (SOAP Fault s:Receiver): Servicio en mantenimiento — "
        "nothing was received; fix what it says and send again"]


@pytest.fixture
def small_set(home: Home, clock: FixedClock, company: object) -> SoftwareRegistration:
    return register_software(home, clock, RegistrationRequest(Nit.parse("900373987-9"), pin="12345",
                                                              quota=TestSetQuota(2, 1, 1)))


@pytest.mark.parametrize("mode", ["hang", "http500", "malformed"])
def test_habilitacion_marks_nothing_sent_then_finishes_without_sending_twice(
        run: Cli, misbehaving: Misbehaving, served: Served, small_set: SoftwareRegistration, password_file: Path,
        home: Home, mode: str) -> None:
    misbehaving.mode = mode
    options = ["--password-file", str(password_file), "--poll-interval", "0", "--timeout", "0.5"]
    failed = run("--json", "dian", "habilitacion", "--url", misbehaving.url, *options)
    assert failed.exit_code == 1
    lines = _error_lines(failed.stderr)
    assert len(lines) == 1 and lines[0].startswith("error: ") and ERRORS[mode] in lines[0], failed.stderr
    report = json.loads(failed.stdout)
    assert [d["state"] for d in report["documents"]] == ["signed"] * 4
    assert [d["attempts"] for d in report["documents"]] == [1] * 4
    assert report["sent"] == {"invoice": 0, "creditnote": 0, "debitnote": 0}
    journal = json.loads((Path(report["folder"]) / "journal.json").read_text())
    assert [e["state"] for e in journal["entries"]] == ["signed"] * 4

    done = run("--json", "dian", "habilitacion", "--url", served.endpoint(), *options[:-2])
    assert done.exit_code == 0, done.output
    finished = json.loads(done.stdout)
    assert finished["state"] == "aceptado"
    assert [d["number"] for d in finished["documents"]] == [d["number"] for d in report["documents"]]
    assert finished["dian"]["accepted"] == {"invoices": 2, "credit_notes": 1, "debit_notes": 1}
    assert finished["dian"]["total_rejected"] == 0
    received = json.loads(run("--json", "dian", "documents", "--test-set-id", small_set.test_set_id).stdout)
    assert len(received["documents"]) == 4  # each document reached DIAN once
