"""ZE02 is computed with the canonicalization the signature declares; DC03 says it is not DIAN's.

A signature made with exclusive C14N (Node/xadesjs' default) is cryptographically intact: xmlsec1
verifies it. minica reports that as intact and correctly signed, and fails only the profile rules
(DC03 for ds:SignedInfo, DC07 / MINICA-TRANSFORMS for the references' transforms).
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import mistaken_signers as signers
import pytest
from verify_kit import failing, message

from minica.signing import canonical
from minica.signing.verifier import verify_document

PROFILE_ONLY = {
    "exclusive-signed-info": ({"c14n": signers.EXC_C14N}, {"DC03"}),
    "exclusive-everywhere": ({"c14n": signers.EXC_C14N, "transform": signers.EXC_C14N},
                             {"DC03", "DC07", "MINICA-TRANSFORMS"}),
    "exclusive-with-comments": ({"c14n": canonical.EXC_C14N_WITH_COMMENTS}, {"DC03"}),
    "inclusive-with-comments": ({"c14n": signers.C14N + "#WithComments"}, {"DC03"}),
    "c14n-1.1": ({"c14n": canonical.C14N11, "transform": canonical.C14N11}, {"DC03", "DC07", "MINICA-TRANSFORMS"}),
    "exclusive-reference-transforms": ({"transform": signers.EXC_C14N}, {"DC07", "MINICA-TRANSFORMS"}),
}  # fmt: skip


@pytest.mark.parametrize("case", sorted(PROFILE_ONLY))
def test_declared_algorithm_is_intact_but_off_profile(case: str, pki, verify, tmp_path: Path) -> None:
    options, rules = PROFILE_ONLY[case]
    data = signers.sign(pki, **options)
    path = tmp_path / "signed.xml"
    path.write_bytes(data)
    assert signers.xmlsec1(path) == (True, None)  # an independent verifier accepts the maths
    result = verify(data)
    assert set(failing(result)) == rules
    assert all(c.status == "pass" for c in result.check("ZE02"))
    assert result.intact and result.signature_valid and result.trusted
    assert not result.profile and not result.valid
    assert result.signer is not None  # covered by a verified signature: only the profile is off
    assert "DIAN" in " ".join(message(result, rule) for rule in rules)


def test_exclusive_c14n_message_says_it_is_a_profile_matter(pki, verify) -> None:
    result = verify(signers.sign(pki, c14n=signers.EXC_C14N))
    text = message(result, "DC03")
    assert "exclusive C14N 1.0" in text and "not DIAN's profile" in text
    assert "checked with the declared algorithm" in text
    signature = [c for c in result.check("ZE02") if c.message.startswith("ds:SignatureValue")]
    assert signature[0].status == "pass" and "exclusive C14N 1.0" in signature[0].message


def test_unknown_canonicalization_is_not_computed(pki, verify) -> None:
    result = verify(signers.sign(pki, c14n="http://example.invalid/c14n"))
    assert "DC03" in failing(result) and "minica does not compute" in message(result, "DC03")
    skipped = [c for c in result.check("ZE02") if c.message.startswith("SignatureValue not checked")]
    assert skipped and skipped[0].status == "skip" and not result.signature_valid
    assert result.intact  # the references declare nothing unusual: their digests still match


def test_dian_vectors_still_verify_with_the_declared_algorithm(vectors) -> None:
    """The declared algorithm of every real vector is inclusive C14N 1.0: nothing changes there."""
    for name in ("Kreo-one__dian-fe19-creditnote.xml", "Kreo-one__dian-fe19-consumidor-final-invoice.xml"):
        result = verify_document(vectors[name], at=dt.datetime(2020, 6, 1, tzinfo=dt.timezone.utc))
        assert result.intact and result.signature_valid and result.profile, name
