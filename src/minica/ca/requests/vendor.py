"""The vendor's variant: pay for a certificate, or sign for a while with the vendor's own.

An invoicing-software vendor files requests for its client companies (channel ``vendor``). Such a
request starts in ``pendiente_pago``: it shows the price and the one-year validity and cannot go on
until either

- a payment is recorded (:func:`pay`): the request then follows the CA process like DIAN's, or
- the company takes the vendor's **loaned certificate** (:func:`start_loan`): it gives its legal
  representative's data (every missing field is named), downloads the exoneration letter
  (:func:`exoneration_letter`, a PDF with that data) and uploads it signed (:func:`upload_letter`,
  a PDF of at most 1 MB; the letter as generated, unsigned, is refused). The loan starts at the
  *first* upload — later uploads are kept but do not move it — and lasts ``loan_days`` (default
  :data:`DEFAULT_LOAN_DAYS`). Afterwards :func:`loan_refusal` tells the signing service to refuse,
  and the company must get its own certificate. The next step of the guides, the DIAN test set in
  habilitación, is then up to the company.

The vendor's certificate is issued by this home's CA once (:func:`issue_vendor_certificate`).
"""

from __future__ import annotations

import datetime as _dt
import json
import sqlite3
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from minica.ca.issuance import IssuedCertificate, IssueRequest, issue_certificate
from minica.ca.requests import outbox, pdf, records
from minica.ca.requests.form import REPRESENTATIVE_FIELDS, InvalidRequestForm
from minica.ca.requests.loans import loan_refusal
from minica.ca.requests.process import _require, send_welcome, store_document
from minica.ca.requests.records import Status
from minica.ca.requests.steps import step
from minica.clock import Clock, colombian
from minica.errors import InvalidInput, RefusedOperation
from minica.identity import Nit, PersonType
from minica.storage.database import Database
from minica.storage.home import Home
from minica.storage.recovery import home_transaction

#: How long a loan lasts unless configured otherwise (``minica request vendor --loan-days``).
DEFAULT_LOAN_DAYS = 90
#: What the mock charges for a one-year certificate (COP), unless configured otherwise.
DEFAULT_PRICE_COP = 250_000
VALIDITY = "1 año"
DEFAULT_VENDOR_NIT = "901000000"
DEFAULT_VENDOR_NAME = "PROVEEDOR TECNOLOGICO MOCK S.A.S."


#: The largest amount of money minica records (a trillion pesos; SQLite integers stop at 2**63).
MAX_COP = 10**12


@dataclass(frozen=True)
class VendorSettings:
    serial: str | None
    nit: str | None
    name: str | None
    loan_days: int
    price_cop: int


def settings(conn: sqlite3.Connection) -> VendorSettings:
    data = json.loads(records.get_setting(conn, "vendor") or "{}")
    return VendorSettings(
        serial=data.get("serial"), nit=data.get("nit"), name=data.get("name"),
        loan_days=int(data.get("loan_days", DEFAULT_LOAN_DAYS)),
        price_cop=int(data.get("price_cop", DEFAULT_PRICE_COP)),
    )  # fmt: skip


def _save(conn: sqlite3.Connection, value: VendorSettings) -> None:
    records.set_setting(conn, "vendor", json.dumps(value.__dict__))


def current_settings(home: Home) -> VendorSettings:
    """The loan period, the price and the vendor's certificate, read only."""
    with Database.open(home) as db:
        return settings(db.connection)


def configure(home: Home, *, loan_days: int | None = None, price_cop: int | None = None) -> VendorSettings:
    """Change the loan period (days, for loans started afterwards) or the price."""
    if loan_days is not None and not 1 <= loan_days <= 3650:
        raise InvalidInput(f"a loan of {loan_days} days is out of range", "use 1 to 3650 days")
    if price_cop is not None and not 0 <= price_cop <= MAX_COP:
        raise InvalidInput(f"a price of {price_cop} COP is out of range", "give the price in COP, e.g. 250000")
    with Database.open(home) as db, db.transaction() as conn:
        current = settings(conn)
        updated = VendorSettings(
            current.serial, current.nit, current.name,
            loan_days if loan_days is not None else current.loan_days,
            price_cop if price_cop is not None else current.price_cop,
        )  # fmt: skip
        _save(conn, updated)
        return updated


