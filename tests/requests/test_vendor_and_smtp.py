"""The vendor variant (payment, loaned certificate) and SMTP delivery to a loopback server."""

from __future__ import annotations

import datetime as dt
import email
import email.policy
from pathlib import Path

import pytest
from pdf_samples import signed_letter
from request_support import FORM, STORE_PASSWORD, at, outbox_messages, temporary_password

from minica.ca.requests import form as request_form
from minica.ca.requests import outbox, process, vendor
from minica.errors import InvalidInput, RefusedOperation, RequestStateError
from minica.storage.database import Database

PARTIAL = {k: v for k, v in FORM.items() if not k.startswith("representante")}


def vendor_request(home) -> str:
    form = request_form.validate_form(PARTIAL, require_representative=False)
    return process.file_request(home, at(), form, STORE_PASSWORD, channel="vendor").radicado


def test_without_payment_the_request_shows_the_price_and_cannot_proceed(ca_home):
    radicado = vendor_request(ca_home)
    _, view = process.load(ca_home, at(), radicado)
    assert view["status"] == "pendiente_pago"
    assert view["vendor"]["price_cop"] == vendor.DEFAULT_PRICE_COP and view["vendor"]["validity"] == "1 año"
    with pytest.raises(RequestStateError, match="record the payment"):
        process.save_section(ca_home, at(), radicado, "solicitante")
    assert outbox_messages(ca_home, radicado) == []


def test_payment_lets_the_request_go_on(ca_home):
    radicado = vendor_request(ca_home)
    with pytest.raises(request_form.InvalidRequestForm, match="nombres del representante legal"):
        vendor.pay(ca_home, at(), radicado, "REC-001")
    completion = {k: FORM[k] for k in request_form.REPRESENTATIVE_FIELDS}
    with pytest.raises(request_form.InvalidRequestForm) as caught:
        vendor.pay(ca_home, at(), radicado, "REC-001", completion={"representante_nombres": "María José"})
    assert set(caught.value.problems) == set(request_form.REPRESENTATIVE_FIELDS[1:])
    with pytest.raises(RefusedOperation, match="does not cover"):
        vendor.pay(ca_home, at(), radicado, "REC-001", amount_cop=1000, completion=completion)
    vendor.pay(ca_home, at(), radicado, "REC-001", completion=completion)
    _, view = process.load(ca_home, at(), radicado)
    assert view["status"] == "radicada" and view["vendor"]["payment"]["reference"] == "REC-001"
    assert view["form"]["representante_apellidos"] == FORM["representante_apellidos"]
    assert temporary_password(ca_home, radicado)


@pytest.fixture
def vendor_home(ca_home):
    vendor.issue_vendor_certificate(ca_home, at(), store_password=b"Proveedor#2026")
    return ca_home


def test_loan_names_every_missing_representative_field(vendor_home):
    radicado = vendor_request(vendor_home)
    with pytest.raises(request_form.InvalidRequestForm) as caught:
        vendor.start_loan(vendor_home, at(), radicado, {"representante_nombres": "María José"})
    assert set(caught.value.problems) == {
        "representante_apellidos", "representante_tipo_documento", "representante_numero_documento",
    }  # fmt: skip


def _loan(home, tmp_path: Path) -> tuple[str, Path]:
    radicado = vendor_request(home)
    vendor.start_loan(home, at(), radicado, {k: FORM[k] for k in request_form.REPRESENTATIVE_FIELDS})
    letter = vendor.exoneration_letter(home, at(), radicado)
    assert letter.startswith(b"%PDF-1.4") and letter.rstrip().endswith(b"%%EOF")
    assert b"Mar\xeda Jos\xe9 P\xe9rez G\xf3mez" in letter and b"1020304050" in letter
    signed = tmp_path / "carta-firmada.pdf"
    signed.write_bytes(signed_letter(letter))
    return radicado, signed


