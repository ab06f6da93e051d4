"""End to end: a company signs with the vendor's loaned certificate only while the loan lasts."""

from __future__ import annotations

from pathlib import Path

from pdf_samples import signed_letter
from request_support import FORM, STORE_PASSWORD, at
from support import Cli

from minica.ca.requests import form as request_form
from minica.ca.requests import process, vendor
from minica.storage.database import Database
from minica.storage.home import Home

INVOICE = Path(__file__).resolve().parents[2] / "testdata" / "invoice-habilitacion.xml"


def test_signing_with_the_loaned_certificate_stops_when_the_loan_ends(ca_home: Home, tmp_path: Path) -> None:
    vendor.issue_vendor_certificate(ca_home, at(), store_password=b"Proveedor#2026")
    partial = {k: v for k, v in FORM.items() if not k.startswith("representante")}
    radicado = process.file_request(
        ca_home, at(), request_form.validate_form(partial, require_representative=False), STORE_PASSWORD,
        channel="vendor",
    ).radicado
    vendor.start_loan(ca_home, at(), radicado, {k: FORM[k] for k in request_form.REPRESENTATIVE_FIELDS})
    letter = tmp_path / "carta-firmada.pdf"
    letter.write_bytes(signed_letter(vendor.exoneration_letter(ca_home, at(), radicado)))
    vendor.upload_letter(ca_home, at(days=1), radicado, letter)
    with Database.open(ca_home) as db:
        serial = vendor.settings(db.connection).serial
    assert serial
    password = tmp_path / "vendor-password.txt"
    password.write_text("Proveedor#2026")
    run = Cli(ca_home)
    during, after = tmp_path / "during.xml", tmp_path / "after.xml"

    ok = run("sign", str(INVOICE), "-o", str(during), "--serial", serial, "--password-file", str(password),
             at=at(days=2).now().isoformat())
    assert ok.exit_code == 0, ok.stderr
    refused = run("sign", str(INVOICE), "-o", str(after), "--serial", serial, "--password-file", str(password),
                  at=at(days=2 + vendor.DEFAULT_LOAN_DAYS).now().isoformat())
    assert refused.exit_code == 1
    assert "get your own certificate" in refused.stderr
    assert not after.exists()