def issue_vendor_certificate(
    home: Home,
    clock: Clock,
    *,
    store_password: bytes,
    nit: str = DEFAULT_VENDOR_NIT,
    name: str = DEFAULT_VENDOR_NAME,
    ca_password: bytes | None = None,
) -> IssuedCertificate:
    """Issue the vendor's certificate (once per home) that companies borrow.

    Checking, issuing and recording happen in one transaction: simultaneous calls serialise on it
    and all but the first are refused; a killed call leaves the home without the certificate.
    """
    vendor_nit = Nit.parse(nit)
    request = IssueRequest(nit=vendor_nit, name=name, person=PersonType.JURIDICA, profile="gse")
    with home_transaction(home) as write:
        current = settings(write.conn)
        if current.serial:
            raise RefusedOperation(
                f"this home already has the vendor's certificate (serial {current.serial})",
                "companies borrow that one; see it with `minica certs show SERIAL`",
            )
        issued = issue_certificate(home, request, store_password=store_password, clock=clock,
                                   ca_password=ca_password, action="vendor-certificate", into=write)  # fmt: skip
        _save(write.conn, VendorSettings(issued.serial_hex, vendor_nit.with_dv, name, current.loan_days,
                                         current.price_cop))  # fmt: skip
    return issued


def pay(
    home: Home,
    clock: Clock,
    radicado: str,
    reference: str,
    amount_cop: int | None = None,
    completion: Mapping[str, str] | None = None,
) -> None:
    """Record the payment of a one-year certificate; the request goes on to the CA's platform.

    ``completion`` fills the legal representative and authority fields left out at filing; any
    still missing is named.
    """
    if not reference.strip():
        raise InvalidInput("a payment needs its reference", "give --reference, e.g. the receipt number")
    records.require_short(reference, "the payment reference", 100)
    with step(home, clock) as s:
        record = records.load(s.conn, radicado)
        _require(record, "record a payment for", Status.PENDIENTE_PAGO)
        price = settings(s.conn).price_cop
        amount = price if amount_cop is None else amount_cop
        if not 0 <= amount <= MAX_COP:
            raise InvalidInput(f"a payment of {amount} COP is out of range", "give the amount paid in COP")
        if amount < price:
            raise RefusedOperation(
                f"a payment of {amount} COP does not cover the price of {price} COP",
                "record the full payment of the one-year certificate",
            )
        changes = {k: v for k, v in (completion or {}).items() if v not in (None, "")}
        stray = sorted(set(changes) - set(REPRESENTATIVE_FIELDS) - {"autoridad_certificacion"})
        if stray:
            raise InvalidInput(f"not legal-representative fields: {', '.join(stray)}", "see `request pay --help`")
        form = record.form.with_changes(changes, require_representative=False) if changes else record.form
        missing = form.missing_representative_fields()
        if not form.autoridad_certificacion:
            missing.append("autoridad_certificacion")
        if missing:
            raise InvalidRequestForm({f: "is required for a paid certificate" for f in missing})
        records.update(s.conn, record.radicado, s.now, form=json.dumps(form.to_json(), ensure_ascii=False))
        s.conn.execute(
            "INSERT INTO request_payments (radicado, reference, amount_cop, paid_at) VALUES (?, ?, ?, ?)",
            (record.radicado, reference.strip(), amount, records.iso(s.now)),
        )
        records.update(s.conn, record.radicado, s.now, status=Status.RADICADA)
        paid = {"reference": reference.strip(), "amount_cop": amount}
        records.add_event(s.conn, record.radicado, s.now, "pago_registrado", paid)
        outbox.notify(s.conn, s.home, record, "pago_registrado", s.now, s.written, reference=paid["reference"],
                      amount=amount)  # fmt: skip
        send_welcome(s, record)


def start_loan(home: Home, clock: Clock, radicado: str, representative: Mapping[str, str] | None = None) -> None:
    """Choose the vendor's loaned certificate; the legal representative's data must be complete."""
    with step(home, clock) as s:
        record = records.load(s.conn, radicado)
        _require(record, "start a loan for", Status.PENDIENTE_PAGO)
        vendor = settings(s.conn)
        if not vendor.serial:
            raise RefusedOperation(
                "the vendor has no certificate to lend yet",
                "issue it once with `minica request loan certificate`",
            )
        changes = {k: v for k, v in (representative or {}).items() if v not in (None, "")}
        stray = sorted(set(changes) - set(REPRESENTATIVE_FIELDS))
        if stray:
            raise InvalidInput(f"not legal-representative fields: {', '.join(stray)}",
                               "see `request loan start --help`")
        form = record.form.with_changes(changes, require_representative=False) if changes else record.form
        missing = form.missing_representative_fields()
        if missing:
            raise InvalidRequestForm({f: "is required for the exoneration letter" for f in missing})
        records.update(
            s.conn, record.radicado, s.now, status=Status.PRESTAMO_PENDIENTE, sealed_password=None,
            form=json.dumps(form.to_json(), ensure_ascii=False),
        )  # fmt: skip
        s.conn.execute(
            "INSERT INTO certificate_loans (radicado, serial, nit, days) VALUES (?, ?, ?, ?)",
            (record.radicado, vendor.serial, form.nit.number, vendor.loan_days),
        )
        records.add_event(s.conn, record.radicado, s.now, "prestamo_solicitado",
                          {"serial": vendor.serial, "days": vendor.loan_days})  # fmt: skip


