"""The request process end to end: happy path, locking, rejection and reminders, identity failure."""

from __future__ import annotations

import datetime as dt
import email.policy
from email.parser import BytesParser
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.serialization import pkcs12
from request_support import (
    FORM,
    NEW_PLATFORM_PASSWORD,
    STORE_PASSWORD,
    T0,
    at,
    complete,
    filed_and_signed_in,
    outbox_messages,
    temporary_password,
)

from minica.ca.requests import form as request_form
from minica.ca.requests import process, reminders
from minica.environment import Environment
from minica.errors import InvalidInput, RefusedOperation, RequestStateError, WeakPassword
from minica.storage.database import Database
from minica.storage.home import Home

REMINDER_KINDS = ["recordatorio_dia_3", "recordatorio_dia_7", "aviso_caducidad"]


def status(home: Home, radicado: str, clock=None) -> str:
    return process.load(home, clock or at(), radicado)[1]["status"]


def kinds(home: Home, radicado: str) -> list[str]:
    return [m["X-Minica-Notice"] for m in outbox_messages(home, radicado)]


def test_happy_path_issues_two_keystores_that_open_with_the_forms_password(ca_home, valid_form, pdf_file):
    filed = process.file_request(ca_home, at(), valid_form, STORE_PASSWORD)
    assert status(ca_home, filed.radicado) == "radicada"
    process.login(ca_home, at(hours=1), filed.radicado, filed.platform_user,
                  temporary_password(ca_home, filed.radicado), NEW_PLATFORM_PASSWORD)  # fmt: skip
    assert status(ca_home, filed.radicado) == "en_diligenciamiento"
    complete(ca_home, filed.radicado, pdf_file)
    assert status(ca_home, filed.radicado) == "completa"

    issued = process.approve(ca_home, at(days=1), filed.radicado)

    assert set(issued.store_paths) == {Environment.HABILITACION, Environment.PRODUCCION}
    for path in issued.store_paths.values():
        key, cert, chain = pkcs12.load_key_and_certificates(path.read_bytes(), STORE_PASSWORD.encode())
        assert key is not None and cert is not None and len(chain) == 2
        assert cert.serial_number == issued.serial
        # One year from issuance (backdated a minute for clock skew).
        assert cert.not_valid_after_utc - cert.not_valid_before_utc >= dt.timedelta(days=365)
        assert "9003739879" in cert.subject.rfc4514_string()  # Andes SCD: NIT with DV in serialNumber
    _, view = process.load(ca_home, at(days=1), filed.radicado)
    assert view["status"] == "aprobada" and view["serial"] == issued.serial_hex
    assert view["progress"]["done"] == 4 and view["progress"]["percent"] == 100
    assert [d["sha256"] for d in view["documents"]] and all(len(d["sha256"]) == 64 for d in view["documents"])
    assert [h["event"] for h in view["history"]][:2] == ["radicada", "bienvenida_enviada"]
    assert view["history"][-1]["event"] == "aprobada" and view["history"][-1]["at"].endswith("-05:00")
    assert kinds(ca_home, filed.radicado) == ["bienvenida", "completa", "emitido"]
    assert view["keystore_password_sealed"] is False


def test_the_keystore_password_is_never_stored_in_clear(ca_home, valid_form, pdf_file):
    filed = filed_and_signed_in(ca_home, valid_form)
    needle = STORE_PASSWORD.encode()
    for path in ca_home.root.rglob("*"):
        if path.is_file():
            assert needle not in path.read_bytes(), path
    with Database.open(ca_home) as db:
        sealed = db.connection.execute("SELECT sealed_password FROM requests").fetchone()[0]
    assert sealed and needle not in sealed
    complete(ca_home, filed.radicado, pdf_file)
    process.approve(ca_home, at(days=1), filed.radicado)
    with Database.open(ca_home) as db:
        assert db.connection.execute("SELECT sealed_password FROM requests").fetchone()[0] is None


