"""Why a digest or the SignatureValue does not match: the wrong computations real signers make.

When a reference digest (or the SignatureValue) fails, "the content was changed after signing" is
only one explanation, and usually the wrong one: DIAN's rejections (ZE02, "Valor de la firma
inválido") mostly come from signers that compute the right thing the wrong way. This module
recomputes what such signers compute and names the one whose digest equals the one in the
signature. A match is proof (equal SHA-2 digests), so the hint can point the signer to its bug:

* ``document-without-signature-extension``: the document digested before the ``ext:UBLExtension``
  holding the signature was inserted (``document-without-extensions``: before the whole
  ``ext:UBLExtensions`` was);
* ``out-of-context``: ``ds:KeyInfo``, ``xades:SignedProperties`` or ``ds:SignedInfo``
  canonicalized as a detached copy, without the namespace declarations it inherits in the document
  (inclusive C14N carries them);
* ``exclusive-c14n`` / ``inclusive-c14n``: the other of the two algorithms than the one declared;
* ``reindented``: the content matches once the whitespace-only text between tags is removed: it
  was signed compact and re-indented (pretty-printed) after signing. Re-indentation cannot be
  undone in general, so this is the one case minica can prove: a document signed with
  indentation of its own and re-indented differently only shows as unexplained;
* ``signing-time``: ``xades:SignedProperties`` digested without ``xades:SigningTime`` (or empty),
  or with another SigningTime: the same instant written another way (zone, precision), or one up
  to two seconds away at the written precision;
* ``digest-algorithm`` / ``hex-digest``: the DigestValue is another hash than the DigestMethod
  declares, or the base64 of the digest's hex text;
* for the SignatureValue: ``wrong-key`` (not made with the KeyInfo certificate's key),
  ``signature-hash`` (another hash than the SignatureMethod declares) and
  ``signed-info-as-written`` (the text of ``ds:SignedInfo`` as the signer wrote it, not its
  canonical form), besides the canonicalization mistakes above;
* ``unexplained``: none of these.

Bounded work, only after a failure: at most six extra canonicalizations per failed part (each
bounded by :mod:`~minica.signing.xmllimits`), one RSA public-key operation, and for SigningTime at
most a few thousand hashes of the canonical SignedProperties, tried only when it is small.
Nothing here changes the verdict, and every change to the tree is undone before returning.
"""

from __future__ import annotations

import copy
import datetime as _dt
import hashlib
import re
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from lxml import etree

from minica.clock import COLOMBIA, UTC
from minica.signing import canonical
from minica.signing import namespaces as ns
from minica.signing.canonical import Canonicalization
from minica.signing.checks_properties import read_xsd_datetime
from minica.signing.checks_structure import Reference, SignatureParts

_EXT = f"{{{ns.EXT}}}"
_XADES = f"{{{ns.XADES}}}"
_BLANK = " \t\r\n"
#: DER DigestInfo prefixes of PKCS#1 v1.5 signatures (with and without the NULL parameters).
_DIGEST_INFO = {
    bytes.fromhex(prefix): name
    for name, prefixes in {
        "sha1": ("3021300906052b0e03021a05000414", "301f300706052b0e03021a0414"),
        "sha256": ("3031300d060960864801650304020105000420", "302f300b0609608648016503040201" "0420"),
        "sha384": ("3041300d060960864801650304020205000430", "303f300b0609608648016503040202" "0430"),
        "sha512": ("3051300d060960864801650304020305000440", "304f300b0609608648016503040203" "0440"),
    }.items()
    for prefix in prefixes
}
#: SigningTime variants are hashed only when the canonical SignedProperties is at most this big.
MAX_SIGNING_TIME_BYTES = 64 * 1024
#: How far (in units of the written precision, and at most two seconds) SigningTime is searched.
MAX_SIGNING_TIME_STEPS = 2000


@dataclass(frozen=True)
class Finding:
    """A signer mistake that reproduces the value in the signature: its code and the hint."""

    cause: str
    text: str


#: How a finding is named when another one, giving the same bytes, is reported first.
_SAME_BYTES = {
    "exclusive-c14n": "exclusive C14N",
    "inclusive-c14n": "inclusive C14N",
    "out-of-context": "canonicalizing it out of the document",
    "reindented": "removing the whitespace between tags",
}


@dataclass(frozen=True)
class Explanation:
    """What a failed check says after the mismatch: the hint and the cause code."""

    text: str
    cause: str


def _hash(name: str, data: bytes) -> bytes:
    return hashlib.new(name, data).digest()


