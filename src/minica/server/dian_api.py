"""The local DIAN in the JSON API, under ``/api/v1/dian/``: register software (like ``minica dian
register``), list what the web service received, and a test set's counters. Every endpoint needs the
token: registrations carry the technical key, and received documents carry taxpayers' data."""

from __future__ import annotations

from dataclasses import dataclass

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from minica.clock import Clock
from minica.dian.registration import RegistrationRequest, TestSetQuota, list_registrations, register_software
from minica.dian.store import received_documents
from minica.dian.testset import test_set_report
from minica.environment import Environment
from minica.identity import Nit
from minica.server.api import Fields
from minica.server.http import ApiError, read_json, require_token
from minica.storage.home import Home


@dataclass
class DianApi:
    home: Home
    clock: Clock
    token: str

    def routes(self) -> list[Route]:
        return [
            Route("/api/v1/dian/software", self.register, methods=["POST"]),
            Route("/api/v1/dian/software", self.software, methods=["GET"]),
            Route("/api/v1/dian/documents", self.documents, methods=["GET"]),
            Route("/api/v1/dian/testsets/{test_set_id}", self.test_set, methods=["GET"]),
        ]

    async def register(self, request: Request) -> JSONResponse:
        require_token(request, self.token)
        fields = Fields(await read_json(request))
        provider = fields.text("provider_nit")
        registration_request = RegistrationRequest(
            nit=Nit.parse(fields.required_text("nit")), pin=fields.required_text("pin"),
            provider_nit=Nit.parse(provider) if provider else None, name=fields.text("name") or "",
            environment=Environment.parse(fields.text("environment") or "habilitacion"),
            prefix=(fields.text("prefix") or "SETP").upper(), from_number=fields.integer("from_number") or 990000000,
            to_number=fields.integer("to_number") or 995000000,
            quota=TestSetQuota.parse(fields.text("test_set_quota") or "30/10/10"),
        )
        registration = await run_in_threadpool(register_software, self.home, self.clock, registration_request)
        return JSONResponse(registration.to_json(), status_code=201)

    async def software(self, request: Request) -> JSONResponse:
        require_token(request, self.token)
        found = await run_in_threadpool(list_registrations, self.home)
        return JSONResponse({"software": [r.to_json() for r in found]})

    async def documents(self, request: Request) -> JSONResponse:
        require_token(request, self.token)
        env, test_set = request.query_params.get("environment"), request.query_params.get("test_set_id")
        limit_text = request.query_params.get("limit", "100")
        if not limit_text.isdigit() or not 1 <= int(limit_text) <= 100_000:
            raise ApiError(400, f"limit '{limit_text[:20]}' is not a number from 1 to 100000", "e.g. limit=100")
        with_xml = request.query_params.get("with_xml", "").lower() in ("1", "true", "yes")
        found = await run_in_threadpool(lambda: received_documents(
            self.home, environment=Environment.parse(env) if env else None, test_set_id=test_set,
            limit=int(limit_text)))
        return JSONResponse({"documents": [d.to_json(with_xml=with_xml) for d in found]})

    async def test_set(self, request: Request) -> JSONResponse:
        require_token(request, self.token)
        status = await run_in_threadpool(lambda: test_set_report(
            self.home, test_set_id=request.path_params["test_set_id"]))
        return JSONResponse(status.to_json())
