"""The local DIAN under load: SendBillSync of a small invoice with 4 concurrent clients on loopback,
beside the cost of ``verify_document`` alone on the same document.

    PYTHONPATH=src python benchmarks/bench_dian_sendbill.py [--requests 400] [--clients 4]

A temporary home with a CA, a company certificate and a registered software; a real ``minica serve``
(uvicorn with minica's limits, the worker pool at its default size) on 127.0.0.1. Every request is a
different invoice (its own number and CUFE), signed beforehand, in an envelope whose WS-Security
signature is made beforehand too, so the clients' CPU goes to HTTP only. Each client is a thread
with one kept-alive connection. Reported: documents per second, and p50/p99 latency of one
SendBillSync (WS-Security check, unzip, full verification with CUFE, DIAN's signed
ApplicationResponse, one SQLite commit), next to ``verify_document`` alone (the floor the service
cannot go below, as it runs it for each document).
"""

from __future__ import annotations

import argparse
import base64
import datetime as dt
import hashlib
import http.client
import io
import re
import statistics
import sys
import tempfile
import threading
import time
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT / "src")]

from cryptography.hazmat.primitives import hashes, serialization  # noqa: E402
from cryptography.hazmat.primitives.asymmetric import padding  # noqa: E402
from lxml import etree  # noqa: E402

NOW = dt.datetime(2026, 11, 22, 14, 0, tzinfo=dt.timezone.utc)
PASSWORD = b"Factura#2026"
WSU = "http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-utility-1.0.xsd"
WSSE = "http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-secext-1.0.xsd"
TOKEN_TYPE = "http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-x509-token-profile-1.0#X509v3"
EXC = "http://www.w3.org/2001/10/xml-exc-c14n#"


