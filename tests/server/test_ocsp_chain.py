"""OCSP for the whole chain (issue 11 §5): the responder answers for the issuing CA's own certificate
(signed by a responder the root delegated to), so a client that checks every certificate of the
path by OCSP alone validates the chain: ``openssl ocsp -issuer root.crt -cert issuing.crt``, and
Java's ``CertPathValidator`` with an OCSP-only ``PKIXRevocationChecker`` (``NO_FALLBACK``, the
responder URL from each certificate's AIA) against a real ``minica serve --at …``."""

from __future__ import annotations

import datetime as dt
import os
import select
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.x509 import ocsp
from server_support import RunningServer, free_port
from support import NOW, PASSWORD, Cli, at_instant

from minica.ca.hierarchy import Authority, create_authority
from minica.ca.issuance import IssuedCertificate, IssueRequest, issue_certificate
from minica.ca.ocsp import OcspResponder, ResponderScope, responder_key_path
from minica.clock import FixedClock
from minica.identity import Nit
from minica.storage.home import Home

ROOT = Path(__file__).resolve().parents[2]
#: openssl and Java judge the responses a minute after the server's instant.
LATER = NOW + dt.timedelta(minutes=1)


def _pem(cert: x509.Certificate, path: Path) -> Path:
    path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    return path


