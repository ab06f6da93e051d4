"""The UBL documents minica signs: which kind, which environment, whose, and where the signature goes.

A :class:`UblDocument` is read once from bytes with the hardened parser (the hostile-XML checks run
then, and only then) and keeps both the tree and those bytes, so that choosing the certificate
(environment, supplier NIT) and signing (:func:`minica.signing.xades.sign_document`) share one
parse. The signer uses its :class:`SignatureSlot` to know where DIAN wants the ``ds:Signature``
(``reference/dian-xades-profile.md`` §1): in the ``ext:UBLExtension`` after the one holding
``sts:DianExtensions`` (``UBLExtension[2]``), or in the only extension for AttachedDocument and
payroll (nómina) documents.
"""

from __future__ import annotations

import enum
import functools
from dataclasses import dataclass, field
from typing import NamedTuple

from lxml import etree

from minica.environment import Environment
from minica.errors import InvalidInput, MalformedXml
from minica.signing import namespaces as ns
from minica.signing.xmlsafe import MAX_XML_BYTES, parse_xml

_XML_NS = "http://www.w3.org/XML/1998/namespace"
_XML_ATTRIBUTES = frozenset(f"{{{_XML_NS}}}{name}" for name in ("lang", "space", "base", "id"))
#: The UBL extension elements the signature goes in (the signer makes them where they are missing).
UBL_EXTENSIONS = f"{{{ns.EXT}}}UBLExtensions"
UBL_EXTENSION = f"{{{ns.EXT}}}UBLExtension"
EXTENSION_CONTENT = f"{{{ns.EXT}}}ExtensionContent"
_DIAN_EXTENSIONS = (f"{{{ns.STS}}}DianExtensions", f"{{{ns.STS_OLD}}}DianExtensions")
_SIGNATURE = f"{{{ns.DS}}}Signature"
_CAC = f"{{{ns.CAC}}}"
_CBC = f"{{{ns.CBC}}}"
#: How nearly every document declares its encoding (None: no declaration, which means UTF-8).
UTF8_NAMES = frozenset((None, "UTF-8", "utf-8"))


class DocumentKind(str, enum.Enum):
    """A document type DIAN accepts, named by its root element's local name."""

    INVOICE = "Invoice"
    CREDIT_NOTE = "CreditNote"
    DEBIT_NOTE = "DebitNote"
    APPLICATION_RESPONSE = "ApplicationResponse"
    ATTACHED_DOCUMENT = "AttachedDocument"
    NOMINA_INDIVIDUAL = "NominaIndividual"
    NOMINA_INDIVIDUAL_DE_AJUSTE = "NominaIndividualDeAjuste"

    @property
    def namespace(self) -> str:
        """The root element's namespace URI."""
        return _ROOT_NAMESPACES[self]

    @property
    def is_nomina(self) -> bool:
        return self in (DocumentKind.NOMINA_INDIVIDUAL, DocumentKind.NOMINA_INDIVIDUAL_DE_AJUSTE)

    @property
    def has_dian_extensions(self) -> bool:
        """Whether DIAN's first extension (``sts:DianExtensions``) is expected (TBX AA03/DA16)."""
        return not self.is_nomina and self is not DocumentKind.ATTACHED_DOCUMENT

    @classmethod
    def of_root(cls, root: etree._Element) -> DocumentKind:
        """Recognise a document by its root's namespace and local name, or refuse it."""
        kind = _KINDS_BY_TAG.get(root.tag)
        if kind is not None:
            return kind
        qname = etree.QName(root)
        supported = ", ".join(k.value for k in cls)
        raise MalformedXml(
            f"the root element is {{{qname.namespace or ''}}}{qname.localname}, "
            "which is not a DIAN document",
            f"minica signs UBL 2.1 {supported} in their DIAN namespaces",
        )


_ROOT_NAMESPACES = {
    DocumentKind.INVOICE: ns.INVOICE,
    DocumentKind.CREDIT_NOTE: ns.CREDIT_NOTE,
    DocumentKind.DEBIT_NOTE: ns.DEBIT_NOTE,
    DocumentKind.APPLICATION_RESPONSE: ns.APPLICATION_RESPONSE,
    DocumentKind.ATTACHED_DOCUMENT: ns.ATTACHED_DOCUMENT,
    DocumentKind.NOMINA_INDIVIDUAL: ns.NOMINA_INDIVIDUAL,
    DocumentKind.NOMINA_INDIVIDUAL_DE_AJUSTE: ns.NOMINA_INDIVIDUAL_AJUSTE,
}

_KINDS_BY_TAG = {f"{{{namespace}}}{kind.value}": kind for kind, namespace in _ROOT_NAMESPACES.items()}


class SlotMode(enum.Enum):
    """How the new markup goes in relative to the slot's anchor element."""

    APPEND = "append"  # as the anchor's last child (just before its end tag)
    AFTER = "after"  # as the anchor's next sibling (just after its end tag)
    PREPEND = "prepend"  # as the anchor's first child (after its leading text)


