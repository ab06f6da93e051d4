"""A failed digest names the signer mistake that reproduces it (issue 11 §1), and xmlsec1 agrees.

Each document is made by :mod:`mistaken_signers` the way real signers make the mistake (the
document digested before the signature's ``ext:UBLExtension`` is inserted, KeyInfo canonicalized
from its template, SigningTime written after digesting, the file pretty-printed after signing …).
minica must name that mistake (the check's ``cause``), not "the content was changed after
signing"; xmlsec1, an independent verifier, must find the same first broken reference.
"""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import mistaken_signers as signers
import pytest
from verify_kit import failing, message

from minica.signing import diagnosis
from minica.signing.report import Check, VerificationResult
from minica.signing.verifier import verify_document

#: (mistakes, signer options, {part: cause} of the failed ZE02 checks)
CASES = {
    "document-before-extension": (
        {"document-before-extension"}, {}, {"document": "document-without-signature-extension"},
    ),
    "document-before-extensions-wrapper": (
        {"document-before-extension"}, {"unsigned": signers.NO_EXTENSIONS}, {"document": "document-without-extensions"},
    ),
    "keyinfo-detached": ({"keyinfo-detached"}, {}, {"keyinfo": "out-of-context"}),
    "signedinfo-detached": ({"signedinfo-detached"}, {}, {"signature": "out-of-context"}),
    "signedproperties-detached": ({"signedproperties-detached"}, {}, {"signedproperties": "out-of-context"}),
    "exclusive-instead-of-inclusive": ({"exclusive-signedproperties"}, {}, {"signedproperties": "exclusive-c14n"}),
    "inclusive-instead-of-exclusive": (
        {"inclusive-signedproperties"}, {"c14n": signers.EXC_C14N, "transform": signers.EXC_C14N},
        {"signedproperties": "inclusive-c14n"},
    ),
    "signing-time-set-after-digest": ({"signing-time-late"}, {}, {"signedproperties": "signing-time"}),
    "signing-time-taken-twice": ({"signing-time-again"}, {}, {"signedproperties": "signing-time"}),
    "signing-time-rewritten-in-another-zone": ({"signing-time-utc"}, {}, {"signedproperties": "signing-time"}),
    "signing-time-added-after-digest": ({"signing-time-absent"}, {}, {"signedproperties": "signing-time"}),
    "signing-time-rewritten-in-another-precision": (
        {"signing-time-precision"}, {}, {"signedproperties": "signing-time"},
    ),
    "hex-digest": ({"hex-digest"}, {}, {"signedproperties": "hex-digest"}),
    "sha1-under-sha256": ({"sha1-keyinfo"}, {}, {"keyinfo": "digest-algorithm"}),
    "signed-info-as-written": ({"signed-info-as-written"}, {}, {"signature": "signed-info-as-written"}),
    "sha1-signature": ({"sha1-signature"}, {}, {"signature": "signature-hash"}),
    "reindented-compact-document": (
        {"reindented"}, {"unsigned": signers.compact(signers.UNSIGNED)},
        {"keyinfo": "reindented", "signedproperties": "reindented", "signature": "reindented",
         "document": "reindented"},
    ),
}  # fmt: skip
_PART = re.compile(r"reference #(\d+) \(URI='[^']*', (\w+)\)")


def _failed_parts(result: VerificationResult) -> dict[str, Check]:
    parts: dict[str, Check] = {}
    for check in result.checks:
        if check.rule == "ZE02" and check.failed:
            found = _PART.match(check.message)
            parts["signature" if found is None else found.group(2)] = check
    return parts


def _first_broken_reference(result: VerificationResult) -> int | None:
    indexes = [int(m.group(1)) for c in result.checks if c.rule == "ZE02" and c.failed
               if (m := _PART.match(c.message))]  # fmt: skip
    return min(indexes) if indexes else None


def _agree_with_xmlsec1(data: bytes, result: VerificationResult, tmp_path: Path) -> None:
    path = tmp_path / "signed.xml"
    path.write_bytes(data)
    ok, first = signers.xmlsec1(path)
    assert ok == (result.intact and result.signature_valid)
    assert first == _first_broken_reference(result)


def test_the_correct_signer_verifies_for_both(pki, verify, tmp_path: Path) -> None:
    data = signers.sign(pki)
    result = verify(data)
    assert failing(result) == [] and result.valid
    _agree_with_xmlsec1(data, result, tmp_path)


@pytest.mark.parametrize("case", sorted(CASES))
def test_each_mistake_is_named(case: str, pki, verify, tmp_path: Path) -> None:
    mistakes, options, expected = CASES[case]
    data = signers.sign(pki, mistakes, **options)
    result = verify(data)
    parts = _failed_parts(result)
    assert {part: check.cause for part, check in parts.items()} == expected
    for check in parts.values():
        assert "changed after signing" not in check.message  # the hint points to the real bug
    _agree_with_xmlsec1(data, result, tmp_path)


