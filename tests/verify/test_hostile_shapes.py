"""Hostile XML shapes are refused (or accepted) in bounded time, by the library and by the CLI.

Each shape (issue 10 §3) is built just past one of the limits in :mod:`minica.signing.xmllimits`
(refused with a one-line HostileXml) or right at it (accepted: it signs, and the signature
verifies). Every run happens in a forked child that is killed after :data:`HANG_AFTER` seconds:
a hang detector, not a speed test (before the limits, 50,000 namespace declarations on the root
ran for more than 11 minutes).
"""

from __future__ import annotations

import base64
import codecs
import multiprocessing
import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import verify_kit as kit
from support import NOW, PASSWORD, Cli

from minica.ca.hierarchy import create_authority
from minica.errors import HostileXml
from minica.signing import xades
from minica.signing import xmllimits as limits
from minica.signing.verifier import VerificationResult
from minica.storage.home import Home

HANG_AFTER = 30.0
ROOT = Path(__file__).resolve().parents[2]
INVOICE = (ROOT / "testdata" / "invoice-habilitacion.xml").read_bytes()
SIGNED_AT = kit.t("2026-02-27T15:00:00")
#: The ~20 namespaces a UBL generator may declare: more than any real DIAN document does.
UBL_NAMESPACES = {
    "ccts": "urn:un:unece:uncefact:documentation:2",
    "qdt": "urn:oasis:names:specification:ubl:schema:xsd:QualifiedDatatypes-2",
    "udt": "urn:un:unece:uncefact:data:specification:UnqualifiedDataTypesSchemaModule:2",
    "clm54217": "urn:un:unece:uncefact:codelist:specification:54217:2001",
    "clm66411": "urn:un:unece:uncefact:codelist:specification:66411:2001",
    "clmIANAMIMEMediaType": "urn:un:unece:uncefact:codelist:specification:IANAMIMEMediaType:2003",
    "clm5639": "urn:un:unece:uncefact:codelist:specification:5639:1988",
    "clm8193": "urn:un:unece:uncefact:codelist:specification:8193:2001",
    "sac": "urn:oasis:names:specification:ubl:schema:xsd:SignatureAggregateComponents-2",
    "sbc": "urn:oasis:names:specification:ubl:schema:xsd:SignatureBasicComponents-2",
    "fe": "http://www.dian.gov.co/contratos/facturaelectronica/v1",
}


# --- building shapes inside a real invoice ----------------------------------------------------


Extra = bytes | Callable[[], bytes]


def on_root(extra: Extra) -> Callable[[bytes], bytes]:
    """Add ``extra`` (attributes, or a function making them) to the root element's start tag."""

    def build(base: bytes) -> bytes:
        end = re.search(rb"<Invoice\b[^>]*", base)
        assert end is not None
        return base[: end.end()] + _made(extra) + base[end.end() :]

    return build


def in_body(extra: Extra) -> Callable[[bytes], bytes]:
    """Add ``extra`` (elements, or a function making them) to the body, before the first cbc:Note."""

    def build(base: bytes) -> bytes:
        at = base.index(b"<cbc:Note")
        return base[:at] + _made(extra) + base[at:]

    return build


def _made(extra: Extra) -> bytes:
    return extra if isinstance(extra, bytes) else extra()


def declarations(count: int, *, start: int = 0, uri: bytes = b"urn:x:") -> bytes:
    return b"".join(b' xmlns:p%d="%s%d"' % (i, uri, i) for i in range(start, start + count))


def attributes(count: int) -> bytes:
    return b"".join(b' a%d="v"' % i for i in range(count))


def nested_declarations(count: int) -> bytes:
    """``count`` nested elements, each declaring one more prefix (all in scope at the innermost)."""
    opens = b"".join(b'<p%d:a xmlns:p%d="urn:x:%d">' % (i, i, i) for i in range(count))
    return opens + b"".join(b"</p%d:a>" % i for i in reversed(range(count)))


def many_lines(count: int) -> Callable[[bytes], bytes]:
    """The invoice with its first cac:InvoiceLine repeated ``count`` times (and no other line)."""

    def build(base: bytes) -> bytes:
        first = base.index(b"<cac:InvoiceLine>")
        line = base[first : base.index(b"</cac:InvoiceLine>") + len(b"</cac:InvoiceLine>")]
        last = base.rindex(b"</cac:InvoiceLine>") + len(b"</cac:InvoiceLine>")
        return base[:first] + line * count + base[last:]

    return build


