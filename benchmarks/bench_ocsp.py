"""OCSP responder throughput and latency: ``wrk`` POSTing one fixed request to ``minica serve``.

Usage: ``PYTHONPATH=src python benchmarks/bench_ocsp.py [--seconds 10] [--connections 32]``

Makes a throw-away home (CA + one certificate), starts ``minica serve --quiet`` on a free loopback
port, warms the cache with one request (so wrk measures the RFC 5019 pre-signed path: no nonce),
runs wrk for a bounded time, checks every answer was a 200, prints a Markdown table row.
Needs ``wrk`` (Debian: ``apt-get install -y wrk``).
"""

from __future__ import annotations

import argparse
import os
import platform
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

from cryptography.hazmat.primitives import hashes, serialization
from cryptography.x509 import ocsp

from minica.ca.hierarchy import create_authority
from minica.ca.issuance import IssueRequest, issue_certificate
from minica.clock import SystemClock
from minica.identity import Nit
from minica.storage.home import Home

LUA = """
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/ocsp-request"
local f = io.open("{body}", "rb")
wrk.body = f:read("*a")
f:close()
done = function(summary, latency, requests)
  io.write(string.format("P50_US %d\\nP99_US %d\\nMAX_US %d\\nNON2XX %d\\nERRORS %d\\n",
    latency:percentile(50), latency:percentile(99), latency.max,
    summary.errors.status, summary.errors.connect + summary.errors.read + summary.errors.write
    + summary.errors.timeout))
end
"""


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--threads", type=int, default=1)
    args = parser.parse_args()
    if shutil.which("wrk") is None:
        print("wrk is not installed (apt-get install -y wrk)", file=sys.stderr)
        return 2
    work = Path(tempfile.mkdtemp(prefix="minica-bench-ocsp-"))
    home = Home(work / "home")
    clock = SystemClock()
    authority = create_authority(home, now=clock.now(), key_size=2048)
    leaf = issue_certificate(home, IssueRequest(Nit.parse("900373987-9"), "MINICA PRUEBAS S.A.S."),
                             store_password=b"Factura#2026", clock=clock)
    request = (ocsp.OCSPRequestBuilder().add_certificate(leaf.certificate, authority.issuing, hashes.SHA1())
               .build().public_bytes(serialization.Encoding.DER))
    body = work / "request.der"
    body.write_bytes(request)
    script = work / "post.lua"
    script.write_text(LUA.format(body=body))
    port = free_port()
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[1] / "src")}
    server = subprocess.Popen(
        [sys.executable, "-m", "minica", "--home", str(home.root), "serve", "--port", str(port), "--quiet"],
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=env,
    )
    try:
        url = f"http://127.0.0.1:{port}/ocsp"
        deadline = time.monotonic() + 30
        while True:
            try:
                post = urllib.request.Request(url, data=request, headers={"Content-Type": "application/ocsp-request"})
                with urllib.request.urlopen(post, timeout=5) as reply:
                    answer = ocsp.load_der_ocsp_response(reply.read())
                assert answer.certificate_status == ocsp.OCSPCertStatus.GOOD
                break
            except OSError:
                if time.monotonic() > deadline or server.poll() is not None:
                    raise SystemExit("minica serve did not start") from None
                time.sleep(0.1)
        result = subprocess.run(
            ["wrk", f"-t{args.threads}", f"-c{args.connections}", f"-d{args.seconds}s", "--timeout", "5s",
             "-s", str(script), url],
            capture_output=True, text=True, timeout=args.seconds + 60, check=True,
        )
    finally:
        server.send_signal(signal.SIGTERM)
        server.wait(timeout=20)
        shutil.rmtree(work, ignore_errors=True)
    out = result.stdout
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))  # type: ignore[union-attr]
    total = int(re.search(r"(\d+) requests in", out).group(1))  # type: ignore[union-attr]
    stats = dict(re.findall(r"^(P50_US|P99_US|MAX_US|NON2XX|ERRORS) (\d+)$", out, re.M))
    print(out, file=sys.stderr)
    print(f"Python {platform.python_version()}, {os.cpu_count()} cores, wrk -t{args.threads} "
          f"-c{args.connections} -d{args.seconds}s")
    print("| responses | responses/s | p50 | p99 | max | non-2xx | socket errors |")
    print("|---:|---:|---:|---:|---:|---:|---:|")
    print(f"| {total:,} | {rps:,.0f} | {int(stats['P50_US']) / 1000:.2f} ms | {int(stats['P99_US']) / 1000:.2f} ms"
          f" | {int(stats['MAX_US']) / 1000:.2f} ms | {stats['NON2XX']} | {stats['ERRORS']} |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