def test_first_sign_in_forces_a_password_change_with_the_policy(ca_home, valid_form):
    filed = process.file_request(ca_home, at(), valid_form, STORE_PASSWORD)
    temporary = temporary_password(ca_home, filed.radicado)
    with pytest.raises(RefusedOperation, match="temporary password must be changed"):
        process.login(ca_home, at(), filed.radicado, filed.platform_user, temporary)
    with pytest.raises(WeakPassword, match="needs a digit"):
        process.login(ca_home, at(), filed.radicado, filed.platform_user, temporary, "Sinnumero#")
    with pytest.raises(RefusedOperation, match="wrong platform user or password"):
        process.login(ca_home, at(), filed.radicado, filed.platform_user, "Wrong#123", NEW_PLATFORM_PASSWORD)
    assert process.login(ca_home, at(), filed.radicado, filed.platform_user, temporary, NEW_PLATFORM_PASSWORD)
    # The new password works afterwards, the temporary one no longer does.
    assert not process.login(ca_home, at(), filed.radicado, filed.platform_user, NEW_PLATFORM_PASSWORD)
    with pytest.raises(RefusedOperation):
        process.login(ca_home, at(), filed.radicado, filed.platform_user, temporary)
    # Failed sign-ins stay in the history (the refusal does not roll them back), without what was typed.
    history = process.load(ca_home, at(), filed.radicado)[1]["history"]
    failed = [e for e in history if e["event"] == "ingreso_fallido"]
    assert len(failed) == 2 and all(e["detail"] == {} for e in failed)


def test_a_changed_person_type_needs_its_documents_before_finalizar(ca_home, pdf_file):
    natural = request_form.validate_form({**FORM, "tipo_persona": "natural"})
    filed = filed_and_signed_in(ca_home, natural)
    for kind in ("rut", "documento_identidad"):  # all a persona natural needs
        process.attach(ca_home, at(hours=2), filed.radicado, kind, pdf_file)
    for name in ("solicitante", "empresa", "representante", "documentos"):
        process.save_section(ca_home, at(hours=2), filed.radicado, name)
    process.save_section(ca_home, at(hours=3), filed.radicado, "empresa", {"tipo-persona": "juridica"})
    with pytest.raises(RefusedOperation, match="documents missing: camara_comercio"):
        process.finalize(ca_home, at(hours=3), filed.radicado)
    process.attach(ca_home, at(hours=4), filed.radicado, "camara_comercio", pdf_file)
    process.finalize(ca_home, at(hours=4), filed.radicado)
    assert status(ca_home, filed.radicado) == "completa"


def test_free_text_is_bounded_and_printable(ca_home, valid_form, pdf_file):
    filed = filed_and_signed_in(ca_home, valid_form)
    complete(ca_home, filed.radicado, pdf_file)
    with pytest.raises(InvalidInput, match="at most 1000"):
        process.reject(ca_home, at(hours=3), filed.radicado, "x" * 1001)
    with pytest.raises(InvalidInput, match="control characters"):
        process.reject(ca_home, at(hours=3), filed.radicado, "RUT \x1b[31milegible")
    with pytest.raises(InvalidInput, match="not a usable file name"):
        process.attach_data(ca_home, at(hours=3), filed.radicado, "rut", "\x9b31m\u202ecod.pdf", b"%PDF-1.4")
    assert status(ca_home, filed.radicado) == "completa"
    process.reject(ca_home, at(hours=3), filed.radicado, "El RUT es ilegible.\nCárguelo de nuevo.")
    assert status(ca_home, filed.radicado) == "rechazada"


def test_sections_before_sign_in_are_refused(ca_home, valid_form):
    filed = process.file_request(ca_home, at(), valid_form, STORE_PASSWORD)
    with pytest.raises(RequestStateError, match="sign in first"):
        process.save_section(ca_home, at(), filed.radicado, "solicitante")


