"""The request process (``minica request …``) in the JSON API, under ``/api/v1/requests``.

The same thin shape as :mod:`minica.server.api`: type-check the body, call one function of
:mod:`minica.ca.requests` in a worker thread, answer JSON; issuing a certificate and reading an
uploaded PDF run in a worker process, bounded in time (:mod:`minica.server.workers`). Every call
brings the process up to the server's clock first (reminders, expiry, loan ends), exactly as every
CLI command does.

Every endpoint of the process needs the bearer token, reads too: a request holds personal data
(the legal representative's identity document, e-mail, phone), the welcome e-mail holds the
platform's temporary password, and reading a request applies whatever is due (e-mails included).
The vendor's settings too: they name the certificate companies borrow.
"""

from __future__ import annotations

import base64
import binascii
from dataclasses import dataclass
from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from minica.ca.requests import form as request_form
from minica.ca.requests import outbox, process, records, vendor
from minica.ca.requests.pdf import MAX_BYTES
from minica.ca.requests.records import Document
from minica.ca.requests.steps import StepReport
from minica.clock import Clock, colombian
from minica.server import jobs
from minica.server.api import Fields, record_json
from minica.server.http import ApiError, read_json, require_token
from minica.server.workers import WorkerPool
from minica.storage.database import Database
from minica.storage.home import Home
from minica.storage.passwords import require_strong_password

#: A PDF of at most 1 MB, base64 (4/3) in a JSON object with a few other fields.
MAX_UPLOAD_BODY = MAX_BYTES * 4 // 3 + 16 * 1024

_REPRESENTATIVE = request_form.REPRESENTATIVE_FIELDS


def _form_fields(fields: Fields, names: tuple[str, ...]) -> dict[str, str]:
    """The form fields present in the body, each checked to be a string."""
    return {name: value for name in names if (value := fields.text(name)) is not None}


def _object(fields: Fields, name: str) -> dict[str, str]:
    """An optional JSON object of string values (a section's field changes)."""
    value = fields.data.get(name)
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise ApiError(422, f"the field '{name}' must be an object of field names to values",
                       'e.g. {"fields": {"email": "facturas@empresa.com.co"}}')
    nested = Fields(value)
    return {key: nested.required_text(key) for key in value}


def _pdf(fields: Fields) -> tuple[str, bytes]:
    """An upload: ``filename`` and ``content_base64`` (the PDF's bytes)."""
    filename = fields.required_text("filename")
    try:
        data = base64.b64decode(fields.required_text("content_base64"), validate=True)
    except (binascii.Error, ValueError):
        raise ApiError(422, "the field 'content_base64' is not base64", "encode the PDF file's bytes") from None
    return filename, data


def _document_json(doc: Document) -> dict[str, Any]:
    return {"kind": doc.kind, "filename": doc.filename, "size": doc.size, "sha256": doc.sha256,
            "uploaded_at": colombian(doc.uploaded_at).isoformat()}


def _public_view(view: dict[str, Any]) -> dict[str, Any]:
    """A request's view without server-side file paths (the client cannot use them)."""
    shown = dict(view)
    shown["history"] = [{**e, "detail": {k: v for k, v in e["detail"].items() if k != "stores"}}
                        for e in view["history"]]  # fmt: skip
    shown["documents"] = [{k: v for k, v in d.items() if k != "path"} for d in view["documents"]]
    shown["emails"] = [{k: v for k, v in e.items() if k != "file"} for e in view["emails"]]
    return shown


def _entry_json(entry: outbox.OutboxEntry) -> dict[str, Any]:
    return {k: v for k, v in entry.to_json().items() if k != "file"}  # a server path is no use to a client


def _with_report(body: dict[str, Any], report: StepReport) -> dict[str, Any]:
    """Add what the clock caught up with and undelivered e-mails, when there are any."""
    if report.caught_up:
        body["caught_up"] = report.caught_up
    if report.delivery_problems:
        body["delivery_problems"] = report.delivery_problems
    return body