class Wrapper(enum.Enum):
    """Which UBL extension elements must be created around the ``ds:Signature``."""

    NONE = 0  # an empty ext:ExtensionContent is waiting
    EXTENSION = 1  # ext:UBLExtension/ext:ExtensionContent
    EXTENSIONS = 2  # ext:UBLExtensions/ext:UBLExtension/ext:ExtensionContent


class SignatureSlot(NamedTuple):  # not a dataclass: cheaper to define, at every start of minica
    """Where the signature goes: next to or inside ``anchor``, wrapped as ``wrapper`` says."""

    anchor: etree._Element
    mode: SlotMode
    wrapper: Wrapper


@dataclass(frozen=True)
class UblDocument:
    """A parsed DIAN document and the facts the signer and checks need.

    ``data`` is the bytes the tree was parsed from (None for :meth:`from_tree` without them): the
    signer splices the signature into exactly those bytes, so a document from :meth:`from_bytes`
    can be signed without being read again. Signing puts the signature into ``tree`` only while it
    computes the digests and takes it out again, so a document can be looked at (or signed again)
    afterwards.

    ``profile_execution_id`` and ``supplier_nit`` are the raw texts (None when absent): DIAN's own
    payroll skeletons carry placeholders such as ``Ambiente="0"`` and ``NIT="0"``, which must still
    be signable. :attr:`environment` interprets the first. They are read on first use (the signer
    does not need them).
    """

    tree: etree._ElementTree
    kind: DocumentKind
    signed: bool
    data: bytes | None = field(default=None, repr=False, compare=False)

    @classmethod
    def from_bytes(cls, data: bytes, *, max_bytes: int = MAX_XML_BYTES) -> UblDocument:
        """Parse untrusted bytes once, with every hostile-XML check; keeps the bytes for signing.

        Raises HostileXml, MalformedXml (bad XML or unknown root), TypeError for non-bytes. A
        ``bytearray`` or ``memoryview`` is copied once into bytes; ``bytes`` are kept as given.
        """
        if not isinstance(data, (bytes, bytearray, memoryview)):
            raise TypeError("a document is read from bytes")
        raw = data if isinstance(data, bytes) else bytes(data)
        return cls.from_tree(parse_xml(raw, max_bytes=max_bytes), raw=raw)

    @classmethod
    def from_tree(cls, tree: etree._ElementTree, *, raw: bytes | None = None) -> UblDocument:
        """Wrap a tree already parsed by :func:`minica.signing.xmlsafe.parse_xml`.

        ``raw`` are the bytes it was parsed from: with them the document can be signed, and when
        they cannot hold a ``Signature`` element the walk through a multi-megabyte tree looking for
        one is skipped.
        """
        root = tree.getroot()
        kind = DocumentKind.of_root(root)
        return cls(tree=tree, kind=kind, signed=_has_signature(root, raw, tree.docinfo.encoding), data=raw)

    @property
    def root(self) -> etree._Element:
        return self.tree.getroot()

    @functools.cached_property
    def profile_execution_id(self) -> str | None:
        """``cbc:ProfileExecutionID`` (nómina: ``InformacionGeneral/@Ambiente``) as written."""
        return _profile_execution_id(self.root, self.kind)

    @functools.cached_property
    def supplier_nit(self) -> str | None:
        """The issuer's NIT as written (supplier party, SenderParty, or ``Empleador/@NIT``)."""
        return _supplier_nit(self.root, self.kind)

    @property
    def environment_field(self) -> str:
        """Where this kind of document names its environment, as a person would look for it."""
        return "InformacionGeneral/@Ambiente" if self.kind.is_nomina else "cbc:ProfileExecutionID"

    @property
    def supplier_nit_field(self) -> str:
        """Where this kind of document names its issuer's NIT."""
        if self.kind.is_nomina:
            return "Empleador/@NIT"
        if self.kind in (DocumentKind.APPLICATION_RESPONSE, DocumentKind.ATTACHED_DOCUMENT):
            return "cac:SenderParty/cac:PartyTaxScheme/cbc:CompanyID"
        return "cac:AccountingSupplierParty/cac:Party/cac:PartyTaxScheme/cbc:CompanyID"

    @property
    def environment(self) -> Environment | None:
        """Producción or habilitación from ProfileExecutionID / ``@Ambiente``; None when absent.

        Raises InvalidInput, naming :attr:`environment_field`, when the value is neither 1 nor 2
        (DIAN's payroll skeletons ship ``Ambiente="0"``).
        """
        value = self.profile_execution_id
        if value is None:
            return None
        if value not in ("1", "2"):
            raise InvalidInput(
                f"{self.environment_field} is '{value}'",
                f"set it to 1 (producción) or 2 (habilitación) in the {self.kind.value}",
            )
        return Environment.from_profile_execution_id(value)

    def signature_slot(self) -> SignatureSlot:
        """Where DIAN wants the signature (profile §1); refuses a signed document.

        1. an empty ``ext:ExtensionContent`` in an extension after DianExtensions' one;
        2. else a new ``ext:UBLExtension`` right after DianExtensions' extension (``UBLExtension[2]``);
        3. without DianExtensions (AttachedDocument, nómina): an empty extension, else a new one at
           the end of ``ext:UBLExtensions`` (nómina ships it empty);
        4. without ``ext:UBLExtensions``: a new one as the root's first child.
        """
        if self.signed:
            raise InvalidInput(
                f"this {self.kind.value} already has a ds:Signature",
                "DIAN allows exactly one signature per document; sign the unsigned original",
            )
        root = self.root
        extensions = _child(root, UBL_EXTENSIONS)
        if extensions is None:
            slot = SignatureSlot(root, SlotMode.PREPEND, Wrapper.EXTENSIONS)
        else:
            slot = _slot_in(extensions)
        _refuse_inherited_xml_attributes(slot.anchor)
        return slot


