"""The request process of DIAN's and the CAs' guides, as a state machine driven by a clock.

::

    (vendor) pendiente_pago --pay--> radicada           --loan--> prestamo_pendiente_carta (vendor.py)
    file --> radicada --first sign-in--> en_diligenciamiento --Finalizar--> completa
    completa --approve--> aprobada (certificate in both environments' stores)
    completa --reject--> rechazada --correct + Finalizar--> completa
    rechazada --day 15--> caducada (never resumed)        reminders: end of day 3, 7, 13
    radicada | en_diligenciamiento | completa | rechazada --identity failed--> identidad_fallida

Every function takes the home and a :class:`~minica.clock.Clock`; every transition is recorded
with its time in the request's history, and every notice goes to the outbox (see ``outbox``).
Refusals raise :class:`~minica.errors.RequestStateError` saying what to do instead.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from minica.ca.issuance import IssuedCertificate, IssueRequest, issue_certificate
from minica.ca.requests import escrow, outbox, pdf, platform, records
from minica.ca.requests.form import RequestForm, validate_form
from minica.ca.requests.mail import PLATFORM_PATH
from minica.ca.requests.records import Status
from minica.ca.requests.steps import Step, StepReport, step
from minica.clock import Clock, FixedClock, colombian
from minica.errors import (
    InvalidInput,
    NotFound,
    PasswordChangeRequired,
    RefusedOperation,
    RequestStateError,
    WrongCredentials,
)
from minica.storage.files import atomic_write
from minica.storage.home import Home
from minica.storage.passwords import require_strong_password

#: Statuses in which the requester may edit sections and upload documents.
EDITABLE = (Status.EN_DILIGENCIAMIENTO, Status.RECHAZADA)


@dataclass(frozen=True)
class Filed:
    """A filed request: its radicado and the platform user the welcome e-mail gives."""

    radicado: str
    status: Status
    platform_user: str


def _refuse_state(record: records.RequestRecord, action: str) -> RequestStateError:
    """The refusal for ``action`` on a request in a state that does not allow it."""
    status = record.status
    if status is Status.COMPLETA and action in ("edit", "attach", "finalize"):
        when = colombian(record.finalized_at).isoformat() if record.finalized_at else "earlier"
        return RequestStateError(
            f"request {record.radicado} was finalized (Finalizar) at {when} and its form is locked",
            "nothing can be edited while it is under review; wait for the approval or rejection",
        )
    hints = {
        Status.PENDIENTE_PAGO: "record the payment (`minica request pay`) or use the vendor's loaned"
        " certificate (`minica request loan start`)",
        Status.RADICADA: "sign in first with the user and temporary password of the welcome e-mail"
        " (`minica request login`)",
        Status.EN_DILIGENCIAMIENTO: "save every section and press Finalizar (`minica request finalize`)",
        Status.COMPLETA: "it is under review: approve, reject or report an identity failure",
        Status.RECHAZADA: "correct what the rejection e-mail says and press Finalizar again",
        Status.APROBADA: "the certificate was issued; file a new request for another one",
        Status.CADUCADA: "an expired process can never be resumed; file a new request",
        Status.IDENTIDAD_FALLIDA: "the request ended; contact support or file a new request",
        Status.PRESTAMO_PENDIENTE: "upload the signed exoneration letter (`minica request loan upload`)",
        Status.PRESTAMO_ACTIVO: "the company signs with the vendor's loaned certificate",
        Status.PRESTAMO_VENCIDO: "the loan is over; the company must get its own certificate",
    }
    return RequestStateError(
        f"cannot {action} request {record.radicado}: it is {status.value}", hints[status]
    )


def _require(record: records.RequestRecord, action: str, *allowed: Status) -> None:
    if record.status not in allowed:
        raise _refuse_state(record, action)


def platform_url(step_: Step, radicado: str) -> str:
    """The welcome e-mail's link: the ``platform_url`` setting when one is stored, else the
    platform's sign-in page on the home's ``minica serve`` (its CA's base URL)."""
    from minica.ca.hierarchy import configured_base_url

    base = records.get_setting(step_.conn, "platform_url") or configured_base_url(step_.home) + PLATFORM_PATH
    return f"{base.rstrip('/')}?radicado={radicado}"


def send_welcome(step_: Step, record: records.RequestRecord) -> None:
    """A fresh temporary password for the platform, and the welcome e-mail that carries it."""
    temporary = platform.temporary_password()
    records.update(
        step_.conn, record.radicado, step_.now,
        platform_password_hash=platform.hash_password(temporary), must_change_password=1,
    )  # fmt: skip
    outbox.notify(
        step_.conn, step_.home, record, "bienvenida", step_.now, step_.written,
        user=record.platform_user, temporary_password=temporary, link=platform_url(step_, record.radicado),
    )  # fmt: skip
    records.add_event(step_.conn, record.radicado, step_.now, "bienvenida_enviada", {"user": record.platform_user})


def file_request(
    home: Home,
    clock: Clock,
    form: RequestForm,
    store_password: str,
    *,
    channel: str = "dian",
    ca_password: bytes | None = None,
    report: StepReport | None = None,
) -> Filed:
    """File ("radicar") a validated form; the keystore password is sealed, never stored.

    The DIAN channel goes straight to the CA (welcome e-mail); the vendor channel waits for a
    payment or the loaned-certificate path (status ``pendiente_pago``).
    """
    if channel not in ("dian", "vendor"):
        raise InvalidInput(f"unknown channel '{channel}'", "use dian or vendor")
    if channel == "dian" and form.missing_representative_fields() + (
        [] if form.autoridad_certificacion else ["autoridad_certificacion"]
    ):
        validate_form(form.to_json(), require_representative=True)  # names every missing field
    secret = require_strong_password(store_password)
    radicado = str(uuid.uuid4())
    with step(home, clock, report) as s:
        # Inside the transaction: the escrow key is created (once per home) under the write lock.
        sealed = escrow.seal(s.write, radicado, secret, ca_password=ca_password)
        status = Status.RADICADA if channel == "dian" else Status.PENDIENTE_PAGO
        user = platform.platform_user(form.nit.number, radicado)
        s.conn.execute(
            "INSERT INTO requests (radicado, channel, status, form, platform_user,"
            " platform_password_hash, sealed_password, created_at, updated_at)"
            " VALUES (?, ?, ?, ?, ?, '', ?, ?, ?)",
            (radicado, channel, status.value, json.dumps(form.to_json(), ensure_ascii=False), user,
             sealed, records.iso(s.now), records.iso(s.now)),
        )  # fmt: skip
        records.add_event(
            s.conn, radicado, s.now, "radicada",
            {"channel": channel, "nit": form.nit.with_dv, "razon_social": form.razon_social},
        )  # fmt: skip
        if channel == "dian":
            send_welcome(s, records.load(s.conn, radicado))
        return Filed(radicado, status, user)


def file_form(
    home: Home,
    clock: Clock,
    data: Mapping[str, str],
    password: str,
    confirmation: str | None = None,
    *,
    channel: str = "dian",
    ca_password: bytes | None = None,
    report: StepReport | None = None,
) -> Filed:
    """Check a form as typed (every broken rule at once, :class:`InvalidRequestForm`) and file it.

    ``confirmation`` of None means the password was given once (a file, the API's body without
    one). DIAN's channel needs the legal representative and the authority; the vendor's may leave
    them for the payment or the loan.
    """
    if channel not in ("dian", "vendor"):
        raise InvalidInput(f"unknown channel '{channel[:20]}'", "use dian or vendor")
    parsed = validate_form(data, password, password if confirmation is None else confirmation,
                           require_password=True, require_representative=channel == "dian")  # fmt: skip
    return file_request(home, clock, parsed, password, channel=channel, ca_password=ca_password, report=report)


def login(
    home: Home, clock: Clock, radicado: str, user: str, password: str, new_password: str | None = None
) -> bool:
    """Sign in to the CA's platform; the first sign-in must set ``new_password``.

    Returns True when the password was changed. Raises :class:`RefusedOperation` for a wrong user
    or password and :class:`~minica.errors.WeakPassword` for a new password that breaks the policy.
    """
    with step(home, clock) as s:
        record = records.load(s.conn, radicado)
        if record.status is Status.PENDIENTE_PAGO:
            raise _refuse_state(record, "sign in to")
        stored = s.conn.execute(
            "SELECT platform_password_hash FROM requests WHERE radicado = ?", (record.radicado,)
        ).fetchone()[0]
        if user.strip() != record.platform_user or not stored or not platform.password_matches(password, stored):
            # Committed before refusing; what was typed is not recorded: it may be a password.
            records.add_event(s.conn, record.radicado, s.now, "ingreso_fallido", {})
            changed = None
        else:
            changed = _sign_in(s, record, password, new_password)
    if changed is None:
        raise WrongCredentials(
            "wrong platform user or password",
            "use the user and temporary password of the welcome e-mail (`minica request outbox`)",
        )
    return changed


def _sign_in(s: Step, record: records.RequestRecord, password: str, new_password: str | None) -> bool:
    """A sign-in with the right credentials: the forced change of the temporary password."""
    if record.must_change_password and not new_password:
        raise PasswordChangeRequired(
            "first sign-in: the temporary password must be changed",
            "give a new password (--new-password-file, or answer the prompt)",
        )
    changed = False
    if new_password:
        require_strong_password(new_password)
        if new_password == password:
            raise InvalidInput("the new password is the same as the current one", "choose a different one")
        records.update(
            s.conn, record.radicado, s.now,
            platform_password_hash=platform.hash_password(new_password), must_change_password=0,
        )  # fmt: skip
        records.add_event(s.conn, record.radicado, s.now, "contrasena_cambiada", {})
        changed = True
    records.add_event(s.conn, record.radicado, s.now, "ingreso", {"user": record.platform_user})
    if record.status is Status.RADICADA:
        records.update(s.conn, record.radicado, s.now, status=Status.EN_DILIGENCIAMIENTO)
    return changed


def save_section(
    home: Home, clock: Clock, radicado: str, section: str, changes: Mapping[str, str] | None = None
) -> list[str]:
    """Save ("Guardar sección") one section, with optional field changes; returns what is missing.

    The documents section needs every required document uploaded first. Any section may be saved
    again any number of times until Finalizar.
    """
    name = platform.parse_section(section)
    changes = {key.strip().replace("-", "_"): value for key, value in (changes or {}).items()}
    with step(home, clock) as s:
        record = records.load(s.conn, radicado)
        _require(record, "edit", *EDITABLE)
        allowed = platform.SECTIONS[name]
        stray = sorted(set(changes) - set(allowed))
        if stray:
            raise InvalidInput(
                f"section {name} has no field {', '.join(stray)}",
                f"its fields are {', '.join(allowed) or '(none: it holds the documents)'}",
            )
        if name == "documentos":
            present = {d.kind for d in records.documents(s.conn, record.radicado)}
            missing = [k for k in platform.required_documents(record.form) if k not in present]
            if missing:
                raise RefusedOperation(
                    "the documents section is incomplete: missing "
                    + ", ".join(f"{k} ({platform.DOCUMENT_KINDS[k]})" for k in missing),
                    "upload each one with `minica request attach RADICADO --kind KIND FILE.pdf`",
                )
        form = record.form
        if changes:
            form = record.form.with_changes(changes, require_representative=True)
        elif name == "representante":
            form.with_changes({}, require_representative=True)  # names every missing field
        sections = dict(record.sections)
        sections[name] = records.iso(s.now)
        records.update(
            s.conn, record.radicado, s.now,
            form=json.dumps(form.to_json(), ensure_ascii=False), sections=json.dumps(sections),
        )  # fmt: skip
        records.add_event(s.conn, record.radicado, s.now, "seccion_guardada", {"section": name, "changes": changes})
        return [n for n in platform.SECTIONS if n not in sections]


def attach(home: Home, clock: Clock, radicado: str, kind: str, source: Path) -> records.Document:
    """Upload the PDF file ``source`` (at most 1 MB) as a document of ``kind``."""
    kind = platform.parse_document_kind(kind)
    return attach_data(home, clock, radicado, kind, *pdf.read_upload(source))


def attach_data(home: Home, clock: Clock, radicado: str, kind: str, filename: str, data: bytes) -> records.Document:
    """Upload a PDF given as bytes (the HTTP API's way); stored with its SHA-256."""
    kind = platform.parse_document_kind(kind)
    filename = pdf.upload_name(filename)
    digest = pdf.check_pdf(data, filename)
    with step(home, clock) as s:
        record = records.load(s.conn, radicado)
        _require(record, "attach", *EDITABLE)
        return store_document(s, record.radicado, kind, filename, data, digest)


def store_document(s: Step, radicado: str, kind: str, filename: str, data: bytes, digest: str) -> records.Document:
    """Write an already-checked PDF under the request's folder and record it."""
    number = s.conn.execute("SELECT COUNT(*) FROM request_documents WHERE radicado = ?", (radicado,)).fetchone()[0]
    target = platform.documents_dir(s.home, radicado) / f"{number + 1:03d}-{kind}.pdf"
    atomic_write(target, data, mode=0o600)
    s.written.append(target)
    doc = records.Document(kind, filename, len(data), digest, str(target.relative_to(s.home.root)), s.now)
    records.add_document(s.conn, radicado, doc)
    records.add_event(s.conn, radicado, s.now, "documento_cargado", {"kind": kind, "file": filename, "sha256": digest})
    return doc


def document_file(home: Home, radicado: str, number: int) -> tuple[records.Document, bytes]:
    """The ``number``-th document uploaded to a request (from 1, in upload order) and its bytes;
    :class:`~minica.errors.NotFound` when there is no such document or its file is gone."""
    from minica.storage.database import Database

    with Database.open(home) as db:
        docs = records.documents(db.connection, records.load(db.connection, radicado).radicado)
    if not 1 <= number <= len(docs):
        raise NotFound(f"request {radicado} has no document number {number}", "see the request's documents")
    doc = docs[number - 1]
    try:
        return doc, home.resolve(doc.path).read_bytes()
    except OSError:
        raise NotFound(f"the file of document {number} ({doc.filename}) is missing", "upload it again") from None


def finalize(home: Home, clock: Clock, radicado: str) -> None:
    """Finalizar: every section saved, the form locks, the request is complete and under review."""
    with step(home, clock) as s:
        record = records.load(s.conn, radicado)
        _require(record, "finalize", *EDITABLE)
        pending = [n for n in platform.SECTIONS if n not in record.sections]
        if pending:
            raise RefusedOperation(
                f"cannot finalize request {record.radicado}: sections not saved: {', '.join(pending)}",
                "save each with `minica request section RADICADO NAME`",
            )
        # The form may have changed since the documents section was saved (e.g. natural → jurídica).
        present = {d.kind for d in records.documents(s.conn, record.radicado)}
        missing = [k for k in platform.required_documents(record.form) if k not in present]
        if missing:
            raise RefusedOperation(
                f"cannot finalize request {record.radicado}: documents missing: "
                + ", ".join(f"{k} ({platform.DOCUMENT_KINDS[k]})" for k in missing),
                "upload each one with `minica request attach RADICADO --kind KIND FILE.pdf`",
            )
        correction = record.status is Status.RECHAZADA
        records.update(s.conn, record.radicado, s.now, status=Status.COMPLETA, finalized_at=records.iso(s.now))
        records.add_event(
            s.conn, record.radicado, s.now, "correccion_finalizada" if correction else "finalizada",
            {"round": record.rejection_round},
        )  # fmt: skip
        outbox.notify(s.conn, s.home, record, "completa", s.now, s.written)


def approve(home: Home, clock: Clock, radicado: str, *, ca_password: bytes | None = None) -> IssuedCertificate:
    """Approve a complete request: issue the certificate (one year, the chosen authority's
    profile) into both environments' stores, protected with the form's password; e-mail it.

    One transaction does it all (status, certificate, keystores, e-mail): two approvals at once
    serialise on it and the second is refused; a killed approval leaves the request complete.
    """
    with step(home, clock) as s:
        record = records.load(s.conn, radicado)
        _require(record, "approve", Status.COMPLETA)
        sealed = s.conn.execute(
            "SELECT sealed_password FROM requests WHERE radicado = ?", (record.radicado,)
        ).fetchone()[0]
        if sealed is None:  # pragma: no cover - a complete request always has it
            raise RefusedOperation(f"request {record.radicado} holds no sealed password", "file a new request")
        password = escrow.unseal(home, record.radicado, bytes(sealed), ca_password=ca_password)
        issued = issue_certificate(home, issue_request(record.form), store_password=password, clock=FixedClock(s.now),
                                   ca_password=ca_password, action="request-approve", into=s.write)  # fmt: skip
        records.update(s.conn, record.radicado, s.now, status=Status.APROBADA, serial=issued.serial_hex,
                       sealed_password=None)  # fmt: skip
        records.add_event(
            s.conn, record.radicado, s.now, "aprobada",
            {"serial": issued.serial_hex, "stores": {e.value: str(p) for e, p in issued.store_paths.items()}},
        )  # fmt: skip
        outbox.notify(
            s.conn, home, record, "emitido", s.now, s.written, serial=issued.serial_hex,
            not_before=issued.certificate.not_valid_before_utc, not_after=issued.certificate.not_valid_after_utc,
        )  # fmt: skip
    return issued


def issue_request(form: RequestForm) -> IssueRequest:
    """The issuance request for a form: its authority's profile, one year, both environments."""
    document = None
    if form.representante_tipo_documento and form.representante_numero_documento:
        document = f"{form.representante_tipo_documento.value} {form.representante_numero_documento}"
    return IssueRequest(
        nit=form.nit, name=form.razon_social, person=form.tipo_persona,
        profile=form.autoridad_certificacion or "gse", email=form.email,
        legal_representative=form.representante, legal_representative_document=document,
        department=form.departamento.name, city=form.ciudad.name,
    )  # fmt: skip


def reject(home: Home, clock: Clock, radicado: str, reason: str) -> None:
    """Reject the documents: e-mail what to correct and reopen the form; reminders start."""
    from minica.ca.requests.reminders import expires_at

    if not reason.strip():
        raise InvalidInput("a rejection needs a reason", "say what to correct, e.g. --reason 'RUT ilegible'")
    records.require_short(reason, "the rejection reason", 1000)
    with step(home, clock) as s:
        record = records.load(s.conn, radicado)
        _require(record, "reject", Status.COMPLETA)
        sections = {k: v for k, v in record.sections.items() if k != "documentos"}
        round_ = record.rejection_round + 1
        records.update(
            s.conn, record.radicado, s.now, status=Status.RECHAZADA, finalized_at=None,
            rejection_round=round_, rejected_at=records.iso(s.now), rejection_reason=reason.strip(),
            sections=json.dumps(sections),
        )  # fmt: skip
        records.add_event(s.conn, record.radicado, s.now, "rechazada", {"reason": reason.strip(), "round": round_})
        outbox.notify(s.conn, s.home, record, "rechazo", s.now, s.written,
                      reason=reason.strip(), expires_at=expires_at(s.now))  # fmt: skip


def identity_failed(home: Home, clock: Clock, radicado: str, detail: str = "") -> None:
    """Identity validation failed: e-mail pointing to support; the request ends."""
    records.require_short(detail, "the detail", 1000)
    with step(home, clock) as s:
        record = records.load(s.conn, radicado)
        _require(record, "end", Status.RADICADA, Status.EN_DILIGENCIAMIENTO, Status.COMPLETA, Status.RECHAZADA)
        records.update(s.conn, record.radicado, s.now, status=Status.IDENTIDAD_FALLIDA, sealed_password=None)
        records.add_event(s.conn, record.radicado, s.now, "identidad_fallida", {"detail": detail})
        outbox.notify(s.conn, s.home, record, "identidad_fallida", s.now, s.written)


def tick(home: Home, clock: Clock) -> StepReport:
    """Bring every request up to now (reminders, expiry, loan ends); say what happened."""
    report = StepReport()
    with step(home, clock, report):
        pass
    return report


def load(home: Home, clock: Clock, radicado: str) -> tuple[records.RequestRecord, dict[str, Any]]:
    """A request brought up to now, and its full view (see ``view.request_view``)."""
    from minica.ca.requests.view import request_view

    with step(home, clock) as s:
        record = records.load(s.conn, radicado)
        return record, request_view(s.conn, s.home, record, s.now)


def summary(home: Home, clock: Clock, radicado: str) -> dict[str, Any]:
    """One request's short view (as in :func:`list_requests`), brought up to now."""
    from minica.ca.requests.view import summary as short_view

    with step(home, clock) as s:
        return short_view(records.load(s.conn, radicado))


def list_requests(home: Home, clock: Clock) -> list[dict[str, Any]]:
    """Every request, brought up to now, in filing order (a short view each)."""
    from minica.ca.requests.view import summary

    with step(home, clock) as s:
        return [summary(r) for r in records.all_records(s.conn)]
