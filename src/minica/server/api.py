"""The JSON API under ``/api/v1/``: thin routes over ``minica.ca`` and ``minica.signing``.

Each route reads and type-checks its JSON body (:class:`Fields`), calls one library function and
returns JSON. CPU work (issuing, checking, signing, verifying) runs in a worker process of the
server's :class:`~minica.server.workers.WorkerPool`, bounded in time (:mod:`minica.server.jobs`);
quick database reads run in a thread. Passwords only ever arrive in request bodies, never in URLs,
and are never logged.
"""

from __future__ import annotations

import base64
import binascii
import datetime as _dt
from dataclasses import dataclass
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives import serialization
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from minica.ca import registry
from minica.ca.issuance import IssueRequest
from minica.clock import Clock, parse_time
from minica.environment import Environment, parse_environments
from minica.identity import Nit, PersonType
from minica.server import jobs
from minica.server.http import ApiError, read_json, require_token
from minica.server.openapi import openapi_document
from minica.server.workers import WorkerPool
from minica.signing.policy import SignerRole, digest_algorithm
from minica.signing.selection import Selection
from minica.storage.home import Home
from minica.storage.keystore import P12Profile
from minica.storage.passwords import require_strong_password


class Fields:
    """Typed access to a JSON body: a wrong type or a missing field is a 422 naming the field."""

    def __init__(self, data: dict[str, Any]) -> None:
        self.data = data

    def _get(self, name: str, kind: type | tuple[type, ...], label: str, required: bool) -> Any:
        value = self.data.get(name)
        if value is None:
            if required:
                raise ApiError(422, f"the field '{name}' is missing", f"give '{name}' as {label}")
            return None
        if not isinstance(value, kind) or isinstance(value, bool) and kind is not bool:
            raise ApiError(422, f"the field '{name}' must be {label}, not {type(value).__name__}",
                           f"send '{name}' as {label}")
        return value

    def text(self, name: str, *, required: bool = False) -> str | None:
        value = self._get(name, str, "a string", required)
        if value is not None and "\x00" in value:
            raise ApiError(422, f"the field '{name}' holds a NUL character", "remove it")
        return value

    def required_text(self, name: str) -> str:
        value = self.text(name, required=True)
        assert value is not None
        return value

    def integer(self, name: str) -> int | None:
        return self._get(name, int, "an integer", False)  # type: ignore[no-any-return]

    def flag(self, name: str) -> bool:
        return bool(self._get(name, bool, "true or false", False))

    def document(self) -> bytes:
        """The document as ``document`` (text, UTF-8) or ``document_base64`` (exact bytes)."""
        text, b64 = self.text("document"), self.text("document_base64")
        if (text is None) == (b64 is None):
            raise ApiError(422, "give the document as 'document' (text) or 'document_base64', one of them",
                           "base64 keeps the bytes exactly as they are")
        if text is not None:
            return text.encode("utf-8")
        assert b64 is not None
        try:
            return base64.b64decode(b64, validate=True)
        except (binascii.Error, ValueError):
            raise ApiError(422, "the field 'document_base64' is not base64", "encode the file's bytes") from None


def _time(fields: Fields, name: str) -> _dt.datetime | None:
    text = fields.text(name)
    return parse_time(text) if text is not None else None