def test_sections_show_progress_and_stay_editable_until_finalize(ca_home, valid_form, pdf_file):
    filed = filed_and_signed_in(ca_home, valid_form)
    changes = {"email": "otro@acme.example.co"}
    pending = process.save_section(ca_home, at(hours=2), filed.radicado, "solicitante", changes)
    assert pending == ["empresa", "representante", "documentos"]
    process.save_section(ca_home, at(hours=3), filed.radicado, "solicitante", {"telefono_movil": "3209876543"})
    _, view = process.load(ca_home, at(hours=3), filed.radicado)
    assert view["progress"] == {"done": 1, "total": 4, "percent": 25, "bar": "[#####---------------] 1/4"}
    assert view["form"]["email"] == "otro@acme.example.co" and view["form"]["telefono_movil"] == "3209876543"
    with pytest.raises(request_form.InvalidRequestForm, match="not a Colombian mobile"):
        process.save_section(ca_home, at(hours=3), filed.radicado, "solicitante", {"telefono_movil": "12345"})
    with pytest.raises(RefusedOperation, match="missing rut"):
        process.save_section(ca_home, at(hours=3), filed.radicado, "documentos")
    with pytest.raises(RefusedOperation, match="sections not saved: empresa, representante, documentos"):
        process.finalize(ca_home, at(hours=3), filed.radicado)


def test_edits_after_finalizar_are_refused(ca_home, valid_form, pdf_file):
    filed = filed_and_signed_in(ca_home, valid_form)
    complete(ca_home, filed.radicado, pdf_file)
    with pytest.raises(RequestStateError, match="finalized .* form is locked"):
        process.save_section(ca_home, at(hours=5), filed.radicado, "empresa", {"razon_social": "OTRA S.A.S."})
    with pytest.raises(RequestStateError, match="locked"):
        process.attach(ca_home, at(hours=5), filed.radicado, "otro", pdf_file)
    _, view = process.load(ca_home, at(hours=5), filed.radicado)
    assert view["status"] == "completa" and view["locked"] and view["form"]["razon_social"] == FORM["razon_social"]


def _rejected(ca_home, valid_form, pdf_file) -> str:
    filed = filed_and_signed_in(ca_home, valid_form)
    complete(ca_home, filed.radicado, pdf_file)
    process.reject(ca_home, at(hours=4), filed.radicado, "El RUT no es legible")
    return filed.radicado


