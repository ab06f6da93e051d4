"""The verifier on real DIAN vectors: verdicts as in SOURCES.md, cross-checked with xmlsec1."""

from __future__ import annotations

import datetime as dt
import subprocess

import pytest
from lxml import etree
from verify_kit import VECTORS, VERDICTS, failing

from minica.signing.verifier import verify_document

#: Rules that depend on *our* trust and time, not on the signature itself.
CERTIFICATE_RULES = {"ZD05", "ZD07", "ZD04", "MINICA-KEY-USAGE", "DC24"}
#: A time inside the validity of the 2017–2020 Andes test certificate and after every SigningTime.
AT_2020 = dt.datetime(2020, 6, 1, tzinfo=dt.timezone.utc)
XMLSEC = [
    "xmlsec1", "--verify", "--insecure", "--enabled-key-data", "x509",
    "--id-attr:Id", "http://uri.etsi.org/01903/v1.3.2#:SignedProperties",
    "--id-attr:Id", "http://www.w3.org/2000/09/xmldsig#:KeyInfo",
]


def _zero2(result: object) -> list[tuple[str, str]]:
    return [(c.rule, c.message.split(":")[0]) for c in result.checks if c.rule == "ZE02" and c.status == "fail"]  # type: ignore[attr-defined]


@pytest.mark.parametrize("name", sorted(VERDICTS))
def test_vector_verdict(name: str, vectors: dict[str, bytes]) -> None:
    result = verify_document(vectors[name], at=AT_2020)
    verdict = VERDICTS[name]
    if verdict == "VALID":
        assert result.intact and result.signature_valid
        assert set(failing(result)) <= CERTIFICATE_RULES, failing(result)
        assert "ZD05" in failing(result) and not result.trusted  # their CAs are not ours
        assert result.signer is not None and result.signed_document is not None
    elif verdict == "PARTIAL":
        assert result.signature_valid and not result.intact
        failed_refs = [c.message for c in result.checks if c.rule == "ZE02" and c.status == "fail"]
        assert len(failed_refs) == 1 and "URI=''" in failed_refs[0] and "document" in failed_refs[0]
        assert set(failing(result)) - {"ZE02"} <= CERTIFICATE_RULES
        assert result.signed_document is None
    else:
        assert not result.intact and not result.signature_valid and not result.valid
        assert result.signer is None
        assert len(_zero2(result)) == 4  # three digests and the SignatureValue


@pytest.mark.parametrize(
    "name", [n for n, v in sorted(VERDICTS.items()) if v == "VALID" and "facho" not in n]
)
def test_valid_dian_vectors_pass_every_signature_check_inside_validity(name: str, vectors: dict[str, bytes]) -> None:
    result = verify_document(vectors[name], at=AT_2020)
    assert failing(result) == ["ZD05"]
    assert result.signing_time is not None and result.policy is not None
    assert result.policy.startswith("https://facturaelectronica.dian.gov.co/politicadefirma/")


def test_valid_vectors_fail_validity_outside_it(vectors: dict[str, bytes]) -> None:
    result = verify_document(
        vectors["Kreo-one__dian-fe19-creditnote.xml"], at=dt.datetime(2024, 1, 1, tzinfo=dt.timezone.utc)
    )
    assert set(failing(result)) == {"ZD05", "ZD07"}
    assert "expired" in next(c for c in result.checks if c.rule == "ZD07").message


def test_facho_vector_signature_is_fine_but_certificate_is_not(vectors: dict[str, bytes]) -> None:
    at = dt.datetime(2025, 1, 1, tzinfo=dt.timezone.utc)
    result = verify_document(vectors["bit4bit__facho-selfsigned-invoice.xml"], at=at)
    assert result.intact and result.signature_valid
    assert set(failing(result)) == {"ZD05", "MINICA-KEY-USAGE"}


def test_facho_vector_trusted_when_its_own_certificate_is_the_anchor(vectors: dict[str, bytes]) -> None:
    data = vectors["bit4bit__facho-selfsigned-invoice.xml"]
    first = verify_document(data, at=dt.datetime(2025, 1, 1, tzinfo=dt.timezone.utc))
    assert first.signer is not None
    result = verify_document(data, at=dt.datetime(2025, 1, 1, tzinfo=dt.timezone.utc), trust=[first.signer])
    assert result.trusted and failing(result) == ["MINICA-KEY-USAGE"]


def test_signed_document_is_what_was_hashed_without_the_signature(vectors: dict[str, bytes]) -> None:
    result = verify_document(vectors["Kreo-one__dian-fe19-creditnote.xml"], at=AT_2020)
    root = result.signed_document
    assert root is not None and etree.QName(root).localname == "CreditNote"
    assert root.find(".//{http://www.w3.org/2000/09/xmldsig#}Signature") is None
    assert result.to_json()["valid"] is False and result.to_json()["checks"][0]["rule"] == "DC01"


@pytest.mark.parametrize("name", sorted(VERDICTS))
def test_xmlsec1_agrees(name: str, vectors: dict[str, bytes]) -> None:
    """Two independent verifiers: xmlsec1's OK/FAIL equals our intact-and-signature-valid."""
    run = subprocess.run([*XMLSEC, str(VECTORS / name)], capture_output=True, timeout=60, check=False)
    xmlsec_ok = run.returncode == 0
    ours = verify_document(vectors[name], at=AT_2020)
    assert xmlsec_ok == (ours.intact and ours.signature_valid)
    assert xmlsec_ok == (VERDICTS[name] == "VALID")