def test_signing_time_hint_names_the_time_that_was_digested(pki, verify) -> None:
    late = _failed_parts(verify(signers.sign(pki, {"signing-time-late"})))["signedproperties"]
    assert "with an empty xades:SigningTime" in late.message and "before setting SigningTime" in late.message
    again = _failed_parts(verify(signers.sign(pki, {"signing-time-again"})))["signedproperties"]
    assert "'2026-02-27T09:59:58.766-05:00'" in again.message
    assert f"this file says '{signers.SIGNING_TIME}'" in again.message
    utc = _failed_parts(verify(signers.sign(pki, {"signing-time-utc"})))["signedproperties"]
    assert "'2026-02-27T15:00:00Z'" in utc.message


def test_keyinfo_out_of_context_names_the_missing_declarations(pki, verify) -> None:
    check = _failed_parts(verify(signers.sign(pki, {"keyinfo-detached"})))["keyinfo"]
    assert "xmlns:cac" in check.message and "canonicalize it in place" in check.message
    assert "exclusive C14N gives the same bytes" in check.message  # KeyInfo uses only ds:


def test_certificate_of_the_ca_in_keyinfo_is_another_key(pki, verify, tmp_path: Path) -> None:
    data = signers.sign(pki, {"ca-in-keyinfo"})
    result = verify(data)
    check = _failed_parts(result)["signature"]
    assert check.cause == "wrong-key" and "another certificate" in check.message
    assert result.intact and not result.signature_valid
    _agree_with_xmlsec1(data, result, tmp_path)


def test_reindented_document_with_its_own_indentation(pki, verify, tmp_path: Path) -> None:
    """The invoice was indented with tabs when signed and re-indented with spaces afterwards: the
    compact signature parts prove the re-indentation; the body's own whitespace cannot be restored,
    so the document digest is unexplained, with a pointer to the proven re-indentation."""
    data = signers.sign(pki, {"reindented"})
    result = verify(data)
    parts = _failed_parts(result)
    assert {p: c.cause for p, c in parts.items()} == {
        "keyinfo": "reindented", "signedproperties": "reindented", "signature": "reindented",
        "document": "unexplained",
    }
    assert "re-indented after signing, which probably changed this too" in parts["document"].message
    _agree_with_xmlsec1(data, result, tmp_path)


def test_go_template_signer_every_failure_explained(pki, verify, tmp_path: Path) -> None:
    """The public invoice signed by an open-source Go signer (diegofxm/apidian-go,
    ``storage/app/companies/6382356/documents/invoices/SETP990000002/SETP990000002_signed.xml`` at
    7bd68b33e44bfd16526d3f066155f839d43481af) fails all three digests and its SignatureValue. It
    holds a real person's data and certificate, so it is not shipped: this document repeats each of
    its mistakes (found by recomputing them on that file): the document digested before inserting
    the signature's ``ext:UBLExtension``, KeyInfo and SignedProperties canonicalized from their
    templates, ``ds:SignedInfo`` signed as written, ``X509IssuerName`` in Go's attribute order."""
    go_order = "CN=minica test issuing CA,C=CO,O=minica pruebas"
    mistakes = {"document-before-extension", "keyinfo-detached", "signedproperties-detached",
                "signed-info-as-written"}
    data = signers.sign(pki, mistakes, issuer_name=go_order)
    result = verify(data)
    assert {p: c.cause for p, c in _failed_parts(result).items()} == {
        "document": "document-without-signature-extension", "keyinfo": "out-of-context",
        "signedproperties": "out-of-context", "signature": "signed-info-as-written",
    }
    assert set(failing(result)) == {"ZE02", "DC31"}
    assert "same attributes as the certificate's issuer but in a different order" in message(result, "DC31")
    _agree_with_xmlsec1(data, result, tmp_path)


def test_explanations_run_only_when_something_fails(pki, verify, monkeypatch) -> None:
    def refuse(*_args: object, **_kw: object) -> list[diagnosis.Finding]:
        raise AssertionError("diagnosis ran on a correct signature")

    for name in ("fragment", "document", "signature_value"):
        monkeypatch.setattr(diagnosis.Diagnosis, name, refuse)
    assert verify(signers.sign(pki)).valid


def test_real_edit_after_signing_stays_unexplained(vectors) -> None:
    """DIAN edited its Generica example after signing (SOURCES.md): no signer mistake matches."""
    result = verify_document(vectors["Kreo-one__dian-fe19-generica-invoice.xml"],
                             at=dt.datetime(2020, 6, 1, tzinfo=dt.timezone.utc))  # fmt: skip
    check = _failed_parts(result)["document"]
    assert check.cause == "unexplained" and "changed after signing" in check.message


def test_dian_example_reindented_after_signing(vectors) -> None:
    """DIAN's 2024 credit note was pretty-printed after signing (SOURCES.md): the SignedProperties
    digest is recovered without the whitespace, and the other failures point to it."""
    result = verify_document(vectors["Kreo-one__dian-fe19-creditnote-sin-referencia.xml"],
                             at=dt.datetime(2024, 6, 1, tzinfo=dt.timezone.utc))  # fmt: skip
    parts = _failed_parts(result)
    assert parts["signedproperties"].cause == "reindented"
    assert all("re-indented" in c.message for c in parts.values())