def test_rejection_reminders_on_days_3_7_13_and_expiry_on_day_15_once_each(ca_home, valid_form, pdf_file):
    radicado = _rejected(ca_home, valid_form, pdf_file)  # rejected Monday 2 Nov 2026, 14:00 (day 0)
    assert status(ca_home, radicado, at(hours=4)) == "rechazada"
    rejection = [m for m in outbox_messages(ca_home, radicado) if m["X-Minica-Notice"] == "rechazo"][0]
    assert "El RUT no es legible" in rejection.get_content()

    def reminders_sent() -> list[str]:
        return [k for k in kinds(ca_home, radicado) if k in REMINDER_KINDS + ["caducada"]]

    # Day 3 (5 Nov) is not over yet at 23:59: nothing. Run many commands at each moment.
    for _ in range(3):
        process.tick(ca_home, at(days=3, hours=13.98))  # 5 Nov 23:58:48
        status(ca_home, radicado, at(days=3, hours=13.98))
    assert reminders_sent() == []
    for _ in range(3):
        process.tick(ca_home, at(days=4, hours=-9.9))  # 6 Nov 00:06: end of day 3 passed
        process.list_requests(ca_home, at(days=4, hours=-9.9))
    assert reminders_sent() == ["recordatorio_dia_3"]
    for _ in range(3):
        process.tick(ca_home, at(days=8))  # 10 Nov: end of day 7 passed
    assert reminders_sent() == ["recordatorio_dia_3", "recordatorio_dia_7"]
    process.tick(ca_home, at(days=13))  # 15 Nov 10:00: day 13 not over
    assert reminders_sent() == ["recordatorio_dia_3", "recordatorio_dia_7"]
    for _ in range(3):
        process.tick(ca_home, at(days=14))  # 16 Nov 10:00: day 14
    assert reminders_sent() == REMINDER_KINDS
    assert status(ca_home, radicado, at(days=14, hours=13.9)) == "rechazada"  # day 14, 23:54: still in time
    for _ in range(3):
        assert status(ca_home, radicado, at(days=15)) == "caducada"  # day 15 (17 Nov)
    process.tick(ca_home, at(days=40))
    assert reminders_sent() == REMINDER_KINDS + ["caducada"]

    messages = {m["X-Minica-Notice"]: m for m in outbox_messages(ca_home, radicado)}
    assert messages["recordatorio_dia_3"]["Date"].datetime == dt.datetime(2026, 11, 6, 0, 0, tzinfo=T0.tzinfo)
    assert messages["recordatorio_dia_7"]["Date"].datetime == dt.datetime(2026, 11, 10, 0, 0, tzinfo=T0.tzinfo)
    assert messages["aviso_caducidad"]["Date"].datetime == dt.datetime(2026, 11, 16, 0, 0, tzinfo=T0.tzinfo)
    assert messages["caducada"]["Date"].datetime == dt.datetime(2026, 11, 17, 0, 0, tzinfo=T0.tzinfo)
    with pytest.raises(RequestStateError, match="can never be resumed"):
        process.finalize(ca_home, at(days=16), radicado)
    with Database.open(ca_home) as db:
        assert db.connection.execute("SELECT sealed_password FROM requests").fetchone()[0] is None


def test_a_late_command_applies_everything_due_in_order(ca_home, valid_form, pdf_file):
    radicado = _rejected(ca_home, valid_form, pdf_file)
    with pytest.raises(RequestStateError, match="caducada"):
        process.finalize(ca_home, at(days=20), radicado)  # refused, but it brought the process up to now
    assert [k for k in kinds(ca_home, radicado) if k in REMINDER_KINDS + ["caducada"]] == REMINDER_KINDS + ["caducada"]
    _, view = process.load(ca_home, at(days=20), radicado)
    assert [s["done"] for s in view["rejection"]["schedule"]] == [True, True, True, True]


def test_correction_in_time_returns_to_review_and_stops_reminders(ca_home, valid_form, pdf_file):
    radicado = _rejected(ca_home, valid_form, pdf_file)
    process.tick(ca_home, at(days=5))  # the day-3 reminder went out
    process.attach(ca_home, at(days=5), radicado, "rut", pdf_file)
    with pytest.raises(RefusedOperation, match="documentos"):
        process.finalize(ca_home, at(days=5), radicado)  # the documents section reopened
    process.save_section(ca_home, at(days=5), radicado, "documentos")
    process.finalize(ca_home, at(days=5), radicado)
    assert status(ca_home, radicado, at(days=5)) == "completa"
    process.tick(ca_home, at(days=30))
    assert [k for k in kinds(ca_home, radicado) if k in REMINDER_KINDS] == ["recordatorio_dia_3"]
    assert status(ca_home, radicado, at(days=30)) == "completa"
    process.approve(ca_home, at(days=30), radicado)
    assert status(ca_home, radicado, at(days=30)) == "aprobada"


def test_identity_failure_ends_the_request_pointing_to_support(ca_home, valid_form, pdf_file):
    filed = filed_and_signed_in(ca_home, valid_form)
    complete(ca_home, filed.radicado, pdf_file)
    process.identity_failed(ca_home, at(days=1), filed.radicado, "la foto no coincide")
    assert status(ca_home, filed.radicado, at(days=1)) == "identidad_fallida"
    message = outbox_messages(ca_home, filed.radicado)[-1]
    assert message["X-Minica-Notice"] == "identidad_fallida" and "soporte" in message.get_content()
    for action in (lambda: process.approve(ca_home, at(days=1), filed.radicado),
                   lambda: process.finalize(ca_home, at(days=1), filed.radicado)):  # fmt: skip
        with pytest.raises(RequestStateError, match="identidad_fallida"):
            action()


