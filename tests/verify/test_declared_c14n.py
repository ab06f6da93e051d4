"""ZE02 is computed with the canonicalization the signature declares; DC03 says it is not DIAN's.

A signature made with exclusive C14N (Node/xadesjs' default) is cryptographically intact: xmlsec1
verifies it. minica reports that as intact and correctly signed, and fails only the profile rules
(DC03 for ds:SignedInfo, DC07 / MINICA-TRANSFORMS for the references' transforms).
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
from pathlib import Path

import mistaken_signers as signers
import pytest
from lxml import etree
from verify_kit import NS, failing, message

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


# --- exclusive C14N with its ec:InclusiveNamespaces PrefixList (xadesjs, Santuario, WSS4J) ------


def _rules_failing_except_profile(result) -> set[str]:
    return set(failing(result)) - {"DC03", "DC07", "MINICA-TRANSFORMS"}


def test_exclusive_c14n_with_prefix_list_is_intact(pki, verify, tmp_path: Path) -> None:
    """ec:InclusiveNamespaces inside ds:CanonicalizationMethod and every ds:Transform: allowed by the
    shape checks, and its PrefixList used, so ZE02 passes as xmlsec1 says; only the profile fails."""
    data = signers.sign(pki, c14n=signers.EXC_C14N, transform=signers.EXC_C14N, prefixes="ext cbc sts")
    assert data.count(b"<ec:InclusiveNamespaces ") == 4  # SignedInfo and the three references
    path = tmp_path / "signed.xml"
    path.write_bytes(data)
    assert signers.xmlsec1(path) == (True, None)
    result = verify(data)
    assert set(failing(result)) == {"DC03", "DC07", "MINICA-TRANSFORMS"}
    assert all(c.status == "pass" for c in result.check("ZE02"))
    assert result.intact and result.signature_valid and result.trusted and not result.profile
    shape = [c for c in result.checks if c.rule.startswith("MINICA-SIGNATURE")]
    assert shape and all(c.status == "pass" for c in shape)


def test_prefix_list_changes_what_is_digested(pki, verify) -> None:
    """The PrefixList is honoured: without it the KeyInfo digest and the SignatureValue would not
    match, and a document whose PrefixList was edited after signing fails ZE02."""
    data = signers.sign(pki, c14n=signers.EXC_C14N, transform=signers.EXC_C14N, prefixes="ext cbc sts")
    root = etree.fromstring(data)
    key_info = root.find(".//ds:KeyInfo", NS)
    plain = base64.b64encode(hashlib.sha256(etree.tostring(key_info, method="c14n", exclusive=True)).digest())
    assert plain.decode() not in data.decode()  # the declared digest is not plain exclusive C14N's
    edited = verify(data.replace(b'PrefixList="ext cbc sts"', b'PrefixList="ext"'))
    assert not edited.signature_valid and "ZE02" in failing(edited)


def test_default_in_prefix_list_as_xmlsec1_signs_it(pki, verify, tmp_path: Path) -> None:
    """``#default`` treats the default namespace inclusively (libxml2 does; lxml's C14N passes over
    it): a document xmlsec1 signed with it verifies, and one signed ignoring it fails where xmlsec1
    says it fails (the KeyInfo reference, the first whose canonical form changes)."""
    ignoring = signers.sign(pki, c14n=signers.EXC_C14N, transform=signers.EXC_C14N, prefixes="#default ext")
    path = tmp_path / "ignoring.xml"
    path.write_bytes(ignoring)
    assert signers.xmlsec1(path) == (False, 2)
    wrong = verify(ignoring)
    assert not wrong.intact and not wrong.signature_valid
    assert "reference #2" in message(wrong, "ZE02")
    honoured = signers.xmlsec1_sign(pki, ignoring, tmp_path)
    path.write_bytes(honoured)
    assert signers.xmlsec1(path) == (True, None)
    result = verify(honoured)
    assert _rules_failing_except_profile(result) == set()
    assert result.intact and result.signature_valid


def test_inclusive_namespaces_declared_with_inclusive_c14n_is_refused(pki, verify) -> None:
    """ec:InclusiveNamespaces is a parameter of exclusive C14N only: elsewhere it is off-profile."""
    data = signers.sign(pki, prefixes="ext")  # inclusive C14N: the template writes no ec: element
    assert b"InclusiveNamespaces" not in data
    data = signers.sign(pki, c14n=signers.EXC_C14N, prefixes="ext")
    moved = data.replace(
        f'Algorithm="{signers.EXC_C14N}">'.encode(), f'Algorithm="{signers.C14N}">'.encode(), 1
    )
    result = verify(moved)
    assert "MINICA-SIGNATURE-ELEMENT" in failing(result)
    assert "a parameter of exclusive C14N only" in message(result, "MINICA-SIGNATURE-ELEMENT")
