"""The result's fields mean what they say (issue 11 §1): the grades, SigningTime without an offset,
ZD04 when revocation cannot be known, DC31 with the issuer's attributes reordered, the JSON."""

from __future__ import annotations

import verify_kit as kit
from cryptography import x509
from verify_kit import FakeRevocations, failing, message

from minica.signing.revocation import Revocation

CREDIT_NOTE = "Kreo-one__dian-fe19-creditnote.xml"


def _statuses(result, rule: str) -> list[str]:
    return [c.status for c in result.checks if c.rule == rule]


# --- the grades ---------------------------------------------------------------------------------


# (A signature outside the UBL extensions: intact but not profile, see test_wrapping.py.)


def test_a_tampered_document_is_not_intact_but_follows_the_profile(ours, verify) -> None:
    result = verify(kit.swap(ours, b"<cbc:Note>", b"<cbc:Note>X"))
    assert failing(result) == ["ZE02"]
    assert not result.intact and result.signature_valid and result.profile and result.trusted


def test_certificate_failures_are_not_profile_failures(pki, vectors, verify) -> None:
    result = verify(kit.rekey(vectors[CREDIT_NOTE], pki.key, pki.leaf(key_usage=(True, False))))
    assert failing(result) == ["MINICA-KEY-USAGE"] and result.profile and not result.valid


def test_json_carries_the_grades_the_cause_and_a_hex_serial(ours, verify, pki) -> None:
    body = verify(ours).to_json()
    assert {"valid", "intact", "signature_valid", "profile", "trusted"} <= set(body)
    assert body["signer"]["serial"] == format(pki.signer.serial_number, "X")
    # Times in Colombian time, as the API and every other command write them.
    assert body["signing_time"] == "2026-02-27T10:00:00-05:00"
    assert body["signer"]["not_before"] == "2024-12-31T19:00:00-05:00"
    assert all(c["cause"] is None for c in body["checks"])
    tampered = verify(kit.swap(ours, b"<cbc:Note>", b"<cbc:Note>X")).to_json()
    assert [c["cause"] for c in tampered["checks"] if c["status"] == "fail"] == ["unexplained"]


# --- SigningTime without a UTC offset -----------------------------------------------------------


def test_signing_time_without_offset_warns_and_says_what_was_assumed(pki, vectors, verify) -> None:
    data = kit.rekey(vectors[CREDIT_NOTE], pki.key, pki.signer, signing_time="2026-02-27T10:00:00.080026")
    result = verify(data)
    assert failing(result) == [] and result.valid
    warning = [c.message for c in result.checks if c.rule == "DC24" and c.status == "warn"]
    assert len(warning) == 1 and "has no UTC offset" in warning[0]
    assert "Colombian time (-05:00), the instant 2026-02-27T10:00:00.080026-05:00" in warning[0]
    assert result.signing_time is not None and result.signing_time.isoformat() == "2026-02-27T15:00:00.080026+00:00"


def test_signing_time_without_offset_compared_as_instants(pki, vectors, verify) -> None:
    """facho writes local time without an offset; verifying 'at' the same wall-clock time in UTC
    must not say '21:16:04.080026 is later than 21:16:04.080026+00:00': both instants are shown in
    Colombian time, as every command writes times."""
    data = kit.rekey(vectors[CREDIT_NOTE], pki.key, pki.signer, signing_time="2026-03-01T12:00:00.080026")
    result = verify(data, at=kit.t("2026-03-01T12:00:00.080026"))
    text = message(result, "DC24")
    assert "is later than the verification time 2026-03-01T07:00:00.080026-05:00" in text
    assert "(read as Colombian time: 2026-03-01T12:00:00.080026-05:00) is later" in text
    assert "12:00:00.080026 is later than" not in text


def test_signing_time_with_offset_has_no_warning(ours, verify) -> None:
    assert _statuses(verify(ours), "DC24") == ["pass"]


# --- ZD04: revocation that cannot be known is skipped -------------------------------------------


class Uncovering(FakeRevocations):
    """A source that knows only its own CA's certificates (like a home's database)."""

    def __init__(self, *issuers: x509.Name) -> None:
        super().__init__()
        self.issuers = issuers

    def covers(self, certificate: x509.Certificate) -> bool:
        return certificate.issuer in self.issuers


def test_zd04_skipped_when_the_source_cannot_know(pki, ours, verify) -> None:
    result = verify(ours, revocation=Uncovering(pki.other_root.subject))
    assert _statuses(result, "ZD04") == ["skip"] and "cannot tell" in result.check("ZD04")[0].message
    assert result.valid and result.trusted
    partly = verify(ours, revocation=Uncovering(pki.intermediate.subject)).check("ZD04")[0]
    assert partly.status == "skip" and "minica test issuing CA" in partly.message  # its issuer is not covered
    assert "1 other certificate(s) of the chain are not revoked" in partly.message


def test_zd04_passes_when_the_source_covers_the_chain(pki, ours, verify) -> None:
    source = Uncovering(pki.intermediate.subject, pki.root.subject)
    assert _statuses(verify(ours, revocation=source), "ZD04") == ["pass"]
    source.revoked[pki.signer.serial_number] = Revocation(kit.t("2026-02-01T00:00:00"), "keyCompromise")
    assert failing(verify(ours, revocation=source)) == ["ZD04"]


def test_zd04_source_without_covers_is_asked_as_before(pki, ours, verify) -> None:
    source = FakeRevocations()
    assert _statuses(verify(ours, revocation=source), "ZD04") == ["pass"] and source.asked


# --- DC31: the issuer's attributes in another order ---------------------------------------------


def _issuer_written(pki, vectors, verify, text: str):
    def mutate(root):
        root.find(".//ds:X509IssuerName", kit.NS).text = text
    return verify(kit.rekey(vectors[CREDIT_NOTE], pki.key, pki.signer, mutate=mutate))


def test_dc31_same_attributes_in_another_order(pki, vectors, verify) -> None:
    result = _issuer_written(pki, vectors, verify, "CN=minica test issuing CA,C=CO,O=minica pruebas")
    assert failing(result) == ["DC31"]
    text = message(result, "DC31")
    assert "same attributes" in text and "different order" in text
    assert pki.intermediate.subject.rfc4514_string() in text


def test_dc31_rfc2253_and_der_order_both_pass(pki, vectors, verify) -> None:
    assert failing(_issuer_written(pki, vectors, verify, "CN=minica test issuing CA,O=minica pruebas,C=CO")) == []
    assert failing(_issuer_written(pki, vectors, verify, "C=CO,O=minica pruebas,CN=minica test issuing CA")) == []


def test_dc31_another_issuer_is_a_plain_mismatch(pki, vectors, verify) -> None:
    result = _issuer_written(pki, vectors, verify, "CN=somebody else,O=minica pruebas,C=CO")
    assert failing(result) == ["DC31"] and "does not name the certificate's issuer" in message(result, "DC31")


