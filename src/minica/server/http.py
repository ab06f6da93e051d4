"""HTTP plumbing shared by every route: JSON errors, body limits, the bearer token, request log.

Every refusal is a 4xx JSON body ``{"error": what is wrong, "hint": what to do}``; a
:class:`~minica.errors.MinicaError` from the library is mapped to its status by :func:`status_for`.
"""

from __future__ import annotations

import asyncio
import hmac
import json
import logging
import time
from collections.abc import Mapping
from typing import Any

from starlette.exceptions import HTTPException
from starlette.requests import ClientDisconnect, Request
from starlette.responses import JSONResponse, Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from minica.ca.requests.form import InvalidRequestForm
from minica.errors import (
    CaMissing,
    CertificateNotUsable,
    MinicaError,
    NotFound,
    RefusedOperation,
    WeakPassword,
    WrongCredentials,
    WrongPassword,
)
from minica.server.api_hints import for_api
from minica.server.limits import DEFAULT_BODY_TIMEOUT
from minica.server.workers import ServerBusy, WorkRefused, within

log = logging.getLogger("minica.server")

#: Largest JSON body (a signed invoice with many lines fits; base64 adds a third).
MAX_JSON_BODY = 10 * 1024 * 1024
#: Largest OCSP request (real ones are ~100 bytes; RFC 6960 requests with many ids stay small).
MAX_OCSP_BODY = 64 * 1024
#: The status logged for a request whose client went away before the answer (nginx's convention);
#: no client ever receives it.
CLIENT_GONE = 499


class ApiError(Exception):
    """A refusal with its HTTP status, raised anywhere in a route."""

    def __init__(self, status: int, error: str, hint: str = "", headers: dict[str, str] | None = None) -> None:
        super().__init__(error)
        self.status, self.error, self.hint, self.headers = status, error, hint, headers


class ErrorResponse(JSONResponse):
    """A refusal's JSON, ASCII-escaped: an error may quote the caller's input, whatever it holds."""

    def render(self, content: Any) -> bytes:
        return json.dumps(content, ensure_ascii=True, separators=(",", ":")).encode("ascii")


def error_response(
    status: int, error: str, hint: str = "", headers: Mapping[str, str] | None = None
) -> JSONResponse:
    return ErrorResponse({"error": error, "hint": hint}, status_code=status, headers=headers)


def status_for(exc: MinicaError) -> int:
    """The HTTP status of a library error: what the client must change. 403 a password in the body,
    404 something named that does not exist, 409 the state forbids it, 422 any value the client
    sent, 503 the server's limits."""
    if isinstance(exc, (WrongPassword, WrongCredentials)):
        return 403  # a password in the body is wrong; 401 is for the bearer token
    if isinstance(exc, NotFound):
        return 404
    if isinstance(exc, (CertificateNotUsable, WeakPassword, InvalidRequestForm)):
        return 422
    if isinstance(exc, WorkRefused):
        return 503  # too slow, too busy or stopping: the server's limit, see 'serve --request-timeout'
    if isinstance(exc, (CaMissing, RefusedOperation)):
        return 409
    # InvalidInput: a value the caller sent is wrong (a NIT's check digit, a weak password, a form's
    # rule, a document that is not XML). 400 is only for a request that cannot be read at all.
    return 422


def body_timeout(request: Request) -> float:
    """The seconds this server gives a client to send a body (set by ``create_app``)."""
    return float(getattr(request.app.state, "body_timeout", DEFAULT_BODY_TIMEOUT))


async def read_body(request: Request, limit: int) -> bytes:
    """The request body, refusing (413) more than ``limit`` bytes without reading them all, and
    (408, closing the connection) a body that has not all arrived within :func:`body_timeout`.
    A client that goes away raises Starlette's ``ClientDisconnect`` (:func:`client_gone_handler`)."""
    declared = request.headers.get("content-length")
    if declared is not None:
        try:
            too_big = int(declared) > limit
        except ValueError:
            raise ApiError(400, "the Content-Length header is not a number", "send a valid request") from None
        if too_big:
            raise ApiError(413, f"the body is larger than {limit} bytes", "send a smaller request")
    timeout = body_timeout(request)
    try:
        return await within(timeout, _read_limited(request, limit))
    except asyncio.TimeoutError:
        raise ApiError(408, f"the request body did not arrive within {timeout:g} s",
                       "send the whole body at once", {"Connection": "close"}) from None