@dataclass
class Api:
    """The JSON API over one home. ``token`` guards the mutating endpoints; ``pool`` runs the work."""

    home: Home
    clock: Clock
    token: str
    ca_password: bytes | None
    pool: WorkerPool

    def routes(self) -> list[Route]:
        return [
            Route("/api/v1/openapi.json", self.openapi, methods=["GET"]),
            Route("/api/v1/certificates", self.list_certificates, methods=["GET"]),
            Route("/api/v1/certificates", self.issue, methods=["POST"]),
            Route("/api/v1/certificates/{serial}", self.show, methods=["GET"]),
            Route("/api/v1/certificates/{serial}/revoke", self.revoke, methods=["POST"]),
            Route("/api/v1/check", self.check_stored, methods=["GET"]),
            Route("/api/v1/check", self.check_certificate, methods=["POST"]),
            Route("/api/v1/sign", self.sign, methods=["POST"]),
            Route("/api/v1/verify", self.verify, methods=["POST"]),
        ]

    async def openapi(self, request: Request) -> JSONResponse:
        return JSONResponse(openapi_document(str(request.base_url).rstrip("/")))

    async def list_certificates(self, _request: Request) -> JSONResponse:
        records = await run_in_threadpool(registry.list_certificates, self.home)
        now = self.clock.now()
        return JSONResponse({"certificates": [record_json(r, now) for r in records]})

    async def show(self, request: Request) -> JSONResponse:
        record = await run_in_threadpool(registry.get_certificate, self.home, request.path_params["serial"])
        return JSONResponse(record_json(record, self.clock.now(), with_pem=True))

    async def issue(self, request: Request) -> JSONResponse:
        require_token(request, self.token)
        fields = Fields(await read_json(request))
        issue_request = IssueRequest(
            nit=Nit.parse(fields.required_text("nit")),
            name=fields.required_text("name"),
            person=PersonType.parse(fields.text("person") or "juridica"),
            profile=fields.text("profile") or "gse",
            email=fields.text("email"),
            legal_representative=fields.text("legal_representative"),
            legal_representative_document=fields.text("legal_representative_document"),
            department=fields.text("department"),
            city=fields.text("city"),
            environments=parse_environments(fields.text("environments") or "both"),
            days=fields.integer("days"),
            not_before=_time(fields, "not_before"),
            not_after=_time(fields, "not_after"),
            p12_profile=P12Profile.parse(fields.text("p12_profile") or "compat"),
            key_usage=fields.text("key_usage") or "signing",
        )
        password = require_strong_password(fields.required_text("password"))
        record = await self.pool.run(jobs.issue, self.home, self.clock, issue_request, password, self.ca_password)
        return JSONResponse(record_json(record, self.clock.now(), with_pem=True), status_code=201)

    async def revoke(self, request: Request) -> JSONResponse:
        require_token(request, self.token)
        fields = Fields(await read_json(request))
        reason = registry.RevocationReason.parse(fields.text("reason") or "unspecified")
        record = await run_in_threadpool(
            lambda: registry.revoke(self.home, request.path_params["serial"], reason, now=self.clock.now())
        )
        return JSONResponse(record_json(record, self.clock.now()))

    async def check_stored(self, request: Request) -> JSONResponse:
        warn_days = _warn_days(request.query_params.get("warn_days"))
        reports = await self.pool.run(jobs.check_stored, self.home, self.clock.now(), warn_days)
        return JSONResponse({"reports": reports})

    async def check_certificate(self, request: Request) -> JSONResponse:
        fields = Fields(await read_json(request))
        certificate = _certificate(fields.required_text("certificate"))
        warn_days = fields.integer("warn_days")
        warn = 30 if warn_days is None else warn_days
        if not 0 <= warn <= 3650:
            raise ApiError(422, f"warn_days {warn} is out of range", "use 0 to 3650")
        der = certificate.public_bytes(serialization.Encoding.DER)
        return JSONResponse(await self.pool.run(jobs.check_certificate, self.home, self.clock.now(), der, warn))

    async def sign(self, request: Request) -> JSONResponse:
        require_token(request, self.token)
        fields = Fields(await read_json(request))
        data = fields.document()
        password = fields.required_text("password").encode("utf-8")
        env = fields.text("environment")
        selection = Selection(serial=fields.text("serial"), nit=fields.text("nit"),
                              environment=Environment.parse(env) if env else None)
        role = SignerRole.parse(fields.text("role") or "supplier")
        digest = digest_algorithm(fields.text("digest") or "sha256")
        with_chain = fields.flag("with_chain")
        return JSONResponse(await self.pool.run(jobs.sign, self.home, self.clock.now(), data, password, selection,
                                                role, digest, with_chain))

    async def verify(self, request: Request) -> JSONResponse:
        fields = Fields(await read_json(request))
        data = fields.document()
        technical_key, software_pin = fields.text("technical_key"), fields.text("software_pin")
        return JSONResponse(await self.pool.run(jobs.verify, self.home, self.clock.now(), data, technical_key,
                                                software_pin))


def record_json(record: registry.CertificateRecord, now: _dt.datetime, *, with_pem: bool = False) -> dict[str, Any]:
    """A certificate as the API shows it: its status at ``now``, never server paths; the PEM on request."""
    data = record.to_json()
    if with_pem:
        data["certificate_pem"] = record.cert_pem
    data.pop("stores", None)  # server-side paths are none of the client's business
    data["status"] = "revoked" if record.revoked_by(now) else (
        "expired" if now > record.not_after else "not_yet_valid" if now < record.not_before else "valid"
    )
    return data


def _warn_days(text: str | None) -> int:
    if text is None:
        return 30
    if not text.isdigit() or int(text) > 3650:
        raise ApiError(422, f"warn_days '{text[:20]}' is not a number of days", "use 0 to 3650")
    return int(text)


def _certificate(text: str) -> x509.Certificate:
    """A certificate given as PEM or as base64 DER."""
    try:
        if "-----BEGIN" in text:
            return x509.load_pem_x509_certificate(text.encode("utf-8"))
        return x509.load_der_x509_certificate(base64.b64decode(text, validate=True))
    except (ValueError, binascii.Error):
        raise ApiError(422, "the field 'certificate' is not a PEM or base64 DER certificate",
                       "send the certificate as PEM text or base64 of its DER") from None
