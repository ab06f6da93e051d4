"""After signing, any change to a signed value, or re-indentation, breaks the signature."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from lxml import etree

# (what, original text as it appears once in the signed invoice, replacement)
CHANGES = [
    ("payable amount", '<cbc:PayableAmount currencyID="COP">', '<cbc:PayableAmount currencyID="COP">1'),
    ("supplier NIT", ">900373987</cbc:CompanyID>", ">900373988</cbc:CompanyID>"),
    ("accented note", "Café, Ñandú, Bogotá D.C.", "Cafe, Ñandú, Bogotá D.C."),
    ("accented customer name", "<cbc:Name>Café Ñandú Bogotá Ltda.</cbc:Name>",
     "<cbc:Name>Café Ñandu Bogotá Ltda.</cbc:Name>"),
    ("signing time", "T10:15:30.123-05:00</xades:SigningTime>", "T10:15:31.123-05:00</xades:SigningTime>"),
    ("claimed role", ">supplier</xades:ClaimedRole>", ">third party</xades:ClaimedRole>"),
    ("policy hash", "dMoMvtcG5aIzgYo0tIsSQeVJBDnUnfSOfBpxXrmor0Y=", "dMoMvtcG5aIzgYo0tIsSQeVJBDnUnfSOfBpxXrmor0Z="),
]


@pytest.fixture
def signed_invoice(testdata: Path, sign: Callable[..., bytes]) -> bytes:
    return sign((testdata / "invoice-habilitacion.xml").read_bytes())


def test_untouched_signed_invoice_verifies(
    signed_invoice: bytes, xmlsec_verify: Callable[[bytes], Any]
) -> None:
    assert xmlsec_verify(signed_invoice).returncode == 0


@pytest.mark.parametrize(("what", "old", "new"), CHANGES, ids=[c[0] for c in CHANGES])
def test_changing_a_value_breaks_the_signature(
    what: str, old: str, new: str, signed_invoice: bytes, xmlsec_verify: Callable[[bytes], Any]
) -> None:
    old_bytes, new_bytes = old.encode("utf-8"), new.encode("utf-8")
    assert old_bytes in signed_invoice, what
    tampered = signed_invoice.replace(old_bytes, new_bytes, 1)
    etree.fromstring(tampered)  # still well-formed: only the value changed
    result = xmlsec_verify(tampered)
    assert result.returncode != 0, f"changing the {what} went unnoticed"


def test_reindenting_breaks_the_signature(
    signed_invoice: bytes, xmlsec_verify: Callable[[bytes], Any]
) -> None:
    parser = etree.XMLParser(remove_blank_text=True)
    tree = etree.fromstring(signed_invoice, parser).getroottree()
    pretty = etree.tostring(tree, pretty_print=True, xml_declaration=True, encoding="UTF-8")
    assert pretty != signed_invoice
    assert xmlsec_verify(pretty).returncode != 0


def test_removing_inter_tag_whitespace_breaks_the_signature(
    signed_invoice: bytes, xmlsec_verify: Callable[[bytes], Any]
) -> None:
    parser = etree.XMLParser(remove_blank_text=True)
    tree = etree.fromstring(signed_invoice, parser).getroottree()
    flat = etree.tostring(tree, xml_declaration=True, encoding="UTF-8")
    assert xmlsec_verify(flat).returncode != 0