async def _read_limited(request: Request, limit: int) -> bytes:
    chunks, size = [], 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise ApiError(413, f"the body is larger than {limit} bytes", "send a smaller request")
        chunks.append(chunk)
    return b"".join(chunks)


async def read_json(request: Request, limit: int = MAX_JSON_BODY, *, optional: bool = False) -> dict[str, Any]:
    """The body as a JSON object, or a 400 naming what is wrong with it. With ``optional``, an
    empty body is an empty object (for endpoints whose fields are all optional)."""
    body = await read_body(request, limit)
    if not body.strip():
        if optional:
            return {}
        raise ApiError(400, "the request body is empty", "send a JSON object")
    try:
        data = json.loads(body)
    except (ValueError, RecursionError):
        raise ApiError(400, "the request body is not valid JSON", "send a JSON object, UTF-8") from None
    if b"\\u" in body:  # only an escape can smuggle a lone surrogate, which no text may hold
        try:
            json.dumps(data, ensure_ascii=False).encode("utf-8")
        except UnicodeEncodeError:
            raise ApiError(400, "the JSON body holds an unpaired UTF-16 surrogate (\\ud800-\\udfff)",
                           "send real characters") from None
    if not isinstance(data, dict):
        raise ApiError(400, f"the JSON body is a {type(data).__name__}, not an object", "send a JSON object")
    return data


def require_token(request: Request, token: str) -> None:
    """Mutating endpoints need ``Authorization: Bearer <token>`` (the one ``serve`` printed)."""
    header = request.headers.get("authorization", "")
    scheme, _, given = header.partition(" ")
    challenge = {"WWW-Authenticate": 'Bearer realm="minica"'}
    if scheme.lower() != "bearer" or not given.strip():
        raise ApiError(401, "this endpoint needs the bearer token", "send 'Authorization: Bearer <token>' with the"
                       " token 'minica serve' printed (or wrote to its token file)", challenge)
    if not hmac.compare_digest(given.strip().encode("utf-8", "replace"), token.encode("utf-8")):
        raise ApiError(401, "the bearer token is wrong", "use the token 'minica serve' printed", challenge)


async def api_error_handler(_request: Request, exc: Exception) -> Response:
    assert isinstance(exc, ApiError)
    return error_response(exc.status, exc.error, exc.hint, exc.headers)


async def minica_error_handler(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, MinicaError)
    what, hint = exc.what, exc.hint
    if not isinstance(exc, WorkRefused):  # those name the server's own limits, on purpose
        home = getattr(request.app.state, "home", None)
        what, hint = for_api(what, hint, method=request.method, path=request.url.path,
                             home=home.root if home is not None else None)
    if isinstance(exc, InvalidRequestForm):  # every broken rule, by field, for forms to mark
        return ErrorResponse({"error": what, "hint": hint, "problems": exc.problems}, status_code=422)
    headers = {"Retry-After": "1"} if isinstance(exc, ServerBusy) else None
    return error_response(status_for(exc), what, hint, headers)


async def client_gone_handler(_request: Request, exc: Exception) -> Response:
    """The client closed the connection before sending its whole request: nothing to answer, no
    error to log (the request log shows status 499)."""
    assert isinstance(exc, ClientDisconnect)
    return Response(status_code=CLIENT_GONE)


async def http_error_handler(_request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPException)
    hints = {404: "see /api/v1/openapi.json for the endpoints", 405: "see /api/v1/openapi.json for the methods"}
    return error_response(exc.status_code, str(exc.detail), hints.get(exc.status_code, ""), exc.headers)


async def unexpected_error_handler(_request: Request, exc: Exception) -> Response:
    # A bug, not bad input: log the type (never the body), answer without internals.
    log.error("unexpected %s while answering a request", type(exc).__name__, exc_info=exc)
    return error_response(500, "internal error", "this is a bug in minica; please report it")


class RequestLog:
    """One log line per request: method, path, status, milliseconds. Never bodies, queries or
    headers (they may hold passwords or the token)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()  # a duration, not a time of day: no clock involved
        status = 0

        async def send_and_note(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = int(message["status"])
            await send(message)

        failed = False
        try:
            await self.app(scope, receive, send_and_note)
        except BaseException:
            failed = True
            raise
        finally:
            if log.isEnabledFor(logging.INFO):
                path = scope.get("path", "")
                shown = path if len(path) <= 80 else path[:77] + "..."
                # No answer and no error: the client went away before the answer could be sent.
                log.info("%s %s %d %.1fms", scope.get("method", "?"), shown,
                         status or (500 if failed else CLIENT_GONE), (time.perf_counter() - started) * 1000)