def _loan(conn: sqlite3.Connection, radicado: str) -> sqlite3.Row:
    row = conn.execute("SELECT * FROM certificate_loans WHERE radicado = ?", (radicado,)).fetchone()
    if row is None:  # pragma: no cover - guarded by the status
        raise RefusedOperation(f"request {radicado} has no loan", "start one with `minica request loan start`")
    assert isinstance(row, sqlite3.Row)
    return row


def exoneration_letter(home: Home, clock: Clock, radicado: str) -> bytes:
    """The exoneration letter, as a PDF, with the legal representative's data.

    Each download is recorded with the SHA-256 of the file and of its page's content, so that the
    letter uploaded back unchanged (unsigned) can be recognised (:func:`upload_letter_data`).
    """
    with step(home, clock) as s:
        record = records.load(s.conn, radicado)
        _require(record, "download the letter of", Status.PRESTAMO_PENDIENTE, Status.PRESTAMO_ACTIVO)
        letter = _letter(s.conn, record, s.now)
        generated = pdf.inspect_pdf(letter, "carta-exoneracion.pdf")
        records.add_event(s.conn, record.radicado, s.now, "carta_descargada",
                          {"sha256": generated.sha256, "page_sha256": generated.bare_page_sha256})  # fmt: skip
        return letter


def _letter(conn: sqlite3.Connection, record: records.RequestRecord, now: _dt.datetime) -> bytes:
    """The letter of ``record`` as generated at ``now``: the same bytes for the same request and day."""
    loan, vendor, form = _loan(conn, record.radicado), settings(conn), record.form
    assert form.representante_tipo_documento is not None
    today = colombian(now).strftime("%Y-%m-%d")
    paragraphs = [
        f"{form.ciudad.name.title()}, {today}",
        f"Señores {vendor.name} (NIT {vendor.nit})",
        f"Radicado: {record.radicado}",
        f"Yo, {form.representante}, identificado(a) con {form.representante_tipo_documento.value}"
        f" {form.representante_numero_documento}, en calidad de representante legal de"
        f" {form.razon_social}, NIT {form.nit.with_dv}, solicito usar temporalmente el certificado"
        f" digital del proveedor tecnológico (serial {loan['serial']}) para firmar los documentos"
        f" electrónicos de mi representada durante {loan['days']} días contados desde la carga de"
        " esta carta firmada.",
        f"Exonero a {vendor.name} de toda responsabilidad por el contenido de los documentos que"
        f" {form.razon_social} firme con dicho certificado, y me comprometo a obtener un certificado"
        " digital propio antes de que termine el préstamo.",
        "Firma: ______________________________",
        f"{form.representante} - {form.representante_tipo_documento.value} {form.representante_numero_documento}",
        "Documento de PRUEBA generado por minica: sin validez legal.",
    ]
    return pdf.simple_pdf("Carta de exoneración de responsabilidad", paragraphs, author="minica")


def _generated_letter_pages(conn: sqlite3.Connection, record: records.RequestRecord) -> set[str]:
    """The SHA-256 of the page content of every letter minica generated for ``record``.

    A download recorded before minica kept that digest is generated again for its day (the letter
    changes only with the day).
    """
    digests: set[str | None] = set()
    days_again: dict[_dt.date, _dt.datetime] = {}
    for event in records.events(conn, record.radicado):
        if event.kind == "carta_descargada":
            if event.detail.get("page_sha256"):
                digests.add(event.detail["page_sha256"])
            else:
                days_again.setdefault(colombian(event.at).date(), event.at)
    for when in days_again.values():
        digests.add(pdf.inspect_pdf(_letter(conn, record, when), "carta-exoneracion.pdf").bare_page_sha256)
    return {digest for digest in digests if digest}


def upload_letter(home: Home, clock: Clock, radicado: str, source: Path) -> tuple[_dt.datetime, _dt.datetime]:
    """Upload the signed letter from the file ``source`` (see :func:`upload_letter_data`)."""
    return upload_letter_data(home, clock, radicado, *pdf.read_upload(source))