def utf16(build: Callable[[bytes], bytes], *, bom: bool) -> Callable[[bytes], bytes]:
    def encode(base: bytes) -> bytes:
        text = build(base).decode("utf-8").replace('encoding="UTF-8"', 'encoding="UTF-16"')
        return (codecs.BOM_UTF16_LE if bom else b"") + text.encode("utf-16-le")

    return encode


def declared(encoding: str, build: Callable[[bytes], bytes], *, bom: bytes = b"") -> Callable[[bytes], bytes]:
    def relabel(base: bytes) -> bytes:
        return bom + build(base).replace(b'encoding="UTF-8"', f'encoding="{encoding}"'.encode())

    return relabel


def utf7_hiding(segment: Callable[[], bytes]) -> Callable[[bytes], bytes]:
    """The document in UTF-7 with ``segment`` added as one base64 run: libxml2 decodes it into
    markup, but none of its ``<`` or ``=`` shows as a byte."""

    def build(base: bytes) -> bytes:
        text = base.decode("utf-8").replace('encoding="UTF-8"', 'encoding="UTF-7"')
        at = text.index("<cbc:Note")
        hidden = b"+" + base64.b64encode(segment().decode().encode("utf-16-be")).rstrip(b"=") + b"-"
        return text[:at].encode("utf-7") + hidden + text[at:].encode("utf-7")

    return build


def utf32(build: Callable[[bytes], bytes]) -> Callable[[bytes], bytes]:
    return lambda base: build(base).decode("utf-8").replace('encoding="UTF-8"', 'encoding="UTF-32"').encode("utf-32")


def prefixed_attributes_with_long_uris(base: bytes) -> bytes:
    """64 namespaces whose 256-character URIs share 250 characters, and elements carrying an
    attribute in each (C14N compares the URIs while sorting the attributes)."""
    stem = b"urn:" + b"u" * (limits.MAX_NAMESPACE_URI_LENGTH - 7)
    scope = b"".join(b' xmlns:q%d="%s%03d"' % (i, stem, i) for i in range(48))
    element = b"<cbc:Note" + b"".join(b' q%d:b="v"' % i for i in range(48)) + b"/>"
    return on_root(scope)(in_body(element * 2_000)(base))


@dataclass(frozen=True)
class Shape:
    name: str
    build: Callable[[bytes], bytes]
    #: A fragment of the refusal's ``what``; None for a shape that must be accepted.
    refused: str | None


#: Namespace declarations on the invoice's root element.
ON_ROOT = INVOICE[: INVOICE.index(b">", INVOICE.index(b"<Invoice"))].count(b"xmlns")
_ONE_TOO_MANY = on_root(declarations(limits.MAX_NAMESPACES_IN_SCOPE + 1 - ON_ROOT))
def note(content: Extra = b"x", attrs: Extra = b"") -> Callable[[bytes], bytes]:
    """A cbc:Note with ``attrs`` and ``content`` (or functions making them) added to the body."""
    return in_body(lambda: b"<cbc:Note" + _made(attrs) + b">" + _made(content) + b"</cbc:Note>")


def times(part: bytes, count: int) -> Callable[[], bytes]:
    return lambda: part * count


