"""Every document we can sign verifies with xmlsec1 (trusting only the test root) and signxml."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives import serialization

from minica.signing import policy
from minica.signing.policy import SignerRole


def _assert_verifies(result: Any) -> None:
    assert result.returncode == 0, result.stderr
    assert "OK" in result.stderr
    assert "SignedInfo References (ok/all): 3/3" in result.stderr


def test_signed_document_verifies_with_xmlsec1(
    unsigned_path: Path, sign: Callable[..., bytes], xmlsec_verify: Callable[[bytes], Any]
) -> None:
    _assert_verifies(xmlsec_verify(sign(unsigned_path.read_bytes())))


@pytest.mark.parametrize("digest", [policy.SHA256, policy.SHA384, policy.SHA512], ids=lambda d: d.name)
@pytest.mark.parametrize("role", list(SignerRole), ids=lambda r: r.name)
def test_every_digest_and_role_verifies(
    digest: policy.DigestAlgorithm,
    role: SignerRole,
    testdata: Path,
    sign: Callable[..., bytes],
    xmlsec_verify: Callable[[bytes], Any],
) -> None:
    data = (testdata / "invoice-habilitacion.xml").read_bytes()
    _assert_verifies(xmlsec_verify(sign(data, digest=digest, role=role)))


def test_signature_with_chain_in_keyinfo_verifies(
    sample_path: Path, pki: Any, sign: Callable[..., bytes], xmlsec_verify: Callable[[bytes], Any]
) -> None:
    _assert_verifies(xmlsec_verify(sign(sample_path.read_bytes(), chain=[pki.issuing, pki.root])))


def test_signxml_verifies_too(
    unsigned_path: Path, pki: Any, sign: Callable[..., bytes], tmp_path: Path, signing_time: dt.datetime
) -> None:
    """A second, independent verifier (signxml resolves ``#id`` through ``@Id``)."""
    import signxml  # a test dependency: the second, independent verifier

    signed = sign(unsigned_path.read_bytes(), chain=[pki.issuing])
    ca = tmp_path / "root.pem"
    ca.write_bytes(pki.root.public_bytes(serialization.Encoding.PEM))
    config = signxml.SignatureConfiguration(expect_references=3, verification_time=signing_time)
    results = signxml.XMLVerifier().verify(
        signed, ca_pem_file=str(ca), expect_config=config
    )
    assert len(results) == 3
