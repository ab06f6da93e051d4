"""Verification speed: minica's full verifier vs signxml's XAdESVerifier vs the floor.

The floor is the least any verifier must do: parse, C14N of the document, SHA-256, one RSA
verification. Each peer runs in its own process (``--peer``), on the same signed files, in one run:

    PYTHONPATH=src python benchmarks/bench_verify.py

Documents: a small invoice (~18 KB) and a large one (5,000 invoice lines, ~6.7 MB), made with
``testdata/generate_samples.invoice_xml`` and signed by ``minica.signing.xades.sign_document``
(rsa-sha256/sha256, signer + issuing CA + root in KeyInfo and SigningCertificate).
"""

from __future__ import annotations

import argparse
import base64
import datetime as dt
import hashlib
import json
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT / "src"), str(ROOT / "testdata")]

UTC = dt.timezone.utc
AT = dt.datetime(2026, 3, 1, 12, tzinfo=UTC)
TECHNICAL_KEY = "fc8eac422eba16e22ffd8c6f94b3f40a6e38162c"
DOCS = {"small": 4, "large": 5000}  # invoice lines
PEERS = ("floor", "minica", "signxml")


# --- setup (parent process) ---------------------------------------------------------------------


def _pki(work: Path) -> dict[str, object]:
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import rsa
    from cryptography.x509.oid import NameOID

    def cert(cn, key, issuer=None, issuer_key=None, ca=False):
        name = x509.Name([x509.NameAttribute(NameOID.COUNTRY_NAME, "CO"),
                          x509.NameAttribute(NameOID.COMMON_NAME, cn)])
        usage = (x509.KeyUsage(True, False, False, False, False, True, True, False, False) if ca
                 else x509.KeyUsage(True, True, False, False, False, False, False, False, False))
        return (
            x509.CertificateBuilder().subject_name(name)
            .issuer_name(issuer.subject if issuer else name).public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(dt.datetime(2025, 1, 1, tzinfo=UTC))
            .not_valid_after(dt.datetime(2030, 1, 1, tzinfo=UTC))
            .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True)
            .add_extension(usage, critical=True)
            .sign(issuer_key or key, hashes.SHA256())
        )

    keys = [rsa.generate_private_key(public_exponent=65537, key_size=2048) for _ in range(3)]
    root = cert("bench root", keys[0], ca=True)
    issuing = cert("bench issuing CA", keys[1], root, keys[0], ca=True)
    signer = cert("bench signer", keys[2], issuing, keys[1])
    (work / "root.pem").write_bytes(root.public_bytes(serialization.Encoding.PEM))
    return {"key": keys[2], "certificate": signer, "chain": (issuing, root)}


def _documents(work: Path) -> dict[str, Path]:
    import generate_samples

    from minica.signing.xades import sign_document

    pki = _pki(work)
    paths = {}
    for name, lines in DOCS.items():
        unsigned = generate_samples.invoice_xml(lines=lines).encode("utf-8")
        signed = sign_document(unsigned, signing_time=dt.datetime(2026, 2, 27, 15, tzinfo=UTC), **pki)  # type: ignore[arg-type]
        paths[name] = work / f"{name}.xml"
        paths[name].write_bytes(signed)
    return paths


# --- peers (child processes) --------------------------------------------------------------------


def _floor(data: bytes, root_pem: bytes) -> None:
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.asymmetric import padding
    from lxml import etree

    from minica.signing.xmlsafe import parse_xml

    ds = "{http://www.w3.org/2000/09/xmldsig#}"
    tree = parse_xml(data)
    signature = tree.getroot().find(f".//{ds}Signature")
    signed_info = signature.find(ds + "SignedInfo")
    cert = x509.load_der_x509_certificate(
        base64.b64decode("".join(signature.find(f".//{ds}X509Certificate").text.split())))
    value = base64.b64decode("".join(signature.find(ds + "SignatureValue").text.split()))
    cert.public_key().verify(value, etree.tostring(signed_info, method="c14n"),  # type: ignore[union-attr]
                             padding.PKCS1v15(), hashes.SHA256())  # type: ignore[call-arg]
    hashlib.sha256(etree.tostring(tree, method="c14n")).digest()


def _runner(peer: str, root_pem: bytes):  # type: ignore[no-untyped-def]
    if peer == "floor":
        return lambda data: _floor(data, root_pem)
    if peer == "minica":
        from cryptography import x509

        from minica.signing.verifier import verify_document

        anchors = [x509.load_pem_x509_certificate(root_pem)]

        def minica(data: bytes) -> None:
            result = verify_document(data, at=AT, trust=anchors, technical_key=TECHNICAL_KEY)
            assert result.valid, [c for c in result.checks if c.status == "fail"]

        return minica
    if peer == "signxml":
        from signxml import CanonicalizationMethod
        from signxml.xades import XAdESSignatureConfiguration, XAdESVerifier

        config = XAdESSignatureConfiguration(
            expect_references=3, default_reference_c14n_method=CanonicalizationMethod.CANONICAL_XML_1_0)
        with tempfile.NamedTemporaryFile(suffix=".pem", delete=False) as ca:
            ca.write(root_pem)

        def signxml(data: bytes) -> None:
            XAdESVerifier().verify(data, ca_pem_file=ca.name, expect_config=config)

        return signxml
    raise SystemExit(f"unknown peer {peer}")


def _child(peer: str, path: Path, root_pem: Path, seconds: float) -> None:
    data = path.read_bytes()
    run = _runner(peer, root_pem.read_bytes())
    run(data)  # warm-up, and proof that the peer accepts the document
    samples: list[float] = []
    deadline = time.perf_counter() + seconds
    while len(samples) < 5 or (time.perf_counter() < deadline and len(samples) < 2000):
        started = time.perf_counter()
        run(data)
        samples.append((time.perf_counter() - started) * 1000)
    print(json.dumps({"ms": statistics.median(samples), "n": len(samples)}))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--peer", choices=PEERS)
    parser.add_argument("--doc", type=Path)
    parser.add_argument("--root", type=Path)
    parser.add_argument("--seconds", type=float, default=3.0)
    args = parser.parse_args()
    if args.peer:
        _child(args.peer, args.doc, args.root, args.seconds)
        return
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        docs = _documents(work)
        print(f"python {sys.version.split()[0]}; median ms/doc, one process per peer")
        print(f"{'document':<22}{'floor':>10}{'minica':>10}{'signxml':>10}{'minica/floor':>14}{'signxml/minica':>16}")
        for name, path in docs.items():
            ms = {}
            for peer in PEERS:
                out = subprocess.run(
                    [sys.executable, __file__, "--peer", peer, "--doc", str(path),
                     "--root", str(work / "root.pem"), "--seconds", str(args.seconds)],
                    capture_output=True, text=True, check=False,
                )
                if out.returncode != 0:
                    print(f"{peer} failed on {name}: {out.stderr.strip().splitlines()[-1:]}")
                    ms[peer] = float("nan")
                    continue
                ms[peer] = json.loads(out.stdout)["ms"]
            label = f"{name} ({path.stat().st_size / 1024:,.0f} KB)"
            print(f"{label:<22}{ms['floor']:>10.2f}{ms['minica']:>10.2f}{ms['signxml']:>10.2f}"
                  f"{ms['minica'] / ms['floor']:>13.2f}x{ms['signxml'] / ms['minica']:>15.2f}x")


if __name__ == "__main__":
    main()
