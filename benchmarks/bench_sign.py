"""Signing benchmark: minica's ``sign_document`` vs signxml's ``XAdESSigner`` vs the floor.

Run ``python benchmarks/bench_sign.py`` (``--quick`` for a smoke run). Each peer runs in its own
process, one after the other, on the same generated DIAN invoices: small (5 lines), medium (100)
and large (5,000 lines, several MB). It prints milliseconds per document (median), the ratio to
the floor, and each process's peak RSS (which the large invoice dominates). Then it signs 2,000
small invoices in one process and with a ProcessPoolExecutor on all cores.

The floor is the least any in-context XAdES signer must do: parse the bytes with lxml, inclusive
C14N of the whole document, SHA-256, and one RSA-2048 PKCS#1 v1.5 signature.
"""

from __future__ import annotations

import argparse
import datetime as dt
import hashlib
import json
import os
import platform
import resource
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
sys.path[:0] = [str(REPO / "src"), str(REPO / "testdata")]

from cryptography import x509  # noqa: E402
from cryptography.hazmat.primitives import hashes, serialization  # noqa: E402
from cryptography.hazmat.primitives.asymmetric import padding, rsa  # noqa: E402
from cryptography.x509.oid import NameOID  # noqa: E402
from lxml import etree  # noqa: E402

SIZES = {"small": 5, "medium": 100, "large": 5000}
SIGNING_TIME = dt.datetime(2026, 11, 22, 10, 15, 30, 123000, tzinfo=dt.timezone(dt.timedelta(hours=-5)))
PEERS = ("floor", "minica", "signxml")


def _documents() -> dict[str, bytes]:
    from generate_samples import invoice_xml

    return {size: invoice_xml(lines).encode("utf-8") for size, lines in SIZES.items()}


def _credentials() -> tuple[rsa.RSAPrivateKey, x509.Certificate]:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "MINICA PRUEBAS S.A.S.")])
    cert = (
        x509.CertificateBuilder().subject_name(name).issuer_name(name)
        .public_key(key.public_key()).serial_number(1001)
        .not_valid_before(dt.datetime(2026, 1, 1)).not_valid_after(dt.datetime(2028, 1, 1))
        .sign(key, hashes.SHA256())
    )
    return key, cert


def _signer(peer: str, key: rsa.RSAPrivateKey, cert: x509.Certificate) -> Callable[[bytes], bytes]:
    if peer == "minica":
        from minica.signing.xades import sign_document

        return lambda data: sign_document(data, key=key, certificate=cert, signing_time=SIGNING_TIME)
    if peer == "floor":
        parser = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False)

        def floor(data: bytes) -> bytes:
            tree = etree.fromstring(data, parser).getroottree()
            digest = hashlib.sha256(etree.tostring(tree, method="c14n", with_comments=False))
            return key.sign(digest.digest(), padding.PKCS1v15(), hashes.SHA256())

        return floor
    if peer == "signxml":
        from signxml import SignatureConstructionMethod
        from signxml.xades import XAdESSignaturePolicy, XAdESSigner

        from minica.signing import policy

        pem_key = key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
        pem_cert = cert.public_bytes(serialization.Encoding.PEM)
        signature_policy = XAdESSignaturePolicy(
            Identifier=policy.POLICY_V2, Description=policy.POLICY_DESCRIPTION,
            DigestMethod=policy.ns.SHA256, DigestValue=policy.SHA256.policy_hash,
        )

        def signxml_sign(data: bytes) -> bytes:
            signer = XAdESSigner(
                signature_policy=signature_policy, claimed_roles=["supplier"],
                method=SignatureConstructionMethod.enveloped, c14n_algorithm=policy.ns.C14N,
            )
            root = etree.fromstring(data)
            signed = signer.sign(root, key=pem_key, cert=[pem_cert])
            return etree.tostring(signed)

        return signxml_sign
    raise ValueError(peer)


def _time(function: Callable[[bytes], bytes], data: bytes, budget: float, minimum: int) -> float:
    """Median milliseconds per call over at least ``minimum`` calls or ``budget`` seconds."""
    function(data)  # warm-up
    samples: list[float] = []
    started = time.perf_counter()
    while len(samples) < minimum or time.perf_counter() - started < budget:
        t0 = time.perf_counter()
        function(data)
        samples.append((time.perf_counter() - t0) * 1000)
        if len(samples) >= 2000:
            break
    return statistics.median(samples)


