"""The mistake explanations stay bounded on the largest shapes the verifier accepts.

They run only after a digest or the SignatureValue failed, and then canonicalize a fixed small
number of alternatives (:mod:`minica.signing.diagnosis`). Here every digest of an accepted
worst-case shape (issue 10 §3) is broken, so every explanation runs; each verification must finish
under the hang detector of ``test_hostile_shapes`` and explain (or fail to explain) every part.
"""

from __future__ import annotations

import re
from collections.abc import Callable

import pytest
import verify_kit as kit
from test_hostile_shapes import ACCEPTED, INVOICE, SIGNED_AT, Shape, bounded

from minica.signing import xades
from minica.signing.verifier import VerificationResult

#: The accepted shapes that cost the most to canonicalize (the rest are small invoices).
COSTLY = {"wide-tree-under-limit", "invoice-with-3000-lines-and-ubl-namespaces", "namespaces-in-scope-at-limit",
          "attributes-on-one-element-at-limit", "long-text-under-limit"}  # fmt: skip


def _every_digest_broken(signed: bytes) -> bytes:
    broken, count = re.subn(rb"(<ds:Reference\b.*?<ds:DigestValue>)[^<]*", rb"\g<1>AAAA", signed, flags=re.S)
    assert count == 3
    return broken


@pytest.mark.parametrize("shape", [s for s in ACCEPTED if s.name in COSTLY], ids=lambda s: s.name)
def test_explanations_are_bounded(shape: Shape, pki: kit.Pki, verify: Callable[..., VerificationResult]) -> None:
    signed = xades.sign_document(shape.build(INVOICE), key=pki.key, certificate=pki.signer, signing_time=SIGNED_AT)
    document = _every_digest_broken(signed)

    def causes() -> list[str | None]:
        return [c.cause for c in verify(document).checks if c.rule == "ZE02" and c.failed]

    assert bounded(causes) == ["unexplained"] * 4  # three digests and the SignatureValue