def _slot_in(extensions: etree._Element) -> SignatureSlot:
    items = [e for e in extensions if e.tag == UBL_EXTENSION]
    dian_index = next(
        (i for i, e in enumerate(items) if _content_child(e, _DIAN_EXTENSIONS) is not None), -1
    )
    for item in items[dian_index + 1 :]:
        content = _child(item, EXTENSION_CONTENT)
        if content is not None and _is_empty(content):
            return SignatureSlot(content, SlotMode.APPEND, Wrapper.NONE)
    if dian_index >= 0:
        return SignatureSlot(items[dian_index], SlotMode.AFTER, Wrapper.EXTENSION)
    return SignatureSlot(extensions, SlotMode.APPEND, Wrapper.EXTENSION)


def _content_child(extension: etree._Element, tags: tuple[str, ...]) -> etree._Element | None:
    content = _child(extension, EXTENSION_CONTENT)
    if content is None:
        return None
    return next((c for c in content if c.tag in tags), None)


def _is_empty(element: etree._Element) -> bool:
    """No child nodes at all (comments included) and at most whitespace text."""
    return len(element) == 0 and not (element.text or "").strip()


def _refuse_inherited_xml_attributes(anchor: etree._Element) -> None:
    # Inclusive C14N 1.0 copies inherited xml:lang/xml:space/xml:base onto each signed apex;
    # lxml's subtree C14N does not, so the digests would disagree with other verifiers.
    node: etree._Element | None = anchor
    while node is not None:
        if not _XML_ATTRIBUTES.isdisjoint(node.keys()):
            raise InvalidInput(
                f"<{etree.QName(node).localname}> carries xml:lang/xml:space/xml:base",
                "DIAN documents do not use them around the signature; remove them before signing",
            )
        node = node.getparent()


def _has_signature(root: etree._Element, raw: bytes | None, encoding: str | None) -> bool:
    if raw is not None and _ascii_compatible(encoding) and b"Signature" not in raw:
        return False
    for _ in root.iter(_SIGNATURE):
        return True
    return False


def _ascii_compatible(encoding: str | None) -> bool:
    """Whether "Signature" is spelled with the same bytes in this encoding as in ASCII."""
    if encoding in UTF8_NAMES:
        return True
    try:
        return "<Signature".encode(encoding or "utf-8") == b"<Signature"
    except (LookupError, UnicodeError):
        return False


def _child(parent: etree._Element | None, tag: str) -> etree._Element | None:
    """The first child element named ``tag``. A loop rather than ``find``: lxml's iterators look one
    match ahead, so after the header element sought they walk every other child, the 3,000 lines of
    a large invoice (a millisecond)."""
    if parent is not None:
        for child in parent:
            if child.tag == tag:
                return child
    return None


def _text(element: etree._Element | None) -> str | None:
    if element is None or element.text is None:
        return None
    return element.text.strip() or None


def _profile_execution_id(root: etree._Element, kind: DocumentKind) -> str | None:
    if kind.is_nomina:
        general = _child(root, f"{{{kind.namespace}}}InformacionGeneral")
        if general is None:  # ajuste: under Reemplazar or Eliminar
            general = root.find(f"*/{{{kind.namespace}}}InformacionGeneral")
        value = None if general is None else general.get("Ambiente")
        return value.strip() if value and value.strip() else None
    return _text(_child(root, f"{_CBC}ProfileExecutionID"))


def _supplier_nit(root: etree._Element, kind: DocumentKind) -> str | None:
    if kind.is_nomina:
        employer = _child(root, f"{{{kind.namespace}}}Empleador")
        if employer is None:
            employer = root.find(f"*/{{{kind.namespace}}}Empleador")
        value = None if employer is None else employer.get("NIT")
        return value.strip() if value and value.strip() else None
    if kind in (DocumentKind.APPLICATION_RESPONSE, DocumentKind.ATTACHED_DOCUMENT):
        tax_scheme = _child(_child(root, f"{_CAC}SenderParty"), f"{_CAC}PartyTaxScheme")
    else:
        supplier = _child(_child(root, f"{_CAC}AccountingSupplierParty"), f"{_CAC}Party")
        tax_scheme = _child(supplier, f"{_CAC}PartyTaxScheme")
    return _text(_child(tax_scheme, f"{_CBC}CompanyID"))