UBL_ON_ROOT = on_root(b"".join(b' xmlns:%s="%s"' % (k.encode(), v.encode()) for k, v in UBL_NAMESPACES.items()))
IN_SCOPE = limits.MAX_NAMESPACES_IN_SCOPE
REFUSED = [
    Shape("namespaces-on-one-element-issue-50000", on_root(lambda: declarations(50_000)), "namespace declarations"),
    Shape("namespaces-on-one-element", _ONE_TOO_MANY, "declares 65 namespaces"),
    Shape("namespaces-in-scope", note(nested_declarations(IN_SCOPE + 1 - ON_ROOT)),
          "65 namespace declarations in scope"),
    Shape("namespaces-in-total", in_body(lambda: b"".join(b'<cbc:Note xmlns:p%d="urn:x">x</cbc:Note>' % i
                                                          for i in range(limits.MAX_NAMESPACE_DECLARATIONS + 1))),
          "namespace declarations"),
    Shape("distinct-prefixes-on-root-times-elements",
          lambda base: on_root(declarations(IN_SCOPE - ON_ROOT))(note(times(b"<a/>", 200_000))(base)),
          "too costly to canonicalize"),
    Shape("distinct-prefixes-on-root-small-invoice", on_root(declarations(IN_SCOPE - ON_ROOT)),
          "too costly to canonicalize"),
    Shape("prefixed-attributes-long-shared-uris", prefixed_attributes_with_long_uris, "too costly to canonicalize"),
    Shape("attributes-on-one-element", note(attrs=attributes(65)), "65 attributes"),
    Shape("attributes-on-one-element-issue-200000", note(attrs=lambda: attributes(200_000)), "200,000 attributes"),
    Shape("attributes-in-total", in_body(lambda: (b"<cbc:Note" + attributes(50) + b"/>") * 20_001), "attributes, over"),
    Shape("deep-nesting", note(b"<a>" * 255 + b"</a>" * 255), "levels deep"),
    Shape("wide-tree", note(times(b"<a/>", limits.MAX_ELEMENTS)), "elements, over"),
    Shape("long-text", note(times(b"x", limits.MAX_TEXT_LENGTH + 1)), "longer than 10,000,000"),
    Shape("long-element-name", in_body(b"<" + b"n" * 50_001 + b"/>"), "name is longer"),
    Shape("long-attribute-name", note(attrs=b" " + b"a" * 50_001 + b'="v"'), "name is longer"),
    Shape("long-prefix", note(attrs=b" xmlns:" + b"p" * 50_001 + b'="urn:x"'), "name is longer"),
    Shape("long-namespace-uri", note(attrs=b' xmlns:q="urn:' + b"u" * 253 + b'"'), "namespace URI is 257"),
    Shape("utf16-with-bom", utf16(_ONE_TOO_MANY, bom=True), "declares 65 namespaces"),
    Shape("utf16-without-bom", utf16(_ONE_TOO_MANY, bom=False), "declares 65 namespaces"),
    Shape("utf8-bom", lambda base: codecs.BOM_UTF8 + _ONE_TOO_MANY(base), "declares 65 namespaces"),
    Shape("utf7-hides-200000-attributes",
          utf7_hiding(lambda: b"<cbc:Note" + attributes(200_000) + b">x</cbc:Note>"), "encoding 'UTF-7'"),
    Shape("utf7-behind-utf8-bom", declared("UTF-7", _ONE_TOO_MANY, bom=codecs.BOM_UTF8), "encoding 'UTF-7'"),
    Shape("utf32", utf32(_ONE_TOO_MANY), "UTF-32"),
]
ACCEPTED = [
    Shape("ubl-namespaces-on-root", UBL_ON_ROOT, None),
    Shape("namespaces-in-scope-at-limit", note(attrs=declarations(IN_SCOPE - ON_ROOT)), None),
    Shape("attributes-on-one-element-at-limit", note(attrs=attributes(64)), None),
    Shape("deep-nesting-at-limit", note(b"<a>" * 254 + b"</a>" * 254), None),
    Shape("wide-tree-under-limit", note(times(b"<a/>", limits.MAX_ELEMENTS - 1_000)), None),
    Shape("long-text-under-limit", note(times(b"x", limits.MAX_TEXT_LENGTH - 100)), None),
    Shape("long-names-at-limit", in_body(b"<" + b"n" * 50_000 + b" " + b"a" * 50_000 + b'="v"/>'), None),
    Shape("long-namespace-uri-at-limit", note(attrs=b' xmlns:q="urn:' + b"u" * 252 + b'"'), None),
    Shape("utf16-invoice", utf16(lambda base: base, bom=True), None),
    Shape("invoice-with-3000-lines", many_lines(3_000), None),
    Shape("invoice-with-3000-lines-and-ubl-namespaces", lambda base: UBL_ON_ROOT(many_lines(3_000)(base)), None),
]


# --- running with a hang detector ---------------------------------------------------------------


def bounded(call: Callable[[], Any]) -> Any:
    """``call()`` in a forked child, killed after HANG_AFTER seconds. Returns what it returned;
    a MinicaError comes back as ``("raised", type name, what, hint)``."""
    context = multiprocessing.get_context("fork")
    receive, send = context.Pipe(duplex=False)

    def child() -> None:
        try:
            send.send(call())
        except HostileXml as exc:
            send.send(("raised", type(exc).__name__, exc.what, exc.hint))
        except BaseException as exc:  # any other failure is reported, never swallowed
            send.send(("crashed", type(exc).__name__, str(exc)[:2000], ""))

    process = context.Process(target=child, daemon=True)
    process.start()
    try:
        if not receive.poll(HANG_AFTER):
            pytest.fail(f"still running after {HANG_AFTER:.0f} s: the shape is not bounded in time")
        return receive.recv()
    finally:
        process.kill()
        process.join()


