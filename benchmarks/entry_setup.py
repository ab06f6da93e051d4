"""The work folder every entry-point benchmark reads: a home with a CA and one certificate, the
documents, and what the peers need (the key as PEM for the floor, an xmlsec1 template).

``prepare(folder)`` writes it all and returns a :class:`Work`, which is also saved as
``work.json`` for the child processes (``Work.load``).
"""

from __future__ import annotations

import json
import sys
from dataclasses import asdict, dataclass
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
sys.path[:0] = [str(REPO / "src"), str(REPO / "testdata")]

#: Invoice lines per size: about 17 KiB, 145 KiB and 6.9 MB (the sizes of issue 14's table).
SIZES = {"small": 4, "medium": 60, "large": 3000}
PASSWORD = "Factura#2026"
NIT = "900373987-9"  # the supplier of testdata/generate_samples.py's invoices
BATCH = 2000


@dataclass(frozen=True)
class Work:
    root: str
    home: str
    password_file: str
    store: str  # the habilitación keystore
    key_pem: str  # the same key, unencrypted, for the floor and signxml
    cert_pem: str
    chain_pem: str  # issuing CA then root, for signxml's chain
    root_pem: str
    issuing_pem: str
    unsigned: dict[str, str]  # size → path
    signed: dict[str, str]  # size → path (signed by minica with the chain in KeyInfo)
    template: str  # the small invoice with an xmlsec1 signature template
    batch: str  # a folder of BATCH small invoices

    def save(self) -> None:
        (Path(self.root) / "work.json").write_text(json.dumps(asdict(self), indent=1))

    @classmethod
    def load(cls, folder: Path) -> Work:
        return cls(**json.loads((folder / "work.json").read_text()))


def prepare(folder: Path, *, batch: int = BATCH) -> Work:
    from cryptography.hazmat.primitives import serialization
    from generate_samples import invoice_xml

    from minica.ca.hierarchy import create_authority
    from minica.ca.issuance import IssueRequest, issue_certificate
    from minica.clock import SystemClock
    from minica.environment import Environment
    from minica.identity import Nit
    from minica.signing.service import Signer
    from minica.storage.home import Home
    from minica.storage.keystore import read_keystore

    clock = SystemClock()  # a benchmark signs at the real time, with a certificate valid now
    home = Home(folder / "home")
    authority = create_authority(home, now=clock.now(), key_size=2048)
    issued = issue_certificate(home, IssueRequest(Nit.parse(NIT), "MINICA PRUEBAS S.A.S."),
                               store_password=PASSWORD.encode(), clock=clock)
    store = home.root / issued.store_paths[Environment.HABILITACION]
    keystore = read_keystore(store, PASSWORD.encode())
    pem = serialization.Encoding.PEM
    files = {
        "password_file": (PASSWORD + "\n").encode(),
        "key.pem": keystore.key.private_bytes(pem, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()),
        "cert.pem": keystore.certificate.public_bytes(pem),
        "chain.pem": b"".join(c.public_bytes(pem) for c in (authority.issuing, authority.root)),
        "root.pem": authority.root.public_bytes(pem),
        "issuing.pem": authority.issuing.public_bytes(pem),
    }
    for name, data in files.items():
        (folder / name).write_bytes(data)
    signer = Signer.from_keystore(store, PASSWORD.encode(), trust=[authority.root])
    unsigned, signed = {}, {}
    for size, lines in SIZES.items():
        data = invoice_xml(lines).encode("utf-8")
        unsigned[size] = str(folder / f"{size}.xml")
        signed[size] = str(folder / f"{size}.signed.xml")
        Path(unsigned[size]).write_bytes(data)
        Path(signed[size]).write_bytes(signer.sign(data, signing_time=clock.now(), include_chain=True))
    template = folder / "small.template.xml"
    template.write_bytes(xmlsec_template(Path(unsigned["small"]).read_bytes()))
    lote = folder / "lote"
    lote.mkdir()
    text = invoice_xml(SIZES["small"], number="SETT1")
    for i in range(batch):
        (lote / f"factura-{i:04}.xml").write_text(text.replace("SETT1<", f"SETT{i + 1}<"), encoding="utf-8")
    work = Work(
        root=str(folder), home=str(home.root), password_file=str(folder / "password_file"), store=str(store),
        key_pem=str(folder / "key.pem"), cert_pem=str(folder / "cert.pem"), chain_pem=str(folder / "chain.pem"),
        root_pem=str(folder / "root.pem"), issuing_pem=str(folder / "issuing.pem"), unsigned=unsigned,
        signed=signed, template=str(template), batch=str(lote),
    )
    work.save()
    return work


def xmlsec_template(document: bytes) -> bytes:
    """The invoice with an enveloped signature template where minica puts its signature: what
    ``xmlsec1 --sign`` fills in (XML-DSig only; xmlsec1 writes no XAdES properties)."""
    ds = "http://www.w3.org/2000/09/xmldsig#"
    template = (
        f'<ext:UBLExtension><ext:ExtensionContent><ds:Signature xmlns:ds="{ds}" Id="xmlsec">'
        '<ds:SignedInfo><ds:CanonicalizationMethod Algorithm="http://www.w3.org/TR/2001/REC-xml-c14n-20010315"/>'
        '<ds:SignatureMethod Algorithm="http://www.w3.org/2001/04/xmldsig-more#rsa-sha256"/>'
        '<ds:Reference URI=""><ds:Transforms>'
        '<ds:Transform Algorithm="http://www.w3.org/2000/09/xmldsig#enveloped-signature"/></ds:Transforms>'
        '<ds:DigestMethod Algorithm="http://www.w3.org/2001/04/xmlenc#sha256"/><ds:DigestValue/></ds:Reference>'
        "</ds:SignedInfo><ds:SignatureValue/><ds:KeyInfo><ds:X509Data/></ds:KeyInfo></ds:Signature>"
        "</ext:ExtensionContent></ext:UBLExtension>"
    ).encode()
    end = b"</ext:UBLExtensions>"
    at = document.index(end)
    return document[:at] + template + document[at:]
