"""Documents signed by minica's own signer verify with every check passing."""

from __future__ import annotations

from pathlib import Path

import pytest
import verify_kit as kit
from verify_kit import AT, FakeRevocations

from minica.signing import policy, xades

TESTDATA = Path(__file__).resolve().parents[2] / "testdata"
SAMPLES = sorted(TESTDATA.glob("*.xml"))
TECHNICAL_KEY = "fc8eac422eba16e22ffd8c6f94b3f40a6e38162c"
SOFTWARE_PIN = "12345"
assert SAMPLES, "testdata/*.xml samples are missing"


@pytest.mark.parametrize("digest", [policy.SHA256, policy.SHA384, policy.SHA512], ids=lambda d: d.name)
@pytest.mark.parametrize("with_chain", [False, True], ids=["one-cert", "full-chain"])
@pytest.mark.parametrize("sample", SAMPLES, ids=lambda p: p.name)
def test_sign_document_output_passes_every_check(pki, verify, sample: Path, digest, with_chain: bool) -> None:
    signed = xades.sign_document(
        sample.read_bytes(),
        key=pki.key,
        certificate=pki.signer,
        chain=(pki.intermediate, pki.root) if with_chain else (),
        signing_time=kit.t("2026-02-27T15:00:00"),
        digest=digest,
    )
    result = verify(
        signed,
        at=AT,
        revocation=FakeRevocations(),
        technical_key=TECHNICAL_KEY,
        software_pin=SOFTWARE_PIN,
    )
    not_passed = [c for c in result.checks if c.status != "pass"]
    # Only the document key of a type that has none (AttachedDocument) may be skipped.
    assert all(c.status == "skip" and "has no" in c.message for c in not_passed), not_passed
    assert result.valid and result.intact and result.signature_valid and result.trusted
    assert result.signer == pki.signer
    assert result.signed_document is not None
