"""The peers of the entry-point benchmark, run in child processes of ``bench_entry_points.py``.

``python entry_peers.py compare WORK PEER,PEER,... [--seconds S]`` times the peers *interleaved*,
one call of each in turn, so that a machine shared with other work slows them alike, and prints
JSON: the median milliseconds per document of each peer and size.
``python entry_peers.py rss WORK PEER`` runs one peer on the large document only and prints its
process's peak RSS (its own ``VmHWM``).
``python entry_peers.py run WORK PEER --size SIZE --iterations N`` runs one peer N times and prints
nothing (for instruction counts under callgrind).
``python entry_peers.py steady WORK PEER --size SIZE --iterations N`` times N calls of one peer in a
row and prints their median (a peer alone in its process: see ``benchmarks/README.md``).

Peers: ``sign-floor``, ``sign-minica`` (``Signer.sign``), ``sign-signxml``, ``verify-floor``,
``verify-minica`` (``verify_document``), ``verify-signxml``, and ``api-sign`` / ``api-verify`` (the
work of ``POST /api/v1/sign`` and ``/verify`` called in-process: :mod:`minica.server.jobs`).

The floor is the least any in-context signer or verifier must do with lxml and cryptography: parse,
inclusive C14N of the whole document, SHA-256, one RSA-2048 operation.
"""

from __future__ import annotations

import argparse
import base64
import datetime as dt
import gc
import hashlib
import json
import re
import resource
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path[:0] = [str(HERE.parent / "src"), str(HERE)]

from entry_setup import PASSWORD, SIZES, Work  # noqa: E402

PEERS = ("sign-floor", "sign-minica", "sign-signxml", "verify-floor", "verify-minica", "verify-signxml",
         "api-sign", "api-verify")
UTC = dt.timezone.utc


def _key(work: Work) -> Any:
    from cryptography.hazmat.primitives import serialization

    return serialization.load_pem_private_key(Path(work.key_pem).read_bytes(), None,
                                              unsafe_skip_rsa_key_validation=True)