def test_openssl_ocsp_about_the_issuing_ca_is_good_and_signed_by_a_root_delegated_responder(
    server: RunningServer, home: Home, tmp_path: Path
) -> None:
    done = subprocess.run(
        [*at_instant(LATER), "openssl", "ocsp", "-issuer", str(home.root_cert_path), "-cert",
         str(home.issuing_cert_path), "-url", f"{server.url}/ocsp", "-CAfile", str(home.root_cert_path),
         "-attime", str(int(LATER.timestamp())), "-timeout", "10", "-resp_text"],
        capture_output=True, text=True, timeout=30,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert "Response verify OK" in done.stderr
    assert f"{home.issuing_cert_path}: good" in done.stdout
    assert "MINICA MOCK ROOT OCSP RESPONDER" in done.stdout
    assert responder_key_path(home, ResponderScope.ROOT).stat().st_mode & 0o777 == 0o600


def test_the_issuing_ca_answer_is_by_the_root_and_other_serials_of_the_root_are_unknown(
    authority: Authority, home: Home, clock: FixedClock
) -> None:
    responder = OcspResponder(home, clock)
    try:
        def ask(serial_of: x509.Certificate | int) -> ocsp.OCSPResponse:
            builder = ocsp.OCSPRequestBuilder()
            if isinstance(serial_of, int):
                root_key = authority.root.public_key().public_bytes(serialization.Encoding.DER,
                                                                    serialization.PublicFormat.PKCS1)
                builder = builder.add_certificate_by_hash(_hash(authority.root.subject.public_bytes()),
                                                          _hash(root_key), serial_of, hashes.SHA1())
            else:
                builder = builder.add_certificate(serial_of, authority.root, hashes.SHA1())
            request = builder.build().public_bytes(serialization.Encoding.DER)
            return ocsp.load_der_ocsp_response(responder.respond(request))

        good = ask(authority.issuing)
        assert good.certificate_status == ocsp.OCSPCertStatus.GOOD
        signer = good.certificates[0]
        signer.verify_directly_issued_by(authority.root)
        assert x509.oid.ExtendedKeyUsageOID.OCSP_SIGNING in signer.extensions.get_extension_for_class(
            x509.ExtendedKeyUsage).value
        assert ask(12345).certificate_status == ocsp.OCSPCertStatus.UNKNOWN
    finally:
        responder.close()


def _hash(data: bytes) -> bytes:
    digest = hashes.Hash(hashes.SHA1())
    digest.update(data)
    return digest.finalize()


# --- Java: CertPathValidator, OCSP only -----------------------------------------------------------

JAVA = """
import java.io.FileInputStream;
import java.security.cert.*;
import java.util.*;

public class OcspOnly {
    static X509Certificate load(CertificateFactory factory, String path) throws Exception {
        try (FileInputStream in = new FileInputStream(path)) {
            return (X509Certificate) factory.generateCertificate(in);
        }
    }

    public static void main(String[] args) throws Exception {
        CertificateFactory factory = CertificateFactory.getInstance("X.509");
        X509Certificate root = load(factory, args[0]);
        CertPath path = factory.generateCertPath(List.of(load(factory, args[2]), load(factory, args[1])));
        PKIXParameters params = new PKIXParameters(Set.of(new TrustAnchor(root, null)));
        params.setDate(new Date(Long.parseLong(args[3])));  // the server's instant: Java keeps its own clock
        CertPathValidator validator = CertPathValidator.getInstance("PKIX");
        PKIXRevocationChecker checker = (PKIXRevocationChecker) validator.getRevocationChecker();
        checker.setOptions(EnumSet.of(PKIXRevocationChecker.Option.NO_FALLBACK));  // OCSP only, no CRL
        params.setRevocationEnabled(true);
        params.addCertPathChecker(checker);
        try {
            validator.validate(path, params);
            System.out.println("VALID");
        } catch (CertPathValidatorException e) {
            System.out.println("INVALID index=" + e.getIndex() + " reason=" + e.getReason() + " " + e.getMessage());
        }
    }
}
"""


@pytest.fixture
def served_home(tmp_path: Path) -> Iterator[tuple[Home, IssuedCertificate]]:
    """A CA whose AIA names a free loopback port, and a real ``minica serve --at NOW`` on it."""
    port = free_port()
    home = Home(tmp_path / "served")
    create_authority(home, now=NOW, base_url=f"http://127.0.0.1:{port}", key_size=2048)
    leaf = issue_certificate(home, IssueRequest(Nit.parse("900373987-9"), "MINICA PRUEBAS S.A.S."),
                             store_password=PASSWORD.encode(), clock=FixedClock(NOW))
    proc = subprocess.Popen(
        [sys.executable, "-m", "minica", "--home", str(home.root), "--at", NOW.isoformat(), "serve", "--port",
         str(port), "--token-file", str(tmp_path / "token"), "--workers", "1", "--quiet"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, bufsize=0,
        env={**os.environ, "PYTHONPATH": str(ROOT / "src")},
    )  # fmt: skip
    try:
        assert proc.stderr is not None
        seen = b""
        while b"worker processes" not in seen:  # the banner comes once the port is bound
            ready, _, _ = select.select([proc.stderr], [], [], 30)
            chunk = os.read(proc.stderr.fileno(), 4096) if ready else b""
            assert chunk, seen
            seen += chunk
        yield home, leaf
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.communicate(timeout=20)


def _java(tmp_path: Path, home: Home, leaf: IssuedCertificate) -> str:
    """Java's verdict at ``LATER``: the path is judged at the date it is given, but Java judges the
    responses it fetches (thisUpdate/nextUpdate, the responder's validity) by its own clock, so it
    also runs at that instant (libfaketime, as openssl does; the shifted run's own library, which
    leaves java alone, is taken out of its environment)."""
    program = tmp_path / "OcspOnly.java"
    program.write_text(JAVA)
    leaf_pem = _pem(leaf.certificate, tmp_path / "leaf.pem")
    env = {k: v for k, v in os.environ.items() if not k.startswith("FAKETIME") and k != "LD_PRELOAD"}
    done = subprocess.run(
        [*at_instant(LATER), "java", str(program), str(home.root_cert_path), str(home.issuing_cert_path),
         str(leaf_pem), str(int(LATER.timestamp() * 1000))],
        capture_output=True, text=True, timeout=120, env=env,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    return done.stdout.strip()


def test_java_validates_the_chain_with_ocsp_alone_and_sees_a_revocation(
    served_home: tuple[Home, IssuedCertificate], tmp_path: Path
) -> None:
    home, leaf = served_home
    assert _java(tmp_path, home, leaf) == "VALID"
    assert Cli(home)("revoke", leaf.serial_hex, "--reason", "keyCompromise").exit_code == 0
    revoked = _java(tmp_path, home, leaf)
    assert revoked.startswith("INVALID index=0 reason=REVOKED"), revoked