@contextmanager
def _without_blank_text(root: etree._Element, emptied: etree._Element | None = None) -> Iterator[bool]:
    """Remove the whitespace-only text between tags under ``root`` (not a leaf's own text, except
    in ``emptied``, the element the signature was detached from; not ``root``'s tail); yields
    whether anything was removed, and puts it all back afterwards."""
    saved: list[tuple[etree._Element, str, str]] = []
    for node in root.iter():
        between = len(node) or node is emptied
        if isinstance(node.tag, str) and between and node.text and not node.text.strip(_BLANK):
            saved.append((node, "text", node.text))
            node.text = None
        if node is not root and node.tail and not node.tail.strip(_BLANK):
            saved.append((node, "tail", node.tail))
            node.tail = None
    try:
        yield bool(saved)
    finally:
        for node, where, text in reversed(saved):
            setattr(node, where, text)


def _declarations(missing: list[str | None]) -> str:
    names = ["xmlns" if p is None else f"xmlns:{p}" for p in missing]
    shown = ", ".join(sorted(names)[:4])
    return shown + (", …" if len(names) > 4 else "")


class Diagnosis:
    """Explains the failed digests and SignatureValue of one signature.

    ``data`` are the document's bytes as received (the SignatureValue may have been computed over
    ``ds:SignedInfo`` exactly as written there).
    """

    def __init__(self, parts: SignatureParts, data: bytes) -> None:
        self.parts = parts
        self.data = data
        self._reindented: list[str] = []

    # --- the three kinds of failure -------------------------------------------------------------

    def fragment(self, ref: Reference, name: str, expected: bytes, primary: bytes) -> list[Finding]:
        """Why ``ref`` (to ds:KeyInfo or xades:SignedProperties) does not match ``expected``."""
        target, algorithm = ref.target, ref.canonicalization
        assert target is not None and algorithm is not None
        what = "ds:KeyInfo" if ref.role == "keyinfo" else "xades:SignedProperties"

        def matches(data: bytes) -> bool:
            return _hash(name, data) == expected

        found = self._encoding(name, expected, primary)
        found += self._canonical_mistakes(what, target, algorithm, matches)
        if ref.role == "signedproperties" and not found:
            found += self._signing_time(name, expected, primary)
        self._note(found, what)
        return found

    def document(
        self, name: str, expected: bytes, primary: bytes, tree: etree._ElementTree,
        algorithm: Canonicalization, content: etree._Element | None,
    ) -> list[Finding]:
        """Why the ``URI=""`` reference does not match; ``tree`` has the signature detached from
        ``content`` (its former ext:ExtensionContent)."""
        def matches(data: bytes) -> bool:
            return _hash(name, data) == expected

        def compute() -> bytes:
            return algorithm.apply(tree, comments=False)

        found = self._encoding(name, expected, primary)
        found += self._without_extension(content, compute, matches)
        other = canonical.alternative(algorithm)
        if matches(other.apply(tree, comments=False)):
            found.append(self._other_c14n("the document", algorithm, other))
        with _without_blank_text(tree.getroot(), content) as stripped:
            if stripped and matches(compute()):
                found.append(self._reindent("the document"))
        self._note(found, "the document")
        return found

    def signature_value(self, key: rsa.RSAPublicKey, value: bytes, declared: str) -> list[Finding]:
        """Why ``value`` does not verify over ds:SignedInfo with ``key`` (``declared``: the hash
        the SignatureMethod names)."""
        signed_info, algorithm = self.parts.signed_info, self.parts.canonicalization
        assert signed_info is not None and algorithm is not None
        try:
            info = key.recover_data_from_signature(value, padding.PKCS1v15(), None)
        except (InvalidSignature, ValueError):
            return [Finding(
                "wrong-key",
                "the value was not made with the key of the ds:KeyInfo certificate: the signer put "
                "another certificate in ds:X509Certificate than the one whose key signed (a CA "
                "certificate of the keystore?), or the value was damaged",
            )]
        prefix = next((p for p in _DIGEST_INFO if info.startswith(p)), None)
        if prefix is None:
            return [Finding("wrong-key", "the value decrypts with the certificate's key but holds "
                            "no PKCS#1 v1.5 DigestInfo: it was not made as an RSA PKCS#1 v1.5 signature")]
        name, digest = _DIGEST_INFO[prefix], info[len(prefix):]
        found: list[Finding] = []
        if name != declared:
            found.append(Finding(
                "signature-hash",
                f"the value was computed with {name}, but ds:SignatureMethod says rsa-{declared}: "
                "sign with the hash the SignatureMethod names",
            ))

        def matches(data: bytes) -> bool:
            return _hash(name, data) == digest

        if found and matches(algorithm.apply(signed_info)):
            return found
        found += self._canonical_mistakes("ds:SignedInfo", signed_info, algorithm, matches, comments=None)
        written = self._as_written(signed_info)
        if written is not None and matches(written):
            found.append(Finding(
                "signed-info-as-written",
                "it signs the text of ds:SignedInfo as the signer wrote it, not its canonical form "
                "(which carries the namespace declarations in scope, such as xmlns:ds): sign the "
                f"{algorithm.name} of ds:SignedInfo in the final document",
            ))
        self._note(found, "ds:SignedInfo")
        return found

    def explain(self, found: list[Finding]) -> Explanation:
        """The hint for a failed check: the first finding (others giving the same bytes named
        after it), or why nothing was found."""
        if found:
            first, others = found[0], found[1:]
            same = ""
            if others:
                named = [_SAME_BYTES.get(f.cause, f.cause) for f in others]
                same = f" ({' and '.join(named)} {'gives' if len(named) == 1 else 'give'} the same bytes)"
            return Explanation(first.text + same, first.cause)
        text = (
            "no signer mistake minica knows reproduces it: the signed content was changed after "
            "signing, or computed in a way minica does not recognise"
        )
        if self._reindented:
            text += (
                f" (but {' and '.join(self._reindented)} matched once whitespace between tags was "
                "removed: the file was re-indented after signing, which probably changed this too)"
            )
        return Explanation(text, "unexplained")

    # --- the mistakes ---------------------------------------------------------------------------

    def _note(self, found: list[Finding], what: str) -> None:
        if any(f.cause == "reindented" for f in found):
            self._reindented.append(what)

    @staticmethod
    def _encoding(name: str, expected: bytes, primary: bytes) -> list[Finding]:
        for other in ("sha1", "sha256", "sha384", "sha512"):
            if other != name and _hash(other, primary) == expected:
                return [Finding(
                    "digest-algorithm",
                    f"the ds:DigestValue is the {other} of the referenced content, but "
                    f"ds:DigestMethod says {name}: digest with the algorithm you declare",
                )]
        hexed = hashlib.new(name, primary).hexdigest()
        if expected in (hexed.encode(), hexed.upper().encode()):
            return [Finding(
                "hex-digest",
                "the ds:DigestValue is the base64 of the digest written in hex: base64-encode the "
                "digest's bytes, not its hex text",
            )]
        return []

    def _canonical_mistakes(
        self, what: str, target: etree._Element, algorithm: Canonicalization,
        matches: Callable[[bytes], bool], comments: bool | None = False,
    ) -> list[Finding]:
        found: list[Finding] = []
        if not algorithm.exclusive:
            detached = copy.deepcopy(target)
            if matches(algorithm.apply(detached, comments=comments)):
                missing = [p for p in target.nsmap if p not in detached.nsmap]
                found.append(Finding(
                    "out-of-context",
                    f"it is the digest of {what} canonicalized on its own, outside the document, "
                    f"without the namespace declarations it inherits there "
                    f"({_declarations(missing) or 'none'}): canonicalize it in place, in the final "
                    f"document ({algorithm.name} carries the ancestors' declarations)",
                ))
        other = canonical.alternative(algorithm)
        if matches(other.apply(target, comments=comments)):
            found.append(self._other_c14n(what, algorithm, other))
        with _without_blank_text(target) as stripped:
            if stripped and matches(algorithm.apply(target, comments=comments)):
                found.append(self._reindent(what))
        return found

    @staticmethod
    def _other_c14n(what: str, declared: Canonicalization, used: Canonicalization) -> Finding:
        cause = "exclusive-c14n" if used.exclusive else "inclusive-c14n"
        return Finding(
            cause,
            f"it is the digest of {what} canonicalized with {used.name}, but the signature "
            f"declares {declared.name}: canonicalize with the declared algorithm (DIAN requires "
            "inclusive C14N 1.0)",
        )

    @staticmethod
    def _reindent(what: str) -> Finding:
        return Finding(
            "reindented",
            f"it matches once the whitespace between tags is removed: {what} was signed without "
            "line breaks or indentation and re-indented (pretty-printed) after signing; send the "
            "signed bytes unchanged",
        )

    def _without_extension(
        self, content: etree._Element | None, compute: Callable[[], bytes],
        matches: Callable[[bytes], bool],
    ) -> list[Finding]:
        extension = content.getparent() if content is not None else None
        wrapper = extension.getparent() if extension is not None else None
        if extension is None or wrapper is None or extension.tag != _EXT + "UBLExtension":
            return []
        hint = ("it is the digest of this document without the ext:UBLExtension that holds the "
                "signature: the signer digested the document before inserting that wrapper; "
                "insert the ext:UBLExtension (with its empty ext:ExtensionContent) first, then "
                "digest")
        with _removed(extension, keep_tail=False):
            if matches(compute()):
                return [Finding("document-without-signature-extension", hint)]
        if extension.tail:
            with _removed(extension, keep_tail=True):
                if matches(compute()):
                    return [Finding("document-without-signature-extension", hint)]
        if len(wrapper) == 1 and wrapper.getparent() is not None:
            # Inserted as the root's first child (a DOM insertBefore), the wrapper took the text
            # that followed the root's start tag as its tail: try with that text left in place too.
            for keep_tail in (False, True) if wrapper.tail else (False,):
                with _removed(wrapper, keep_tail=keep_tail):
                    if matches(compute()):
                        return [Finding(
                            "document-without-extensions",
                            "it is the digest of this document without ext:UBLExtensions: the signer "
                            "digested the document before adding the extensions wrapper; add "
                            "ext:UBLExtensions/ext:UBLExtension/ext:ExtensionContent first, then digest",
                        )]
        return []

    def _signing_time(self, name: str, expected: bytes, primary: bytes) -> list[Finding]:
        ssp = self.parts.signed_signature_properties
        element = ssp.find(_XADES + "SigningTime") if ssp is not None else None
        if element is None or len(primary) > MAX_SIGNING_TIME_BYTES or len(element):
            return []
        tag = (f"{element.prefix}:" if element.prefix else "") + "SigningTime"
        pattern = re.compile(f"<{re.escape(tag)}>([^<&>\r]*)</{re.escape(tag)}>".encode())
        spots = list(pattern.finditer(primary))
        if len(spots) != 1:
            return []
        spot = spots[0]
        head, tail, written = primary[: spot.start()], primary[spot.end():], spot.group(1).decode()
        start, end = f"<{tag}>".encode(), f"</{tag}>".encode()
        if _hash(name, head + tail) == expected:
            return [self._time_finding("without xades:SigningTime", written)]
        for candidate in _signing_times(written):
            if _hash(name, head + start + candidate.encode() + end + tail) == expected:
                shown = f"with xades:SigningTime '{candidate}'" if candidate else "with an empty xades:SigningTime"
                return [self._time_finding(shown, written)]
        return []

    @staticmethod
    def _time_finding(shown: str, written: str) -> Finding:
        return Finding(
            "signing-time",
            f"it is the digest of xades:SignedProperties {shown} (this file says '{written}'): the "
            "signer digested SignedProperties before setting SigningTime, or wrote it again "
            "afterwards; set SigningTime first, then digest",
        )

    def _as_written(self, signed_info: etree._Element) -> bytes | None:
        tag = ((signed_info.prefix + ":") if signed_info.prefix else "") + "SignedInfo"
        opening = re.search(f"<{re.escape(tag)}[\\s>]".encode(), self.data)
        if opening is None:
            return None
        closing = self.data.find(f"</{tag}>".encode(), opening.start())
        if closing < 0:
            return None
        return self.data[opening.start(): closing + len(tag) + 3]