def test_uploads_must_be_real_pdfs_of_at_most_1_mb(ca_home, valid_form, tmp_path: Path):
    from minica.errors import InvalidInput

    filed = filed_and_signed_in(ca_home, valid_form)
    not_pdf = tmp_path / "rut.pdf"
    not_pdf.write_bytes(b"PK\x03\x04 a zip renamed to .pdf")
    with pytest.raises(InvalidInput, match="is not a PDF"):
        process.attach(ca_home, at(), filed.radicado, "rut", not_pdf)
    truncated = tmp_path / "cortado.pdf"
    truncated.write_bytes(b"%PDF-1.4\n1 0 obj\n<<>>\n")
    with pytest.raises(InvalidInput, match="not a complete PDF"):
        process.attach(ca_home, at(), filed.radicado, "rut", truncated)
    big = tmp_path / "grande.pdf"
    big.write_bytes(b"%PDF-1.4\n" + b"0" * (1024 * 1024) + b"\n%%EOF\n")
    with pytest.raises(InvalidInput, match="more than the 1 MB"):
        process.attach(ca_home, at(), filed.radicado, "rut", big)
    _, view = process.load(ca_home, at(), filed.radicado)
    assert view["documents"] == []
    assert not (ca_home.requests_dir / filed.radicado / "documents").exists() or not any(
        (ca_home.requests_dir / filed.radicado / "documents").iterdir()
    )


def test_emails_are_rfc5322_in_spanish_with_the_radicado(ca_home, valid_form):
    filed = process.file_request(ca_home, at(), valid_form, STORE_PASSWORD)
    files = sorted(ca_home.outbox_dir.glob("*.eml"))
    assert len(files) == 1 and oct(files[0].stat().st_mode & 0o777) == "0o600"
    message = BytesParser(policy=email.policy.default).parsebytes(files[0].read_bytes())
    assert message["To"] == FORM["email"]
    assert "minica.invalid" in message["From"]
    assert message["Subject"] == "Bienvenido a la plataforma de la autoridad de certificación"
    assert message["Date"].datetime == T0
    assert message["Message-ID"].startswith("<") and message["Message-ID"].endswith("@minica.invalid>")
    body = message.get_content()
    assert filed.radicado in body and "Contraseña temporal" in body and filed.platform_user in body
    assert b"\r\n" in files[0].read_bytes()  # RFC 5322 line endings


def test_reminder_schedule_is_colombian_calendar_days():
    rejected = dt.datetime(2026, 11, 2, 23, 30, tzinfo=T0.tzinfo)  # late on day 0
    steps = reminders.schedule(rejected)
    assert [(s[0].astimezone(T0.tzinfo).date().isoformat(), s[1]) for s in steps] == [
        ("2026-11-06", "recordatorio_dia_3"),
        ("2026-11-10", "recordatorio_dia_7"),
        ("2026-11-16", "aviso_caducidad"),
        ("2026-11-17", "caducada"),
    ]


def test_concurrent_catch_up_never_duplicates(ca_home, valid_form, pdf_file):
    radicado = _rejected(ca_home, valid_form, pdf_file)
    import threading

    errors: list[BaseException] = []

    def worker() -> None:
        try:
            process.tick(ca_home, at(days=20))
        except Exception as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    threads = [threading.Thread(target=worker) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors
    assert [k for k in kinds(ca_home, radicado) if k in REMINDER_KINDS + ["caducada"]] == REMINDER_KINDS + ["caducada"]