@dataclass
class RequestApi:
    """The request-process endpoints over one home; ``pool`` runs the CPU work."""

    home: Home
    clock: Clock
    token: str
    ca_password: bytes | None
    pool: WorkerPool

    def routes(self) -> list[Route]:
        base = "/api/v1/requests"
        one = base + "/{radicado}"
        return [
            Route(base, self.list_requests, methods=["GET"]),
            Route(base, self.file, methods=["POST"]),
            Route(base + "/tick", self.tick, methods=["POST"]),
            Route(one, self.show, methods=["GET"]),
            Route(one + "/login", self.login, methods=["POST"]),
            Route(one + "/sections/{section}", self.save_section, methods=["POST"]),
            Route(one + "/documents", self.attach, methods=["POST"]),
            Route(one + "/finalize", self.finalize, methods=["POST"]),
            Route(one + "/approve", self.approve, methods=["POST"]),
            Route(one + "/reject", self.reject, methods=["POST"]),
            Route(one + "/identity-failed", self.identity_failed, methods=["POST"]),
            Route(one + "/payment", self.pay, methods=["POST"]),
            Route(one + "/loan", self.start_loan, methods=["POST"]),
            Route(one + "/loan/letter", self.letter, methods=["GET"]),
            Route(one + "/loan/letter", self.upload_letter, methods=["POST"]),
            Route("/api/v1/outbox", self.list_outbox, methods=["GET"]),
            Route("/api/v1/outbox/{id}.eml", self.message_eml, methods=["GET"]),  # before {id}: it would match
            Route("/api/v1/outbox/{id}", self.message, methods=["GET"]),
            Route("/api/v1/vendor/certificate", self.vendor_certificate, methods=["POST"]),
            Route("/api/v1/vendor/settings", self.vendor_settings, methods=["GET", "POST"]),
        ]

    # --- reading -------------------------------------------------------------------------------

    async def list_requests(self, request: Request) -> JSONResponse:
        require_token(request, self.token)
        rows = await run_in_threadpool(process.list_requests, self.home, self.clock)
        return JSONResponse({"requests": rows})

    async def show(self, request: Request) -> JSONResponse:
        require_token(request, self.token)
        _record, view = await run_in_threadpool(process.load, self.home, self.clock, request.path_params["radicado"])
        return JSONResponse(_public_view(view))

    # --- the requester -------------------------------------------------------------------------

    async def file(self, request: Request) -> JSONResponse:
        """File DIAN's form (or the vendor's): every broken rule comes back at once in ``problems``."""
        require_token(request, self.token)
        fields = Fields(await read_json(request))
        channel = fields.text("channel") or "dian"
        if channel not in ("dian", "vendor"):
            raise ApiError(422, f"unknown channel '{channel[:20]}'", "use dian or vendor")
        request_form.check_known_keys(fields.data, allowed=("password", "password_confirmation", "channel"))
        known = set(request_form.FIELDS + request_form.CODE_FIELDS)
        data: dict[str, Any] = {name: fields.text(name) for name in fields.data if name in known}
        password = fields.text("password") or ""  # a missing one is named with the form's other problems
        confirmation = fields.text("password_confirmation")

        def work() -> dict[str, Any]:
            report = StepReport()
            filed = process.file_form(self.home, self.clock, {k: v for k, v in data.items() if v is not None},
                                      password, confirmation, channel=channel, ca_password=self.ca_password,
                                      report=report)  # fmt: skip
            return _with_report({"radicado": filed.radicado, "status": filed.status.value,
                                 "platform_user": filed.platform_user}, report)  # fmt: skip

        return JSONResponse(await run_in_threadpool(work), status_code=201)

    async def login(self, request: Request) -> JSONResponse:
        require_token(request, self.token)
        fields = Fields(await read_json(request))
        radicado = request.path_params["radicado"]
        user, password = fields.required_text("user"), fields.required_text("password")
        new_password = fields.text("new_password")
        changed = await run_in_threadpool(process.login, self.home, self.clock, radicado, user, password, new_password)
        return await self._status(radicado, password_changed=changed)

    async def save_section(self, request: Request) -> JSONResponse:
        require_token(request, self.token)
        fields = Fields(await read_json(request, optional=True))
        changes = _object(fields, "fields")
        radicado, section = request.path_params["radicado"], request.path_params["section"]
        pending = await run_in_threadpool(process.save_section, self.home, self.clock, radicado, section, changes)
        return await self._status(radicado, pending_sections=pending)

    async def attach(self, request: Request) -> JSONResponse:
        require_token(request, self.token)
        fields = Fields(await read_json(request, MAX_UPLOAD_BODY))
        kind = fields.required_text("kind")
        filename, data = _pdf(fields)
        doc = await self.pool.run(process.attach_data, self.home, self.clock, request.path_params["radicado"], kind,
                                  filename, data)
        return JSONResponse(_document_json(doc), status_code=201)

    async def finalize(self, request: Request) -> JSONResponse:
        require_token(request, self.token)
        radicado = request.path_params["radicado"]
        await run_in_threadpool(process.finalize, self.home, self.clock, radicado)
        return await self._status(radicado)

    # --- the CA's reviewer ---------------------------------------------------------------------

    async def approve(self, request: Request) -> JSONResponse:
        """Issue the certificate into both environments' stores, with the form's sealed password."""
        require_token(request, self.token)
        radicado = request.path_params["radicado"]
        record = await self.pool.run(jobs.approve, self.home, self.clock, radicado, self.ca_password)
        certificate = record_json(record, self.clock.now(), with_pem=True)
        return JSONResponse({"radicado": radicado.strip().lower(), "status": "aprobada", "certificate": certificate})

    async def reject(self, request: Request) -> JSONResponse:
        require_token(request, self.token)
        fields = Fields(await read_json(request))
        radicado, reason = request.path_params["radicado"], fields.required_text("reason")
        await run_in_threadpool(process.reject, self.home, self.clock, radicado, reason)
        return await self._status(radicado)

    async def identity_failed(self, request: Request) -> JSONResponse:
        require_token(request, self.token)
        fields = Fields(await read_json(request, optional=True))
        radicado, detail = request.path_params["radicado"], fields.text("detail") or ""
        await run_in_threadpool(process.identity_failed, self.home, self.clock, radicado, detail)
        return await self._status(radicado)

    async def tick(self, request: Request) -> JSONResponse:
        """Apply every reminder, expiry and loan end due by the server's clock."""
        require_token(request, self.token)
        report = await run_in_threadpool(process.tick, self.home, self.clock)
        return JSONResponse({"applied": report.caught_up, "delivery_problems": report.delivery_problems})

    # --- the vendor variant --------------------------------------------------------------------

    async def pay(self, request: Request) -> JSONResponse:
        require_token(request, self.token)
        fields = Fields(await read_json(request))
        radicado, reference = request.path_params["radicado"], fields.required_text("reference")
        amount = fields.integer("amount_cop")
        completion = _form_fields(fields, _REPRESENTATIVE + ("autoridad_certificacion",))
        await run_in_threadpool(vendor.pay, self.home, self.clock, radicado, reference, amount, completion)
        return await self._status(radicado)

    async def start_loan(self, request: Request) -> JSONResponse:
        require_token(request, self.token)
        fields = Fields(await read_json(request, optional=True))
        radicado, representative = request.path_params["radicado"], _form_fields(fields, _REPRESENTATIVE)
        await run_in_threadpool(vendor.start_loan, self.home, self.clock, radicado, representative)
        return await self._status(radicado)

    async def letter(self, request: Request) -> Response:
        """The exoneration letter to sign, as a PDF."""
        require_token(request, self.token)
        radicado = request.path_params["radicado"]
        data = await run_in_threadpool(vendor.exoneration_letter, self.home, self.clock, radicado)
        return Response(data, media_type="application/pdf",
                        headers={"Content-Disposition": 'attachment; filename="carta-exoneracion.pdf"'})

    async def upload_letter(self, request: Request) -> JSONResponse:
        require_token(request, self.token)
        fields = Fields(await read_json(request, MAX_UPLOAD_BODY))
        filename, data = _pdf(fields)
        radicado = request.path_params["radicado"]
        start, end = await self.pool.run(vendor.upload_letter_data, self.home, self.clock, radicado, filename, data)
        return await self._status(radicado, loan={"start": colombian(start).isoformat(),
                                                  "end": colombian(end).isoformat()})

    async def vendor_certificate(self, request: Request) -> JSONResponse:
        """Issue the vendor's certificate that companies borrow (once per home)."""
        require_token(request, self.token)
        fields = Fields(await read_json(request))
        password = require_strong_password(fields.required_text("password"))
        nit = fields.text("nit") or vendor.DEFAULT_VENDOR_NIT
        name = fields.text("name") or vendor.DEFAULT_VENDOR_NAME
        record = await self.pool.run(jobs.vendor_certificate, self.home, self.clock, password, nit, name,
                                     self.ca_password)
        return JSONResponse(record_json(record, self.clock.now()), status_code=201)

    async def vendor_settings(self, request: Request) -> JSONResponse:
        """GET shows the loan period, price and certificate; POST changes them. Both need the token."""
        require_token(request, self.token)
        if request.method == "POST":
            fields = Fields(await read_json(request))
            days, price = fields.integer("loan_days"), fields.integer("price_cop")
            current = await run_in_threadpool(lambda: vendor.configure(self.home, loan_days=days, price_cop=price))
        else:
            current = await run_in_threadpool(vendor.current_settings, self.home)
        return JSONResponse({"loan_days": current.loan_days, "price_cop": current.price_cop,
                             "vendor_nit": current.nit, "vendor_serial": current.serial})

    # --- the outbox ----------------------------------------------------------------------------

    async def list_outbox(self, request: Request) -> JSONResponse:
        """Every e-mail sent, or one request's (``?radicado=``)."""
        require_token(request, self.token)
        radicado = request.query_params.get("radicado")

        def work() -> list[dict[str, Any]]:
            with Database.open(self.home) as db:
                found = outbox.entries(db.connection, self.home, records.parse_radicado(radicado) if radicado else None)
                return [_entry_json(e) for e in found]

        return JSONResponse({"emails": await run_in_threadpool(work)})

    async def message(self, request: Request) -> JSONResponse:
        """One e-mail: its headers and plain-text body."""
        require_token(request, self.token)
        entry, data = await run_in_threadpool(self._message, request.path_params["id"])
        return JSONResponse({k: v for k, v in outbox.message_json(entry, data).items() if k != "file"})

    async def message_eml(self, request: Request) -> Response:
        """One e-mail exactly as sent (RFC 5322)."""
        require_token(request, self.token)
        _entry, data = await run_in_threadpool(self._message, request.path_params["id"])
        return Response(data, media_type="message/rfc822")

    def _message(self, text: str) -> tuple[outbox.OutboxEntry, bytes]:
        return outbox.stored_message(self.home, text, "list them with GET /api/v1/outbox")

    async def _status(self, radicado: str, **extra: Any) -> JSONResponse:
        """A request's short view after a change, with ``extra`` facts about the change."""

        def work() -> dict[str, Any]:
            return {**process.summary(self.home, self.clock, radicado), **extra}

        return JSONResponse(await run_in_threadpool(work))
