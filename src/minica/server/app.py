"""The ``minica serve`` application: CA certificates, CRLs, OCSP and the JSON API.

Built on Starlette (ASGI): small, typed, maintained by the Encode team, with a test client; run by
uvicorn. Routes are thin: the work happens in :mod:`minica.ca` and :mod:`minica.signing`.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import datetime as _dt
import urllib.parse
import weakref
from dataclasses import dataclass

from cryptography.hazmat.primitives import serialization
from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.requests import ClientDisconnect, Request
from starlette.responses import Response
from starlette.routing import Route
from starlette.types import ASGIApp, Receive, Scope, Send

from minica.ca.crl import DEFAULT_CRL_VALIDITY, CrlScope, CurrentCrls
from minica.ca.hierarchy import load_authority
from minica.ca.ocsp import DEFAULT_RESPONSE_VALIDITY, MALFORMED, OcspResponder
from minica.clock import Clock
from minica.errors import MinicaError
from minica.server.api import Api
from minica.server.dian_routes import DianRoutes
from minica.server.http import (
    MAX_OCSP_BODY,
    ApiError,
    RequestLog,
    api_error_handler,
    client_gone_handler,
    error_response,
    http_error_handler,
    minica_error_handler,
    read_body,
    unexpected_error_handler,
)
from minica.server.limits import DEFAULT_BODY_TIMEOUT, DEFAULT_REQUEST_TIMEOUT
from minica.server.pages import page_routes
from minica.server.pages.site import Site
from minica.server.request_api import RequestApi
from minica.server.workers import WorkerPool, within
from minica.storage.home import Home

_OCSP_TYPE = "application/ocsp-response"
#: RFC 5019 clients use GET for small requests only; longer ones must be POSTed.
MAX_OCSP_GET = 8 * 1024


@dataclass(frozen=True)
class ServerSettings:
    """What ``serve`` decides once: the home, the clock, the API token, the CA password, and the
    bounds of one request: ``request_timeout`` seconds of work in a worker process (``workers`` of
    them, default one per core, at most 4), ``body_timeout`` seconds to receive its body."""

    home: Home
    clock: Clock
    token: str
    ca_password: bytes | None = None
    crl_validity: _dt.timedelta = DEFAULT_CRL_VALIDITY
    ocsp_validity: _dt.timedelta = DEFAULT_RESPONSE_VALIDITY
    request_timeout: float = DEFAULT_REQUEST_TIMEOUT
    body_timeout: float = DEFAULT_BODY_TIMEOUT
    workers: int | None = None
    #: Seconds before the local DIAN processes an async batch (GetStatusZip says "en proceso" meanwhile).
    dian_batch_delay: float = 0.0

    def __post_init__(self) -> None:
        if len(self.token) < 16:
            raise ValueError("the API token must be at least 16 characters")
        for name in ("request_timeout", "body_timeout"):
            if not 0 < getattr(self, name) <= 86400:
                raise ValueError(f"{name} must be more than 0 s and at most a day")
        if self.workers is not None and not 1 <= self.workers <= 256:
            raise ValueError("workers must be 1 to 256")


class ServerApp:
    """The ASGI app of ``minica serve`` and its worker pool. The pool's workers stop on
    :meth:`close`, on ASGI lifespan shutdown, or when the app is garbage-collected."""

    def __init__(self, app: ASGIApp, pool: WorkerPool) -> None:
        self.app = app
        self.pool = pool
        weakref.finalize(self, pool.close)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":
            await self._lifespan(receive, send)
            return
        await self.app(scope, receive, send)

    def close(self, grace: float = 0.0) -> None:
        """Stop the workers: running jobs get ``grace`` seconds, then they are killed."""
        self.pool.close(grace)

    async def _lifespan(self, receive: Receive, send: Send) -> None:
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                await self.pool.aclose()
                await send({"type": "lifespan.shutdown.complete"})
                return


def create_app(settings: ServerSettings, pool: WorkerPool | None = None) -> ServerApp:
    """The ASGI app for ``settings.home``. Opens the CA keys now, so a wrong CA password fails at
    start-up (raises :class:`~minica.errors.MinicaError`), not on the first request.

    CPU work runs in ``pool`` (default: a new :class:`WorkerPool` of ``settings.workers`` with
    ``settings.request_timeout``, whose workers start on demand)."""
    authority = load_authority(settings.home)
    responder = OcspResponder(settings.home, settings.clock, ca_password=settings.ca_password,
                              validity=settings.ocsp_validity)
    crls = CurrentCrls(settings.home, settings.clock, ca_password=settings.ca_password,
                       validity=settings.crl_validity)
    der = serialization.Encoding.DER
    pem = serialization.Encoding.PEM
    files = {
        "root.crt": (authority.root.public_bytes(der), "application/pkix-cert"),
        "issuing.crt": (authority.issuing.public_bytes(der), "application/pkix-cert"),
        "root.pem": (authority.root.public_bytes(pem), "application/x-pem-file"),
        "issuing.pem": (authority.issuing.public_bytes(pem), "application/x-pem-file"),
        "chain.pem": (authority.issuing.public_bytes(pem) + authority.root.public_bytes(pem),
                      "application/x-pem-file"),
    }

    async def ca_file(request: Request) -> Response:
        found = files.get(request.path_params["name"])
        if found is None:
            raise ApiError(404, f"no CA file '{request.path_params['name']}'",
                           "use root.crt, issuing.crt, root.pem, issuing.pem or chain.pem")
        return Response(found[0], media_type=found[1])

    def crl_route(scope: CrlScope, as_pem: bool):  # type: ignore[no-untyped-def]
        async def crl(_request: Request) -> Response:
            from starlette.concurrency import run_in_threadpool

            published = await run_in_threadpool(crls.current, scope)
            if as_pem:
                return Response(published.pem, media_type="application/x-pem-file")
            return Response(published.der, media_type="application/pkix-crl")

        return crl

    async def ocsp_post(request: Request) -> Response:
        body = await read_body(request, MAX_OCSP_BODY)
        return Response(responder.respond(body), media_type=_OCSP_TYPE)

    async def ocsp_get(request: Request) -> Response:
        # RFC 6960 A.1: GET {url}/{url-encoding of base-64 encoding of the DER OCSPRequest}
        raw = request.path_params["request"]
        if len(raw) > MAX_OCSP_GET:
            raise ApiError(414, "the OCSP request in the URL is too long", "POST it instead")
        try:
            data = base64.b64decode(urllib.parse.unquote(raw), validate=True)
        except (binascii.Error, ValueError):
            return Response(MALFORMED, media_type=_OCSP_TYPE)
        return Response(responder.respond(data), media_type=_OCSP_TYPE,
                        headers={"Cache-Control": "max-age=60, public, no-transform, must-revalidate"})

    if pool is None:
        pool = WorkerPool(settings.workers, settings.request_timeout)
    api = Api(settings.home, settings.clock, settings.token, settings.ca_password, pool)
    routes = [
        Route("/ca/{name}", ca_file, methods=["GET"]),
        Route("/crl/issuing.crl", crl_route(CrlScope.ISSUING, False), methods=["GET"]),
        Route("/crl/root.crl", crl_route(CrlScope.ROOT, False), methods=["GET"]),
        Route("/crl/issuing.pem", crl_route(CrlScope.ISSUING, True), methods=["GET"]),
        Route("/crl/root.pem", crl_route(CrlScope.ROOT, True), methods=["GET"]),
        Route("/ocsp", ocsp_post, methods=["POST"]),
        Route("/ocsp/", ocsp_post, methods=["POST"]),
        Route("/ocsp/{request:path}", ocsp_get, methods=["GET"]),
        *api.routes(),
        *RequestApi(settings.home, settings.clock, settings.token, settings.ca_password, pool).routes(),
        *DianRoutes.for_settings(settings, pool),
        *page_routes(Site(settings.home, settings.clock, settings.token, settings.ca_password, pool)),
    ]
    app = Starlette(
        routes=routes,
        exception_handlers={
            ApiError: api_error_handler,
            MinicaError: minica_error_handler,
            ClientDisconnect: client_gone_handler,
            HTTPException: http_error_handler,
            Exception: unexpected_error_handler,
        },
    )
    app.state.body_timeout = settings.body_timeout
    app.state.home = settings.home  # errors name paths relative to it (minica.server.api_hints)
    return ServerApp(RequestLog(OcspFastPath(app, responder, settings.body_timeout)), pool)


class OcspFastPath:
    """``POST /ocsp`` answered straight from ASGI, before routing: the responder's hot path is a
    dictionary lookup, so Starlette's per-request objects would be most of the cost. Everything
    else (and any OCSP request that is not a plain POST) goes to the app."""

    def __init__(self, app: Starlette, responder: OcspResponder, body_timeout: float = DEFAULT_BODY_TIMEOUT) -> None:
        self.app = app
        self.responder = responder
        self.body_timeout = body_timeout

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] != "POST" or scope["path"] not in ("/ocsp", "/ocsp/"):
            await self.app(scope, receive, send)
            return
        body: bytes | Response | None
        try:
            body = await within(self.body_timeout, self._read(receive))
        except asyncio.TimeoutError:
            body = error_response(408, f"the request body did not arrive within {self.body_timeout:g} s",
                                  "send the whole body at once", {"Connection": "close"})
        if isinstance(body, Response):
            await body(scope, receive, send)
            return
        if body is None:
            return  # the client went away
        answer = self.responder.respond(body)
        await send({"type": "http.response.start", "status": 200, "headers": [
            (b"content-type", _OCSP_TYPE.encode()), (b"content-length", str(len(answer)).encode())]})
        await send({"type": "http.response.body", "body": answer})

    @staticmethod
    async def _read(receive: Receive) -> bytes | Response | None:
        """The body; a refusal if it is too big; None if the client went away."""
        chunks, size, more = [], 0, True
        while more:
            message = await receive()
            if message["type"] != "http.request":
                return None
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > MAX_OCSP_BODY:
                return error_response(413, f"the body is larger than {MAX_OCSP_BODY} bytes", "send a smaller request")
            chunks.append(chunk)
            more = message.get("more_body", False)
        return b"".join(chunks)
