"""Each document is parsed once, and copied at most once, on its way through ``Signer.sign`` (issue 14).

Counted, not timed: the calls into lxml's parser and into the hostile-XML pre-scan
(:func:`minica.signing.xmllimits.scan`, which :func:`minica.signing.xmlsafe.parse_xml` runs once per
parse), and the memory Python allocates while a large document is signed.
"""

from __future__ import annotations

import sys
import tracemalloc
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
from lxml import etree
from parse_counter import count_parses

from minica.signing.document import UblDocument
from minica.signing.service import Signer
from minica.storage.keystore import Keystore

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture
def parses(monkeypatch: pytest.MonkeyPatch) -> Counter[str]:
    return count_parses(monkeypatch)


@pytest.fixture
def signer(pki: Any) -> Signer:
    return Signer(Keystore(pki.signer_key, pki.signer, (pki.issuing,)), anchors=(pki.root,))


def test_signer_sign_parses_bytes_once(
    signer: Signer, parses: Counter[str], testdata: Path, signing_time: Any
) -> None:
    for name in ("invoice-habilitacion.xml", "nomina-individual.xml", "attacheddocument.xml"):
        data = (testdata / name).read_bytes()
        parses.clear()
        signer.sign(data, signing_time=signing_time)
        assert parses == {"lxml": 1, "scan": 1}, name


def test_a_read_document_is_not_parsed_again(
    signer: Signer, parses: Counter[str], testdata: Path, signing_time: Any
) -> None:
    document = UblDocument.from_bytes((testdata / "invoice-habilitacion.xml").read_bytes())
    assert parses == {"lxml": 1, "scan": 1}
    parses.clear()
    before = etree.tostring(document.tree)
    first = signer.sign(document, signing_time=signing_time)
    second = signer.sign(document, signing_time=signing_time)  # the tree is left as it was
    assert parses == {}
    assert etree.tostring(document.tree) == before
    assert first != second and len(first) == len(second)  # a new signature Id, the same shape


def test_a_tree_without_its_bytes_cannot_be_signed(
    signer: Signer, testdata: Path, signing_time: Any
) -> None:
    tree = etree.fromstring((testdata / "invoice-habilitacion.xml").read_bytes()).getroottree()
    with pytest.raises(ValueError, match="from_bytes"):
        signer.sign(UblDocument.from_tree(tree), signing_time=signing_time)


def test_a_large_document_is_copied_once(signer: Signer, signing_time: Any) -> None:
    sys.path.insert(0, str(REPO / "testdata"))
    try:
        from generate_samples import invoice_xml
    finally:
        sys.path.remove(str(REPO / "testdata"))
    data = invoice_xml(1500).encode("utf-8")  # ~3.4 MB: its canonical form is streamed into the hash
    assert len(data) > 3_000_000
    signer.sign(data, signing_time=signing_time)  # warm caches (certificate text, regexes)
    tracemalloc.start()
    try:
        signed = signer.sign(data, signing_time=signing_time)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    # Python-side memory (lxml's tree is not traced): the output, plus less than a tenth of a copy.
    assert len(signed) <= peak < len(data) * 1.1