def upload_letter_data(
    home: Home, clock: Clock, radicado: str, filename: str, data: bytes
) -> tuple[_dt.datetime, _dt.datetime]:
    """Upload the signed letter (PDF, at most 1 MB); returns the loan's (start, end).

    The letter as minica generated it is refused as unsigned: one page whose decoded content is
    that of a letter downloaded for this request, with nothing on it (no annotation, no form field
    such as a digital signature), byte for byte or saved again by another program. A scan, or the
    letter with a drawn or digital signature added, is accepted. The first upload fixes the start;
    a later upload is stored but changes nothing else.
    """
    filename = pdf.upload_name(filename)
    uploaded = pdf.inspect_pdf(data, filename)
    with step(home, clock) as s:
        record = records.load(s.conn, radicado)
        _require(record, "upload the letter of", Status.PRESTAMO_PENDIENTE, Status.PRESTAMO_ACTIVO)
        if uploaded.bare_page_sha256 and uploaded.bare_page_sha256 in _generated_letter_pages(s.conn, record):
            raise InvalidInput(
                f"{filename} is the exoneration letter as minica generated it, unsigned",
                "print it, sign it and scan it (or sign the PDF digitally), then upload that file",
            )
        store_document(s, record.radicado, "carta_exoneracion", filename, data, uploaded.sha256)
        loan = _loan(s.conn, record.radicado)
        if loan["start_at"] is not None:
            start, end = _dt.datetime.fromisoformat(loan["start_at"]), _dt.datetime.fromisoformat(loan["end_at"])
            records.add_event(s.conn, record.radicado, s.now, "carta_recargada", {"loan_start": records.iso(start)})
            return start, end
        start, end = s.now, s.now + _dt.timedelta(days=int(loan["days"]))
        s.conn.execute(
            "UPDATE certificate_loans SET start_at = ?, end_at = ? WHERE radicado = ?",
            (records.iso(start), records.iso(end), record.radicado),
        )
        records.update(s.conn, record.radicado, s.now, status=Status.PRESTAMO_ACTIVO)
        records.add_event(s.conn, record.radicado, s.now, "prestamo_activo",
                          {"serial": loan["serial"], "start": records.iso(start), "end": records.iso(end)})  # fmt: skip
        outbox.notify(s.conn, s.home, record, "prestamo_activo", s.now, s.written,
                      serial=loan["serial"], start=start, end=end)  # fmt: skip
        return start, end


def bring_loans_up_to_date(
    conn: sqlite3.Connection, home: Home, now: _dt.datetime, written: list[Path]
) -> list[str]:
    """Mark loans whose period ended as ``prestamo_vencido`` (once each) and e-mail the company."""
    done: list[str] = []
    rows = conn.execute(
        "SELECT l.radicado, l.end_at FROM certificate_loans l JOIN requests r USING (radicado)"
        " WHERE r.status = ? AND l.end_at IS NOT NULL AND l.end_at <= ?",
        (Status.PRESTAMO_ACTIVO.value, records.iso(now)),
    ).fetchall()
    for row in rows:
        end = _dt.datetime.fromisoformat(row["end_at"])
        once = f"{row['radicado']}:loan-end"
        if records.add_event(conn, row["radicado"], end, "prestamo_vencido", {}, once_key=once):
            record = records.load(conn, row["radicado"])
            records.update(conn, record.radicado, end, status=Status.PRESTAMO_VENCIDO)
            outbox.notify(conn, home, record, "prestamo_vencido", end, written, end=end)
            done.append(f"{record.radicado}: prestamo_vencido ({colombian(end).isoformat()})")
    return done


def vendor_view(conn: sqlite3.Connection, record: records.RequestRecord, now: _dt.datetime) -> dict[str, Any]:
    """The vendor part of ``request show``: price and validity, payment, loan."""
    current = settings(conn)
    payment = conn.execute("SELECT * FROM request_payments WHERE radicado = ?", (record.radicado,)).fetchone()
    loan = conn.execute("SELECT * FROM certificate_loans WHERE radicado = ?", (record.radicado,)).fetchone()
    view: dict[str, Any] = {
        "price_cop": current.price_cop,
        "validity": VALIDITY,
        "payment": None if payment is None else {
            "reference": payment["reference"], "amount_cop": payment["amount_cop"],
            "paid_at": colombian(_dt.datetime.fromisoformat(payment["paid_at"])).isoformat(),
        },
        "loan": None,
    }  # fmt: skip
    if loan is not None:
        start = _dt.datetime.fromisoformat(loan["start_at"]) if loan["start_at"] else None
        end = _dt.datetime.fromisoformat(loan["end_at"]) if loan["end_at"] else None
        view["loan"] = {
            "serial": loan["serial"], "days": loan["days"],
            "start": colombian(start).isoformat() if start else None,
            "end": colombian(end).isoformat() if end else None,
            "active": bool(start and end and start <= now < end),
            "refusal": loan_refusal(conn, loan["serial"], now, nit=loan["nit"]),
        }  # fmt: skip
    return view