def runner(peer: str, work: Work) -> Callable[[bytes], object]:
    """The function a peer runs on each document's bytes."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.asymmetric import padding
    from lxml import etree

    now = dt.datetime.now(UTC)
    root = x509.load_pem_x509_certificate(Path(work.root_pem).read_bytes())
    issuing = x509.load_pem_x509_certificate(Path(work.issuing_pem).read_bytes())
    parser = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False)
    if peer == "sign-floor":
        key = _key(work)

        def sign_floor(data: bytes) -> bytes:
            tree = etree.fromstring(data, parser).getroottree()
            digest = hashlib.sha256(etree.tostring(tree, method="c14n", with_comments=False)).digest()
            return key.sign(digest, padding.PKCS1v15(), hashes.SHA256())  # type: ignore[no-any-return]

        return sign_floor
    if peer == "sign-minica":
        from minica.signing.service import Signer

        signer = Signer.from_keystore(work.store, PASSWORD.encode(), trust=[root])
        return lambda data: signer.sign(data, signing_time=now)
    if peer == "sign-signxml":
        return _signxml_signer(work)
    if peer == "verify-floor":
        ds = "{http://www.w3.org/2000/09/xmldsig#}"

        def verify_floor(data: bytes) -> None:
            tree = etree.fromstring(data, parser).getroottree()
            signature = tree.getroot().find(f".//{ds}Signature")
            assert signature is not None
            signed_info = signature.find(ds + "SignedInfo")
            der = base64.b64decode("".join((signature.findtext(f".//{ds}X509Certificate") or "").split()))
            value = base64.b64decode("".join((signature.findtext(ds + "SignatureValue") or "").split()))
            public = x509.load_der_x509_certificate(der).public_key()
            public.verify(value, etree.tostring(signed_info, method="c14n"),  # type: ignore[union-attr,call-arg]
                          padding.PKCS1v15(), hashes.SHA256())  # type: ignore[arg-type]
            hashlib.sha256(etree.tostring(tree, method="c14n")).digest()

        return verify_floor
    if peer == "verify-minica":
        from minica.signing.verifier import verify_document

        def verify_minica(data: bytes) -> None:
            result = verify_document(data, at=now, trust=[root], intermediates=[issuing])
            assert result.valid, [c for c in result.checks if c.status == "fail"]

        return verify_minica
    if peer == "verify-signxml":
        return _signxml_verifier(work)
    return _api(peer, work, now)


def _signxml_signer(work: Work) -> Callable[[bytes], object]:
    from lxml import etree
    from signxml import SignatureConstructionMethod
    from signxml.xades import XAdESSignaturePolicy, XAdESSigner

    from minica.signing import policy

    key_pem, cert_pem = Path(work.key_pem).read_bytes(), Path(work.cert_pem).read_bytes()
    signature_policy = XAdESSignaturePolicy(
        Identifier=policy.POLICY_V2, Description=policy.POLICY_DESCRIPTION,
        DigestMethod=policy.ns.SHA256, DigestValue=policy.SHA256.policy_hash,
    )

    def signxml_sign(data: bytes) -> bytes:
        signer = XAdESSigner(signature_policy=signature_policy, claimed_roles=["supplier"],
                             method=SignatureConstructionMethod.enveloped, c14n_algorithm=policy.ns.C14N)
        return etree.tostring(signer.sign(etree.fromstring(data), key=key_pem, cert=[cert_pem]))  # type: ignore[no-any-return]

    return signxml_sign


def _signxml_verifier(work: Work) -> Callable[[bytes], object]:
    from signxml import CanonicalizationMethod
    from signxml.xades import XAdESSignatureConfiguration, XAdESVerifier

    config = XAdESSignatureConfiguration(
        expect_references=3, default_reference_c14n_method=CanonicalizationMethod.CANONICAL_XML_1_0)
    return lambda data: XAdESVerifier().verify(data, ca_pem_file=work.root_pem, expect_config=config)


def _api(peer: str, work: Work, now: dt.datetime) -> Callable[[bytes], object]:
    from minica.server import jobs
    from minica.signing.policy import SHA256, SignerRole
    from minica.signing.selection import Selection
    from minica.storage.home import Home

    home = Home(Path(work.home))
    if peer == "api-sign":
        return lambda data: jobs.sign(home, now, data, PASSWORD.encode(), Selection(), SignerRole.SUPPLIER, SHA256,
                                      False)
    if peer == "api-verify":
        return lambda data: jobs.verify(home, now, data, None, None)
    raise SystemExit(f"unknown peer {peer}")


def _documents(peer: str, work: Work) -> dict[str, str]:
    return work.signed if peer.startswith(("verify", "api-verify")) else work.unsigned


def compare(peers: list[str], work: Work, seconds: float) -> dict[str, Any]:
    """Median ms per document of each peer and size, the peers called in turn."""
    runs = {peer: runner(peer, work) for peer in peers}
    result: dict[str, Any] = {peer: {"bytes": {}} for peer in peers}
    for size in SIZES:
        data = {peer: Path(_documents(peer, work)[size]).read_bytes() for peer in peers}
        samples: dict[str, list[float]] = {peer: [] for peer in peers}
        for peer in peers:
            result[peer]["bytes"][size] = len(data[peer])
            runs[peer](data[peer])  # warm-up, and proof that the peer accepts the document
        gc.collect()
        deadline = time.perf_counter() + seconds * (3 if size == "large" else 1)
        turn = 0
        while min(len(v) for v in samples.values()) < 5 or (
            time.perf_counter() < deadline and min(len(v) for v in samples.values()) < 2000
        ):
            order = peers[turn % len(peers):] + peers[: turn % len(peers)]  # each peer first in turn
            for peer in order:
                started = time.perf_counter()
                runs[peer](data[peer])
                samples[peer].append((time.perf_counter() - started) * 1000)
            turn += 1
        for peer in peers:
            result[peer][size] = statistics.median(samples[peer])
            result[peer][f"{size}_n"] = len(samples[peer])
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("mode", choices=("compare", "rss", "run", "steady"))
    parser.add_argument("work", type=Path)
    parser.add_argument("peers", help="one peer, or several separated by commas (compare)")
    parser.add_argument("--seconds", type=float, default=2.0)
    parser.add_argument("--iterations", type=int, default=1)
    parser.add_argument("--size", choices=SIZES, default="small")
    args = parser.parse_args()
    work = Work.load(args.work)
    peers = args.peers.split(",")
    if any(peer not in PEERS for peer in peers):
        raise SystemExit(f"unknown peer in {args.peers}; choose from {', '.join(PEERS)}")
    if args.mode == "compare":
        print(json.dumps(compare(peers, work, args.seconds)))
        return
    run = runner(peers[0], work)
    data = Path(_documents(peers[0], work)["large" if args.mode == "rss" else args.size]).read_bytes()
    if args.mode == "steady":
        print(json.dumps({"median_ms": _steady(run, data, args.iterations)}))
        return
    for _ in range(3 if args.mode == "rss" else 1 + args.iterations):
        run(data)
    if args.mode == "rss":
        print(json.dumps({"max_rss_mib": _peak_rss_kib() / 1024}))


def _steady(run: Callable[[bytes], object], data: bytes, iterations: int) -> float:
    """Median ms of ``iterations`` calls in a row, after three untimed ones: a program that signs
    one document after another, with no other peer's garbage in its heap."""
    for _ in range(3):
        run(data)
    samples = []
    for _ in range(iterations):
        started = time.perf_counter()
        run(data)
        samples.append((time.perf_counter() - started) * 1000)
    return statistics.median(samples)


def _peak_rss_kib() -> int:
    """This process's peak resident size: VmHWM where there is /proc (ru_maxrss carries over,
    across exec, the size of the process that started this one, when that was larger)."""
    try:
        with open("/proc/self/status") as status:
            return int(re.search(r"VmHWM:\s*(\d+)", status.read()).group(1))  # type: ignore[union-attr]
    except OSError:
        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss


if __name__ == "__main__":
    main()
