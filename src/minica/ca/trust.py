"""Path validation against trust anchors, at a given time.

A small, explicit builder: DIAN's chains are two or three certificates long, and the checks that
matter here (issuer signature, validity at the time, CA flag) are few. It deliberately does not
enforce TLS-specific rules (extended key usage, host names) that ``cryptography``'s verifier does.
"""

from __future__ import annotations

import datetime as _dt
from collections.abc import Sequence
from typing import NamedTuple

from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes

_SHA256 = hashes.SHA256()


class ChainResult(NamedTuple):  # not a dataclass: cheaper to define, at every start of minica
    """The outcome of building a path: the chain (leaf first) or why there is none."""

    trusted: bool
    chain: tuple[x509.Certificate, ...]
    problem: str | None = None


def _is_ca(cert: x509.Certificate) -> bool:
    try:
        return bool(cert.extensions.get_extension_for_class(x509.BasicConstraints).value.ca)
    except x509.ExtensionNotFound:
        return False


def _signed_by(cert: x509.Certificate, issuer: x509.Certificate) -> bool:
    if cert.issuer != issuer.subject:
        return False
    try:
        cert.verify_directly_issued_by(issuer)
    except (InvalidSignature, ValueError, TypeError):
        return False
    return True


def _within(cert: x509.Certificate, at: _dt.datetime) -> bool:
    return cert.not_valid_before_utc <= at <= cert.not_valid_after_utc


class ChainPath(NamedTuple):
    """The path from a leaf towards the trust anchors, as far as it goes: which CA signed which
    certificate and whether each is a CA does not change, so a signer finds its path once and
    judges only the CAs' validity at each signing time (:meth:`at`)."""

    chain: tuple[x509.Certificate, ...]
    trusted: bool
    problem: str | None = None

    def at(self, at: _dt.datetime) -> ChainResult:
        """The path judged at ``at``: every CA on it must be within its validity then."""
        for index, issuer in enumerate(self.chain[1:], start=1):
            if not _within(issuer, at):
                return ChainResult(
                    False, self.chain[:index],
                    f"CA '{issuer.subject.rfc4514_string()}' is not valid at {at.isoformat()}",
                )
        return ChainResult(self.trusted, self.chain, self.problem)


def chain_path(
    leaf: x509.Certificate,
    *,
    anchors: Sequence[x509.Certificate],
    intermediates: Sequence[x509.Certificate] = (),
) -> ChainPath:
    """Find the path from ``leaf`` to one of ``anchors`` through ``intermediates``, whatever the
    time: each certificate's first issuer in the pool that signed it, which must be a CA."""
    if not anchors:
        return ChainPath((leaf,), False, "no trust anchors given")
    anchor_fps = {a.fingerprint(_SHA256) for a in anchors}
    pool = list(intermediates) + list(anchors)
    chain = [leaf]
    current = leaf
    for _ in range(8):  # path length bound; real chains are 2 or 3 long
        if current.fingerprint(_SHA256) in anchor_fps and current is not leaf:
            return ChainPath(tuple(chain), True)
        issuers = [c for c in pool if _signed_by(current, c)]
        if not issuers:
            if current.fingerprint(_SHA256) in anchor_fps:
                return ChainPath(tuple(chain), True)
            return ChainPath(
                tuple(chain), False, f"no trusted issuer found for '{current.issuer.rfc4514_string()}'"
            )
        issuer = issuers[0]
        if not _is_ca(issuer):
            return ChainPath(tuple(chain), False, f"'{issuer.subject.rfc4514_string()}' is not a CA")
        chain.append(issuer)
        if issuer.fingerprint(_SHA256) in anchor_fps:
            return ChainPath(tuple(chain), True)
        current = issuer
    return ChainPath(tuple(chain), False, "certificate path too long")


def build_chain(
    leaf: x509.Certificate,
    *,
    anchors: Sequence[x509.Certificate],
    intermediates: Sequence[x509.Certificate] = (),
    at: _dt.datetime,
) -> ChainResult:
    """Find a path from ``leaf`` to one of ``anchors`` through ``intermediates``.

    Every CA certificate on the path must be a CA, within its validity at ``at`` and the signer of
    the certificate below it. The leaf's own validity is *not* judged here (callers report expiry
    separately, with its own message).
    """
    return chain_path(leaf, anchors=anchors, intermediates=intermediates).at(at)
