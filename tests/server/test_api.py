"""The JSON API over a real server: issue, list/show, sign (xmlsec1 verifies), verify, check,
revoke, CRL over HTTP; refusals with clear 4xx JSON (wrong password, revoked, no token)."""

from __future__ import annotations

import base64
import os
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from typing import Any

from cryptography import x509
from server_support import RunningServer, call, free_port
from support import NOW, PASSWORD, xmlsec1_verify

from minica.ca.hierarchy import Authority
from minica.storage.home import Home

ROOT = Path(__file__).resolve().parents[2]
HAB = ROOT / "testdata" / "invoice-habilitacion.xml"


def issue(server: RunningServer, nit: str = "900373987-9") -> dict[str, Any]:
    status, body = call(server, "POST", "/api/v1/certificates",
                        {"nit": nit, "name": "MINICA PRUEBAS S.A.S.", "password": PASSWORD})
    assert status == 201, body
    return body  # type: ignore[no-any-return]


def test_sign_over_the_api_and_xmlsec1_verifies(
    server: RunningServer, home: Home, tmp_path: Path
) -> None:
    issued = issue(server)
    assert issued["status"] == "valid" and "stores" not in issued
    status, listed = call(server, "GET", "/api/v1/certificates", token=None)
    assert status == 200 and [c["serial"] for c in listed["certificates"]] == [issued["serial"]]
    status, shown = call(server, "GET", f"/api/v1/certificates/{issued['serial']}", token=None)
    assert status == 200 and x509.load_pem_x509_certificate(shown["certificate_pem"].encode())

    status, signed = call(server, "POST", "/api/v1/sign",
                          {"document": HAB.read_text(encoding="utf-8"), "password": PASSWORD})
    assert status == 200, signed
    assert signed["serial"] == issued["serial"]
    out = tmp_path / "signed.xml"
    out.write_bytes(base64.b64decode(signed["document_base64"]))
    checked = xmlsec1_verify(out, trusted=home.root_cert_path, untrusted=home.issuing_cert_path,
                             at="2026-11-23 12:00:00")
    assert checked.returncode == 0, checked.stderr

    status, verified = call(server, "POST", "/api/v1/verify", {"document_base64": signed["document_base64"]},
                            token=None)
    assert status == 200 and verified["valid"] is True, verified

    status, checked_all = call(server, "GET", "/api/v1/check", token=None)
    assert status == 200 and checked_all["reports"][0]["status"] == "valid"
    status, one = call(server, "POST", "/api/v1/check", {"certificate": shown["certificate_pem"]}, token=None)
    assert status == 200 and one["status"] == "valid"


def test_refusals_are_clear_4xx(server: RunningServer) -> None:
    issued = issue(server)
    document = {"document": HAB.read_text(encoding="utf-8")}

    status, body = call(server, "POST", "/api/v1/sign", {**document, "password": PASSWORD}, token=None)
    assert status == 401 and "bearer token" in body["error"] and body["hint"]
    status, body = call(server, "POST", "/api/v1/sign", {**document, "password": PASSWORD}, token="x" * 30)
    assert status == 401 and "wrong" in body["error"]
    status, body = call(server, "POST", "/api/v1/certificates", {"nit": "900373987-9"}, token=None)
    assert status == 401

    status, body = call(server, "POST", "/api/v1/sign", {**document, "password": "Wrong#Password1"})
    assert status == 403, body
    assert "password" in body["error"]

    status, body = call(server, "POST", f"/api/v1/certificates/{issued['serial']}/revoke",
                        {"reason": "keyCompromise"})
    assert status == 200 and body["status"] == "revoked" and body["revocation_reason"] == "keyCompromise"
    status, body = call(server, "POST", "/api/v1/sign", {**document, "password": PASSWORD})
    assert status == 422, body
    assert "revoked" in body["error"] and body["hint"]
    status, body = call(server, "POST", f"/api/v1/certificates/{issued['serial']}/revoke", {})
    assert status == 409 and "already revoked" in body["error"]

    status, crl_der = call(server, "GET", "/crl/issuing.crl", token=None)
    crl = x509.load_der_x509_crl(crl_der)
    assert crl.get_revoked_certificate_by_serial_number(int(issued["serial"], 16)) is not None

    for path, payload, expected, fragment in [
        ("/api/v1/certificates", {"nit": "900373987-1", "name": "X", "password": PASSWORD}, 422, "check digit"),
        ("/api/v1/certificates", {"nit": 900373987, "name": "X", "password": PASSWORD}, 422, "'nit' must be"),
        ("/api/v1/certificates", {"nit": "900373987-9", "name": "X", "password": "short"}, 422, ""),
        ("/api/v1/certificates/ABCDEF/revoke", {}, 404, "no certificate"),
        ("/api/v1/sign", {"password": PASSWORD}, 422, "document"),
    ]:
        status, body = call(server, "POST", path, payload)
        assert status == expected, (path, body)
        assert fragment in body["error"] or fragment in body["hint"]


def test_ca_files_and_openapi(server: RunningServer, authority: Authority) -> None:
    status, der = call(server, "GET", "/ca/issuing.crt", token=None)
    assert status == 200 and x509.load_der_x509_certificate(der) == authority.issuing
    status, pem = call(server, "GET", "/ca/root.pem", token=None)
    assert x509.load_pem_x509_certificate(pem) == authority.root
    status, spec = call(server, "GET", "/api/v1/openapi.json", token=None)
    assert status == 200 and spec["openapi"].startswith("3.")
    for path in ("/ocsp", "/api/v1/sign", "/api/v1/certificates", "/crl/issuing.crl"):
        assert path in spec["paths"]
    status, body = call(server, "GET", "/nothing/here", token=None)
    assert status == 404 and body["error"]


def test_serve_command_logs_each_request_and_stops_on_sigterm(authority: Authority, home: Home,
                                                             tmp_path: Path) -> None:
    port = free_port()
    token_file = tmp_path / "token"
    env = {**os.environ, "PYTHONPATH": str(ROOT / "src")}
    proc = subprocess.Popen(
        [sys.executable, "-m", "minica", "--home", str(home.root), "--at", NOW.isoformat(), "serve",
         "--port", str(port), "--token-file", str(token_file)],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env,
    )
    try:
        deadline = time.monotonic() + 20
        while True:
            assert proc.poll() is None, proc.communicate(timeout=5)
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/ca/root.crt", timeout=2) as reply:
                    assert reply.status == 200
                break
            except OSError:
                assert time.monotonic() < deadline, "serve did not answer within 20 s"
                time.sleep(0.1)
        assert token_file.stat().st_mode & 0o777 == 0o600 and len(token_file.read_text().strip()) >= 32
    finally:
        proc.send_signal(signal.SIGTERM)
        _out, err = proc.communicate(timeout=20)
    assert proc.returncode == 0, err
    assert "GET /ca/root.crt 200" in err
    assert token_file.read_text().strip() not in err  # the token file's token is not printed
    assert "stopped" in err
