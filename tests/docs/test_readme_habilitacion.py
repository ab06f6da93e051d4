"""README's "habilitación from zero in three commands" runs as written: ``minica init && minica issue``,
``minica serve``, ``minica dian habilitacion``, each a real ``minica`` process on an empty home, at a
fixed instant ($MINICA_NOW), the server on a free loopback port."""

from __future__ import annotations

import datetime as dt
import json
import os
import re
import select
import signal
import socket
import subprocess
import sys
import urllib.error
import urllib.request
from pathlib import Path

README = Path(__file__).resolve().parents[2] / "README.md"
NOW = dt.datetime(2026, 11, 22, 9, 0, tzinfo=dt.timezone(dt.timedelta(hours=-5)))
HANG = 120


def _three_commands() -> list[str]:
    text = README.read_text(encoding="utf-8")
    section = text[text.index("### Habilitación from zero in three commands"):]
    block = re.search(r"```sh\n(.*?)```", section, flags=re.S)
    assert block is not None
    return [line for line in block.group(1).splitlines() if line.strip()]


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _wait_for_banner(server: subprocess.Popen[str]) -> str:
    """The banner's first line (serve prints it once it listens), bounded in time."""
    assert server.stderr is not None
    ready, _, _ = select.select([server.stderr], [], [], HANG)
    assert ready, "minica serve printed nothing"
    return server.stderr.readline()


def test_habilitacion_from_zero_in_three_commands(tmp_path: Path) -> None:
    setup, serve, habilitacion = _three_commands()
    assert setup.startswith("minica init && minica issue ")
    assert serve == "minica serve &"
    assert habilitacion.startswith("minica dian habilitacion ")
    (tmp_path / "pw.txt").write_text("Factura#2026\n")
    (tmp_path / "pin.txt").write_text("12345\n")
    port = _free_port()
    env = {**os.environ, "MINICA_HOME": str(tmp_path / "home"), "MINICA_NOW": NOW.isoformat(),
           "PATH": f"{Path(sys.executable).parent}:/usr/bin:/bin"}
    env.pop("MINICA_STORE_PASSWORD", None)

    # The only changes: the CA's base URL and serve's port name a free port (not 8765, which may be
    # taken), and the client polls without pausing (the test never sleeps).
    first = subprocess.run(["bash", "-c", setup.replace("minica init", f"minica init --base-url http://127.0.0.1:{port}")],
                           cwd=tmp_path, env=env, capture_output=True, text=True, timeout=HANG)
    assert first.returncode == 0, first.stderr
    server = subprocess.Popen([*serve.rstrip(" &").split(), "--port", str(port), "--quiet"], cwd=tmp_path, env=env,
                              stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    try:
        assert f"http://127.0.0.1:{port}" in _wait_for_banner(server)
        third = subprocess.run(["bash", "-c", habilitacion + " --poll-interval 0 --json"], cwd=tmp_path, env=env,
                               capture_output=True, text=True, timeout=HANG)
    finally:
        server.send_signal(signal.SIGTERM)
        server.communicate(timeout=HANG)
    assert third.returncode == 0, third.stderr + third.stdout
    report = json.loads(third.stdout)
    assert (report["state"], report["registered"]) == ("aceptado", True)
    assert report["url"] == f"http://127.0.0.1:{port}/dian/habilitacion/WcfDianCustomerServices.svc"
    assert report["dian"]["accepted"] == report["required"] == {"invoices": 30, "credit_notes": 10, "debit_notes": 10}
    assert server.returncode == 0


def test_serve_at_moves_the_local_dians_now(tmp_path: Path) -> None:
    """README: "``serve --at`` moves 'now'" — the local DIAN judges and stamps with that instant."""
    env = {**os.environ, "MINICA_HOME": str(tmp_path / "home"), "PATH": f"{Path(sys.executable).parent}:/usr/bin:/bin"}
    env.pop("MINICA_NOW", None)
    port = _free_port()
    init = subprocess.run(["minica", "init", "--base-url", f"http://127.0.0.1:{port}"], env=env, capture_output=True,
                          text=True, timeout=HANG)
    assert init.returncode == 0, init.stderr
    server = subprocess.Popen(["minica", "serve", "--at", "2026-12-20T10:00:00-05:00", "--port", str(port), "--quiet"],
                              env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    try:
        assert f"http://127.0.0.1:{port}" in _wait_for_banner(server)
        envelope = (b'<s:Envelope xmlns:s="http://www.w3.org/2003/05/soap-envelope"><s:Header/><s:Body>'
                    b'<GetStatus xmlns="http://wcf.dian.colombia"><trackId>abc</trackId></GetStatus></s:Body></s:Envelope>')
        request = urllib.request.Request(f"http://127.0.0.1:{port}/dian/habilitacion/WcfDianCustomerServices.svc",
                                         data=envelope, headers={"Content-Type": "application/soap+xml"})
        try:
            urllib.request.urlopen(request, timeout=HANG)
            raise AssertionError("an unsigned request was answered")
        except urllib.error.HTTPError as exc:
            fault = exc.read()
    finally:
        server.send_signal(signal.SIGTERM)
        server.communicate(timeout=HANG)
    created = re.search(rb"<u:Created>([^<]+)</u:Created>", fault)
    assert created is not None and created.group(1) == b"2026-12-20T15:00:00.000Z", fault