def run_peer(peer: str, quick: bool) -> dict[str, Any]:
    """In a child process: time one peer on every size; report peak RSS of this process."""
    documents = _documents()
    key, cert = _credentials()
    sign = _signer(peer, key, cert)
    result: dict[str, Any] = {"peer": peer, "bytes": {k: len(v) for k, v in documents.items()}}
    budgets = {"small": (1.0, 20), "medium": (1.5, 10), "large": (4.0, 3)}
    if quick:
        budgets = {"small": (0.1, 3), "medium": (0.1, 2), "large": (0.1, 1)}
    for size, data in documents.items():
        result[size] = _time(sign, data, *budgets[size])
    result["max_rss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return result


_WORKER: dict[str, Any] = {}


def _init_worker(key_pem: bytes, cert_pem: bytes) -> None:
    _WORKER["key"] = serialization.load_pem_private_key(key_pem, password=None)
    _WORKER["cert"] = x509.load_pem_x509_certificate(cert_pem)


def _sign_one(data: bytes) -> int:
    from minica.signing.xades import sign_document

    return len(sign_document(data, key=_WORKER["key"], certificate=_WORKER["cert"], signing_time=SIGNING_TIME))


def run_batch(count: int) -> dict[str, float]:
    """Sign ``count`` small invoices (distinct numbers) in one process, then on all cores."""
    from generate_samples import invoice_xml

    template = invoice_xml(SIZES["small"], number="SETT1")
    documents = [template.replace("SETT1<", f"SETT{i + 1}<").encode("utf-8") for i in range(count)]
    key, cert = _credentials()
    key_pem = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    cert_pem = cert.public_bytes(serialization.Encoding.PEM)
    _init_worker(key_pem, cert_pem)
    t0 = time.perf_counter()
    for data in documents:
        _sign_one(data)
    single = time.perf_counter() - t0
    workers = os.cpu_count() or 1
    t0 = time.perf_counter()
    with ProcessPoolExecutor(workers, initializer=_init_worker, initargs=(key_pem, cert_pem)) as pool:
        list(pool.map(_sign_one, documents, chunksize=50))
    pooled = time.perf_counter() - t0
    return {"count": count, "workers": workers, "single_s": single, "pool_s": pooled}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="tiny budgets, for a smoke run")
    parser.add_argument("--peer", choices=PEERS, help=argparse.SUPPRESS)
    parser.add_argument("--batch", type=int, default=2000, help="invoices in the batch run")
    args = parser.parse_args()
    if args.peer:
        print(json.dumps(run_peer(args.peer, args.quick)))
        return
    results = {}
    for peer in PEERS:
        command = [sys.executable, str(Path(__file__).resolve()), "--peer", peer]
        if args.quick:
            command.append("--quick")
        output = subprocess.run(command, check=True, capture_output=True, text=True).stdout
        results[peer] = json.loads(output.strip().splitlines()[-1])
    floor = results["floor"]
    print(f"machine: {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}")
    sizes = results["floor"]["bytes"]
    print("sizes: " + ", ".join(f"{k} {SIZES[k]} lines = {v / 1024:,.0f} KiB" for k, v in sizes.items()))
    print()
    print("| peer | small ms | medium ms | large ms | small ×floor | medium ×floor | large ×floor | peak RSS MiB |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|")
    for peer in PEERS:
        r = results[peer]
        ratios = " | ".join(f"{r[s] / floor[s]:.2f}" for s in SIZES)
        times = " | ".join(f"{r[s]:.2f}" for s in SIZES)
        print(f"| {peer} | {times} | {ratios} | {r['max_rss_mb']:.0f} |")
    batch = run_batch(args.batch if not args.quick else 100)
    print()
    print(
        f"batch: {batch['count']} small invoices — one process {batch['single_s']:.2f} s "
        f"({batch['count'] / batch['single_s']:.0f}/s); {batch['workers']} processes "
        f"{batch['pool_s']:.2f} s ({batch['count'] / batch['pool_s']:.0f}/s); "
        f"speed-up ×{batch['single_s'] / batch['pool_s']:.2f}"
    )


if __name__ == "__main__":
    main()
