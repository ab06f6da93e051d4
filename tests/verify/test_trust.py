"""Certificate checks: validity at ``at`` (ZD07), key usage, chain (ZD05), revocation (ZD04)."""

from __future__ import annotations

import verify_kit as kit
from verify_kit import FakeRevocations, failing, message

from minica.signing.revocation import Revocation

CREDIT_NOTE = "Kreo-one__dian-fe19-creditnote.xml"


def _signed(pki, vectors, cert, signing_time="2026-02-27T10:00:00.000-05:00") -> bytes:
    return kit.rekey(vectors[CREDIT_NOTE], pki.key, cert, signing_time=signing_time)


def test_expired_certificate_fails_zd07(pki, vectors, verify) -> None:
    cert = pki.leaf(not_before=kit.t("2024-01-01T00:00:00"), not_after=kit.t("2025-01-01T00:00:00"))
    result = verify(_signed(pki, vectors, cert, "2024-06-01T10:00:00-05:00"))
    assert failing(result) == ["ZD07"] and "expired" in message(result, "ZD07")
    assert not result.trusted and result.signature_valid and result.intact


def test_not_yet_valid_certificate_fails_zd07(pki, vectors, verify) -> None:
    cert = pki.leaf(not_before=kit.t("2026-06-01T00:00:00"), not_after=kit.t("2027-06-01T00:00:00"))
    result = verify(_signed(pki, vectors, cert))
    assert "ZD07" in failing(result) and "not yet valid" in message(result, "ZD07")
    assert "outside the certificate's validity" in message(result, "DC24")


def test_revoked_certificate_fails_zd04(pki, vectors, verify, ours) -> None:
    source = FakeRevocations({pki.signer.serial_number: Revocation(kit.t("2026-02-01T00:00:00"), "keyCompromise")})
    result = verify(ours, revocation=source)
    assert failing(result) == ["ZD04"] and "keyCompromise" in message(result, "ZD04")
    assert "before signing" in message(result, "ZD04") and not result.trusted
    assert source.asked[0] == pki.signer.serial_number


def test_revoked_after_at_is_not_revoked_yet(pki, ours, verify) -> None:
    source = FakeRevocations({pki.signer.serial_number: Revocation(kit.t("2026-05-01T00:00:00"))})
    assert failing(verify(ours, revocation=source)) == []


def test_revoked_intermediate_fails_zd04(pki, ours, verify) -> None:
    source = FakeRevocations({pki.intermediate.serial_number: Revocation(kit.t("2026-01-01T00:00:00"))})
    assert failing(verify(ours, revocation=source)) == ["ZD04"]


def test_no_revocation_source_skips_zd04(ours, verify) -> None:
    result = verify(ours, revocation=None)
    assert failing(result) == [] and result.trusted
    assert [c.status for c in result.checks if c.rule == "ZD04"] == ["skip"]


def test_untrusted_certificate_fails_zd05(pki, vectors, verify) -> None:
    result = verify(_signed(pki, vectors, pki.leaf(trusted=False)))
    assert failing(result) == ["ZD05"] and message(result, "ZD05").startswith("untrusted:")


def test_no_trust_anchors_fails_zd05(ours, verify) -> None:
    result = verify(ours, trust=())
    assert failing(result) == ["ZD05"] and message(result, "ZD05") == "untrusted: no trust anchors given"
    assert not result.valid and not result.trusted and result.intact and result.signature_valid


def test_missing_intermediate_fails_zd05(ours, verify) -> None:
    assert failing(verify(ours, intermediates=())) == ["ZD05"]


def test_intermediate_in_keyinfo_is_used(pki, vectors, verify) -> None:
    def mutate(root):
        data = root.find(".//ds:KeyInfo/ds:X509Data", kit.NS)
        extra = kit.etree.SubElement(data, f"{{{kit.DS}}}X509Certificate")
        extra.text = kit.base64.b64encode(pki.intermediate.public_bytes(kit.Encoding.DER)).decode()
    data = kit.rekey(vectors[CREDIT_NOTE], pki.key, pki.signer, mutate=mutate)
    assert failing(verify(data, intermediates=())) == []


def test_key_usage_without_non_repudiation_fails(pki, vectors, verify) -> None:
    result = verify(_signed(pki, vectors, pki.leaf(key_usage=(True, False))))
    assert failing(result) == ["MINICA-KEY-USAGE"] and "nonRepudiation" in message(result, "MINICA-KEY-USAGE")
    assert result.trusted  # key usage is a validity rule, not part of the trust grade


def test_result_json_shape(ours, verify) -> None:
    body = verify(ours).to_json()
    assert body["valid"] is True and body["signer"]["serial"]
    assert all(set(c) == {"rule", "status", "message", "cause"} for c in body["checks"])
    assert body["signer"]["serial"] == format(ours_serial(ours), "X")  # hex, as everywhere in minica


def ours_serial(data: bytes) -> int:
    root = kit.etree.fromstring(data)
    return int(root.find(".//ds:X509SerialNumber", kit.NS).text)
