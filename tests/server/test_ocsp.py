"""OCSP over HTTP with a real client (``openssl ocsp``): good, revoked after ``minica revoke``,
unknown for a serial never issued; responses verify against the CA; GET and caching."""

from __future__ import annotations

import base64
import datetime as dt
import subprocess
import urllib.parse
import urllib.request
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.x509 import ocsp
from server_support import RunningServer
from support import NOW, Cli, at_instant

from minica.ca.hierarchy import Authority
from minica.ca.issuance import IssuedCertificate
from minica.ca.ocsp import responder_key_path
from minica.storage.home import Home

#: OpenSSL checks the chain at the tests' fixed time (-attime); its thisUpdate/nextUpdate check
#: reads the wall clock, so openssl runs at the test's instant (libfaketime), a minute after NOW.
ATTIME = str(int(NOW.timestamp()) + 60)


def openssl_ocsp(server: RunningServer, home: Home, tmp_path: Path, *target: str,
                 nonce: bool = True) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*at_instant(NOW + dt.timedelta(minutes=1)), "openssl", "ocsp", "-issuer", str(home.issuing_cert_path),
         *target, "-url", f"{server.url}/ocsp", "-CAfile", str(home.root_cert_path), "-attime", ATTIME,
         *([] if nonce else ["-no_nonce"]), "-timeout", "10"],
        capture_output=True, text=True, timeout=30,
    )


def leaf_file(leaf: IssuedCertificate, tmp_path: Path) -> Path:
    path = tmp_path / "leaf.pem"
    path.write_bytes(leaf.certificate.public_bytes(serialization.Encoding.PEM))
    return path


def test_openssl_ocsp_good_then_revoked_then_unknown(
    server: RunningServer, home: Home, leaf: IssuedCertificate, run: Cli, tmp_path: Path
) -> None:
    cert = leaf_file(leaf, tmp_path)
    for nonce in (True, False, False):  # fresh with a nonce; pre-signed, then from the cache
        good = openssl_ocsp(server, home, tmp_path, "-cert", str(cert), nonce=nonce)
        assert good.returncode == 0, good.stderr
        assert "Response verify OK" in good.stderr
        assert f"{cert}: good" in good.stdout

    assert run("revoke", leaf.serial_hex, "--reason", "keyCompromise").exit_code == 0
    for nonce in (False, True):  # the cached "good" is dropped at once
        revoked = openssl_ocsp(server, home, tmp_path, "-cert", str(cert), nonce=nonce)
        assert revoked.returncode == 0, revoked.stderr
        assert "Response verify OK" in revoked.stderr
        assert f"{cert}: revoked" in revoked.stdout
        assert "Reason: keyCompromise" in revoked.stdout
        assert "Revocation Time: Nov 22 14:00:00 2026 GMT" in revoked.stdout

    unknown = openssl_ocsp(server, home, tmp_path, "-serial", "0x1234567890ABCDEF")
    assert unknown.returncode == 0, unknown.stderr
    assert "Response verify OK" in unknown.stderr
    assert "0x1234567890ABCDEF: unknown" in unknown.stdout


def _request(leaf: IssuedCertificate, authority: Authority, nonce: bytes | None = None) -> bytes:
    builder = ocsp.OCSPRequestBuilder().add_certificate(leaf.certificate, authority.issuing, hashes.SHA1())
    if nonce is not None:
        builder = builder.add_extension(x509.OCSPNonce(nonce), critical=False)
    return builder.build().public_bytes(serialization.Encoding.DER)


def test_get_per_rfc6960_appendix_a_and_responder_certificate(
    server: RunningServer, authority: Authority, leaf: IssuedCertificate
) -> None:
    encoded = urllib.parse.quote(base64.b64encode(_request(leaf, authority)).decode(), safe="")
    with urllib.request.urlopen(f"{server.url}/ocsp/{encoded}", timeout=10) as reply:
        assert reply.headers["Content-Type"] == "application/ocsp-response"
        response = ocsp.load_der_ocsp_response(reply.read())
    assert response.response_status == ocsp.OCSPResponseStatus.SUCCESSFUL
    assert response.certificate_status == ocsp.OCSPCertStatus.GOOD
    assert response.this_update_utc == NOW and response.next_update_utc is not None
    responder = response.certificates[0]
    assert responder.issuer == authority.issuing.subject
    eku = responder.extensions.get_extension_for_class(x509.ExtendedKeyUsage).value
    assert x509.oid.ExtendedKeyUsageOID.OCSP_SIGNING in eku
    assert responder.extensions.get_extension_for_class(x509.OCSPNoCheck)
    responder.verify_directly_issued_by(authority.issuing)
    assert responder_key_path(authority.home).stat().st_mode & 0o777 == 0o600


def test_nonce_is_echoed_and_signed_fresh(
    server: RunningServer, authority: Authority, leaf: IssuedCertificate
) -> None:
    answers = []
    for nonce in (b"\x01" * 16, b"\x02" * 16):
        post = urllib.request.Request(f"{server.url}/ocsp", data=_request(leaf, authority, nonce),
                                      headers={"Content-Type": "application/ocsp-request"})
        with urllib.request.urlopen(post, timeout=10) as reply:
            response = ocsp.load_der_ocsp_response(reply.read())
        assert response.extensions.get_extension_for_class(x509.OCSPNonce).value.nonce == nonce
        answers.append(response.signature)
    assert answers[0] != answers[1]


def test_malformed_request_gets_malformed_request_response(server: RunningServer) -> None:
    for body in (b"", b"\x30\x03\x02\x01\x00", b"not ocsp at all"):
        post = urllib.request.Request(f"{server.url}/ocsp", data=body,
                                      headers={"Content-Type": "application/ocsp-request"})
        with urllib.request.urlopen(post, timeout=10) as reply:
            assert ocsp.load_der_ocsp_response(reply.read()).response_status == \
                ocsp.OCSPResponseStatus.MALFORMED_REQUEST