def _envelope(endpoint: str, content: bytes, key, cert_der: bytes) -> bytes:  # type: ignore[no-untyped-def]
    stamp = "%Y-%m-%dT%H:%M:%S.000Z"
    text = f"""<s:Envelope xmlns:s="http://www.w3.org/2003/05/soap-envelope" \
xmlns:a="http://www.w3.org/2005/08/addressing" xmlns:u="{WSU}"><s:Header><a:Action>http://wcf.dian.colombia/IWcfDianCustomerServices/SendBillSync</a:Action>\
<a:To u:Id="to">{endpoint}</a:To><o:Security xmlns:o="{WSSE}"><u:Timestamp u:Id="ts"><u:Created>\
{NOW.strftime(stamp)}</u:Created><u:Expires>{(NOW + dt.timedelta(minutes=5)).strftime(stamp)}</u:Expires>\
</u:Timestamp><o:BinarySecurityToken u:Id="x509" ValueType="{TOKEN_TYPE}">{base64.b64encode(cert_der).decode()}\
</o:BinarySecurityToken><ds:Signature xmlns:ds="http://www.w3.org/2000/09/xmldsig#"><ds:SignedInfo>\
<ds:CanonicalizationMethod Algorithm="{EXC}"/><ds:SignatureMethod \
Algorithm="http://www.w3.org/2001/04/xmldsig-more#rsa-sha256"/><ds:Reference URI="#to"><ds:Transforms>\
<ds:Transform Algorithm="{EXC}"/></ds:Transforms><ds:DigestMethod Algorithm="http://www.w3.org/2001/04/xmlenc#sha256"/>\
<ds:DigestValue/></ds:Reference></ds:SignedInfo><ds:SignatureValue/><ds:KeyInfo><o:SecurityTokenReference>\
<o:Reference URI="#x509" ValueType="{TOKEN_TYPE}"/></o:SecurityTokenReference></ds:KeyInfo></ds:Signature>\
</o:Security></s:Header><s:Body><SendBillSync xmlns="http://wcf.dian.colombia"><fileName>z.zip</fileName>\
<contentFile>{base64.b64encode(content).decode()}</contentFile></SendBillSync></s:Body></s:Envelope>"""
    root = etree.fromstring(text.encode())
    ds = "{http://www.w3.org/2000/09/xmldsig#}"
    to = root.find(".//{http://www.w3.org/2005/08/addressing}To")
    digest = hashlib.sha256(etree.tostring(to, method="c14n", exclusive=True)).digest()
    root.find(f".//{ds}DigestValue").text = base64.b64encode(digest).decode()
    signed_info = root.find(f".//{ds}SignedInfo")
    value = key.sign(etree.tostring(signed_info, method="c14n", exclusive=True), padding.PKCS1v15(), hashes.SHA256())
    root.find(f".//{ds}SignatureValue").text = base64.b64encode(value).decode()
    return etree.tostring(root)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=400)
    parser.add_argument("--clients", type=int, default=4)
    args = parser.parse_args()

    from minica.ca.check import home_trust
    from minica.ca.hierarchy import create_authority
    from minica.ca.issuance import IssueRequest, issue_certificate
    from minica.clock import FixedClock
    from minica.dian.generator import generate_invoice
    from minica.dian.registration import RegistrationRequest, register_software
    from minica.environment import Environment
    from minica.identity import Nit
    from minica.server.app import ServerSettings, create_app
    from minica.server.limits import ClientLimits
    from minica.server.runner import MinicaServer, bind_listener, server_config
    from minica.signing.home_revocation import HomeRevocationSource
    from minica.signing.service import Signer
    from minica.signing.verifier import verify_document
    from minica.storage.home import Home

    work = Path(tempfile.mkdtemp(prefix="bench-dian-"))
    home, clock = Home(work / "home"), FixedClock(NOW)
    authority = create_authority(home, now=NOW, key_size=2048)
    company = issue_certificate(home, IssueRequest(Nit.parse("900373987-9"), "MINICA PRUEBAS S.A.S."),
                                store_password=PASSWORD, clock=clock)
    registration = register_software(home, clock, RegistrationRequest(Nit.parse("900373987-9"), pin="12345"))
    signer = Signer.from_keystore(company.store_paths[Environment.HABILITACION], PASSWORD, trust=[authority.root])
    cert_der = signer.keystore.certificate.public_bytes(serialization.Encoding.DER)

    listener = bind_listener("127.0.0.1", 0)
    port = listener.getsockname()[1]
    path = "/dian/habilitacion/WcfDianCustomerServices.svc"
    endpoint = f"http://127.0.0.1:{port}{path}"
    print(f"preparing {args.requests} signed invoices and envelopes …", file=sys.stderr)
    documents, bodies = [], []
    for index in range(args.requests + args.clients):  # the last ones warm the server up
        signed = signer.sign(generate_invoice(registration, f"SETP{990000001 + index}", NOW), signing_time=NOW)
        documents.append(signed)
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
            archive.writestr("fv.xml", signed)
        bodies.append(_envelope(endpoint, buffer.getvalue(), signer.keystore.key, cert_der))
    warm = bodies[args.requests:]
    del documents[args.requests:], bodies[args.requests:]

    anchors, intermediates = home_trust(home)
    revocation = HomeRevocationSource(home)
    floor = []
    for data in documents[:50]:
        started = time.perf_counter()
        verify_document(data, at=NOW, trust=anchors, intermediates=intermediates, revocation=revocation,
                        technical_key=registration.numbering.technical_key, software_pin=registration.pin)
        floor.append(time.perf_counter() - started)

    app = create_app(ServerSettings(home=home, clock=clock, token="bench-token-0123456789"))
    app.pool.start(warm=True)
    limits = ClientLimits()
    server = MinicaServer(server_config(app, limits), app, limits)
    thread = threading.Thread(target=server.run, kwargs={"sockets": [listener]}, daemon=True)
    thread.start()

    latencies: list[float] = []
    failures: list[str] = []
    lock = threading.Lock()
    queue = list(reversed(bodies))
    # One warm-up invoice per client: connections, and what a running server has done once (each
    # worker's caches, the mock DIAN's signing key, made on a fresh home's first document).

    def client() -> None:
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        headers = {"Content-Type": "application/soap+xml; charset=utf-8"}
        with lock:
            first = warm.pop()
        connection.request("POST", path, body=first, headers=headers)
        connection.getresponse().read()
        barrier.wait()
        while True:
            with lock:
                if not queue:
                    break
                body = queue.pop()
            started = time.perf_counter()
            connection.request("POST", path, body=body, headers=headers)
            reply = connection.getresponse().read()
            elapsed = time.perf_counter() - started
            with lock:
                latencies.append(elapsed)
                if not re.search(rb"StatusCode>00<", reply):
                    failures.append(reply[reply.find(b"ErrorMessage"):][:400].decode(errors="replace"))
        connection.close()

    barrier = threading.Barrier(args.clients + 1)
    threads = [threading.Thread(target=client) for _ in range(args.clients)]
    for t in threads:
        t.start()
    barrier.wait()
    started = time.perf_counter()
    for t in threads:
        t.join()
    wall = time.perf_counter() - started
    server.should_exit = True
    thread.join(timeout=30)
    app.close()

    latencies.sort()
    p99 = latencies[max(0, int(len(latencies) * 0.99) - 1)]
    print(f"SendBillSync, small invoice ({len(documents[0]):,} bytes), {args.clients} clients, "
          f"{len(latencies)} requests, {app.pool.size} workers")
    print(f"  throughput   {len(latencies) / wall:8.1f} documents/s")
    print(f"  latency p50  {statistics.median(latencies) * 1000:8.1f} ms   p99 {p99 * 1000:8.1f} ms")
    print(f"verify_document alone (same invoice, one process): median {statistics.median(floor) * 1000:.2f} ms"
          f" → at most {1 / statistics.median(floor):.0f} documents/s per core")
    if failures:
        print(f"  {len(failures)} answers were not 00, e.g.: {failures[0]}")


if __name__ == "__main__":
    main()