def assert_refused(outcome: Any, fragment: str) -> None:
    assert isinstance(outcome, tuple) and outcome[0] == "raised", outcome
    _, kind, what, hint = outcome
    assert kind == "HostileXml", outcome
    assert fragment in what, what
    assert hint and "\n" not in what + hint, outcome


def assert_cli_refused(outcome: tuple[int, str, str], fragment: str, *, status: int) -> None:
    code, _stdout, stderr = outcome
    assert code == status, outcome
    lines = stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: ") and " — " in lines[0], stderr
    assert fragment in lines[0] and "Traceback" not in stderr, stderr


@pytest.fixture(scope="module")
def signed_invoice(pki: kit.Pki) -> bytes:
    return xades.sign_document(INVOICE, key=pki.key, certificate=pki.signer, signing_time=SIGNED_AT)


@pytest.fixture(scope="module")
def cli(tmp_path_factory: pytest.TempPathFactory) -> tuple[Cli, Path]:
    """A home with a CA and a certificate for the invoice's supplier, and its password file."""
    root = tmp_path_factory.mktemp("hostile")
    home = Home(root / "home")
    create_authority(home, now=NOW, key_size=2048)
    password = root / "password.txt"
    password.write_text(PASSWORD + "\n")
    run = Cli(home)
    issued = run("issue", "--nit", "900373987-9", "--name", "MINICA PRUEBAS S.A.S.", "--password-file",
                 str(password), "--json")
    assert issued.exit_code == 0, issued.stderr
    return run, password


def cli_outcome(run: Cli, *args: str) -> tuple[int, str, str]:
    result = run(*args)
    return result.exit_code, result.stdout[:4000], result.stderr[:4000]


# --- the tests ----------------------------------------------------------------------------------


@pytest.mark.parametrize("shape", REFUSED, ids=lambda s: s.name)
def test_library_refuses(shape: Shape, signed_invoice: bytes, pki: kit.Pki,
                         verify: Callable[..., VerificationResult]) -> None:
    assert shape.refused is not None
    to_verify, to_sign = shape.build(signed_invoice), shape.build(INVOICE)
    assert_refused(bounded(lambda: verify(to_verify).valid), shape.refused)
    signing = bounded(lambda: len(xades.sign_document(to_sign, key=pki.key, certificate=pki.signer,
                                                      signing_time=SIGNED_AT)))
    assert_refused(signing, shape.refused)


@pytest.mark.parametrize("shape", REFUSED, ids=lambda s: s.name)
def test_cli_refuses(shape: Shape, signed_invoice: bytes, cli: tuple[Cli, Path], tmp_path: Path) -> None:
    assert shape.refused is not None
    run, password = cli
    to_verify, to_sign = tmp_path / "signed.xml", tmp_path / "unsigned.xml"
    to_verify.write_bytes(shape.build(signed_invoice))
    to_sign.write_bytes(shape.build(INVOICE))
    assert_cli_refused(bounded(lambda: cli_outcome(run, "verify", str(to_verify))), shape.refused, status=2)
    signing = bounded(lambda: cli_outcome(run, "sign", str(to_sign), "-o", str(tmp_path / "out.xml"),
                                          "--password-file", str(password)))
    assert_cli_refused(signing, shape.refused, status=2)  # bad input, as everywhere
    assert not (tmp_path / "out.xml").exists()


@pytest.mark.parametrize("shape", ACCEPTED, ids=lambda s: s.name)
def test_library_accepts(shape: Shape, pki: kit.Pki, verify: Callable[..., VerificationResult]) -> None:
    document = shape.build(INVOICE)

    def sign_and_verify() -> tuple[bool, bool]:
        signed = xades.sign_document(document, key=pki.key, certificate=pki.signer, signing_time=SIGNED_AT)
        result = verify(signed)
        return result.valid, result.intact

    assert bounded(sign_and_verify) == (True, True)


@pytest.mark.parametrize("shape", ACCEPTED, ids=lambda s: s.name)
def test_cli_accepts(shape: Shape, cli: tuple[Cli, Path], tmp_path: Path) -> None:
    run, password = cli
    source, signed = tmp_path / "unsigned.xml", tmp_path / "signed.xml"
    source.write_bytes(shape.build(INVOICE))
    signing = bounded(lambda: cli_outcome(run, "sign", str(source), "-o", str(signed), "--password-file",
                                          str(password)))
    assert signing[0] == 0, signing
    verifying = bounded(lambda: cli_outcome(run, "verify", str(signed)))
    assert verifying[0] == 0 and ": VALID" in verifying[1], verifying