@contextmanager
def _removed(element: etree._Element, *, keep_tail: bool) -> Iterator[None]:
    """Take ``element`` out of its parent (with its tail, or leaving the tail in place) and put
    it back afterwards."""
    parent = element.getparent()
    assert parent is not None
    index, tail = parent.index(element), element.tail
    previous = element.getprevious()
    before = previous.tail if previous is not None else parent.text
    if keep_tail and tail:
        if previous is not None:
            previous.tail = (previous.tail or "") + tail
        else:
            parent.text = (parent.text or "") + tail
    parent.remove(element)
    try:
        yield
    finally:
        if previous is not None:
            previous.tail = before
        else:
            parent.text = before
        parent.insert(index, element)
        element.tail = tail


def _signing_times(written: str) -> Iterator[str]:
    """SigningTime texts a signer may have digested instead of ``written``: empty, the same
    instant in other zones and precisions, and nearby instants at the written precision."""
    yield ""
    try:
        instant, zone, digits = read_xsd_datetime(written)
    except ValueError:
        return
    digits = min(digits, 6)
    for zone_text, zone_tz in (("-05:00", COLOMBIA), ("Z", UTC), ("+00:00", UTC), ("", COLOMBIA), ("", UTC)):
        for precision in (0, 3, 6):
            text = _format(instant.astimezone(zone_tz), precision, zone_text)
            if text != written:
                yield text
    unit = _dt.timedelta(microseconds=10 ** (6 - digits))
    steps = min(MAX_SIGNING_TIME_STEPS, int(_dt.timedelta(seconds=2) / unit))
    for step in range(1, steps + 1):
        for sign in (-1, 1):
            yield _format(instant + sign * step * unit, digits, zone or "")


def _format(value: _dt.datetime, digits: int, zone: str) -> str:
    text = value.strftime("%Y-%m-%dT%H:%M:%S")
    if digits:
        text += "." + f"{value.microsecond:06d}"[:digits]
    return text + zone