def test_loan_date_is_fixed_at_the_first_upload(vendor_home, tmp_path):
    radicado, signed = _loan(vendor_home, tmp_path)
    start, end = vendor.upload_letter(vendor_home, at(days=1), radicado, signed)
    assert start == at(days=1).now() and end - start == dt.timedelta(days=vendor.DEFAULT_LOAN_DAYS)
    again = vendor.upload_letter(vendor_home, at(days=5), radicado, signed)  # accepted, date unchanged
    assert again == (start, end)
    _, view = process.load(vendor_home, at(days=5), radicado)
    assert view["status"] == "prestamo_activo"
    assert dt.datetime.fromisoformat(view["vendor"]["loan"]["start"]) == at(days=1).now()
    assert [d["kind"] for d in view["documents"]] == ["carta_exoneracion", "carta_exoneracion"]
    not_pdf = tmp_path / "carta.docx"
    not_pdf.write_bytes(b"PK\x03\x04")
    with pytest.raises(InvalidInput, match="is not a PDF"):
        vendor.upload_letter(vendor_home, at(days=5), radicado, not_pdf)


def test_signing_with_an_expired_loan_is_refused(vendor_home, tmp_path):
    radicado, signed = _loan(vendor_home, tmp_path)
    with Database.open(vendor_home) as db:
        serial = vendor.settings(db.connection).serial
        assert serial
        assert "has not started" in (vendor.loan_refusal(db, serial, at().now()) or "")
    vendor.upload_letter(vendor_home, at(days=1), radicado, signed)
    with Database.open(vendor_home) as db:
        assert vendor.loan_refusal(db, serial, at(days=2).now(), nit="900373987-9") is None
        assert vendor.loan_refusal(db, int(serial, 16), at(days=2).now()) is None
        other = vendor.loan_refusal(db, serial, at(days=2).now(), nit="800197268")
        assert "not loaned to NIT 800197268" in (other or "")
        refusal = vendor.loan_refusal(db, serial, at(days=1 + vendor.DEFAULT_LOAN_DAYS).now())
        assert refusal and "get your own certificate" in refusal
        assert vendor.loan_refusal(db, "ABCDEF", at(days=200).now()) is None  # not a loaned certificate
    assert process.load(vendor_home, at(days=100), radicado)[1]["status"] == "prestamo_vencido"
    kinds = [m["X-Minica-Notice"] for m in outbox_messages(vendor_home, radicado)]
    process.tick(vendor_home, at(days=120))
    assert kinds == ["prestamo_activo", "prestamo_vencido"]
    assert [m["X-Minica-Notice"] for m in outbox_messages(vendor_home, radicado)] == kinds


def test_loan_period_is_configurable(vendor_home, tmp_path):
    vendor.configure(vendor_home, loan_days=30)
    radicado, signed = _loan(vendor_home, tmp_path)
    start, end = vendor.upload_letter(vendor_home, at(), radicado, signed)
    assert end - start == dt.timedelta(days=30)


def test_notices_are_delivered_to_a_loopback_smtp_server(ca_home, valid_form, smtp_server):
    host, port, received = smtp_server
    with Database.open(ca_home) as db:
        outbox.configure_smtp(db, outbox.SmtpSettings(host, port))
    filed = process.file_request(ca_home, at(), valid_form, STORE_PASSWORD)
    assert len(received) == 1
    envelope = received[0]
    assert envelope.rcpt_tos == [FORM["email"]]
    message = email.message_from_bytes(envelope.content, policy=email.policy.default)
    assert message["Subject"] == "Bienvenido a la plataforma de la autoridad de certificación"
    assert filed.radicado in message.get_content()
    with Database.open(ca_home) as db:
        assert all(e.delivered_at is not None for e in outbox.entries(db.connection, ca_home))


def test_an_unreachable_smtp_server_leaves_messages_pending(ca_home, valid_form, smtp_server, monkeypatch):
    host, port, received = smtp_server
    monkeypatch.setenv("MINICA_SMTP", "127.0.0.1:1")  # nothing listens there
    filed = process.file_request(ca_home, at(), valid_form, STORE_PASSWORD)
    with Database.open(ca_home) as db:
        assert [e.delivered_at for e in outbox.entries(db.connection, ca_home)] == [None]
    monkeypatch.setenv("MINICA_SMTP", f"{host}:{port}")
    process.tick(ca_home, at())  # the next command delivers what was pending
    assert len(received) == 1 and filed.radicado in received[0].content.decode()
