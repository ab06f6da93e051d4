"""The local DIAN's SOAP endpoints in ``minica serve``: routes only (the service is
:mod:`minica.dian.service`, run in the worker pool so a request is bounded in time).

``POST /dian/{habilitacion|produccion}/WcfDianCustomerServices.svc`` takes SOAP 1.2 (at most
:data:`~minica.dian.soap.MAX_SOAP_BODY` bytes); ``GET …svc?wsdl`` serves the WSDL naming this very URL.
Async batches (SendBillAsync, SendTestSetAsync) are processed in the background after
``batch_delay`` seconds (0 by default; a delay lets client developers see DIAN's "Batch en proceso
de validación." and test their polling); a batch left pending by a restart is processed when the
server is asked about it or receives its next request.
"""

from __future__ import annotations

import asyncio
import datetime as _dt
import sqlite3
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from minica.clock import Clock
from minica.dian import service
from minica.dian.service_state import checkpoint
from minica.dian.soap import MAX_SOAP_BODY, SoapFault, fault_envelope
from minica.dian.wsdl import wsdl_document
from minica.environment import Environment
from minica.errors import MinicaError
from minica.server.http import ApiError, read_body
from minica.server.workers import WorkerPool, WorkRefused
from minica.storage.home import Home

if TYPE_CHECKING:
    from minica.server.app import ServerSettings

PATH = "/dian/{environment}/WcfDianCustomerServices.svc"
_SOAP = "application/soap+xml; charset=utf-8"
#: Seconds GetStatusZip waits for a batch being processed before answering "en proceso".
STATUS_WAIT = 1.0
#: Requests between two background checkpoints of the database's WAL (about 13 pages a document).
CHECKPOINT_EVERY = 32


@dataclass
class DianRoutes:
    """The SOAP endpoints of one home; background processing of async batches."""

    home: Home
    clock: Clock
    ca_password: bytes | None
    pool: WorkerPool
    batch_delay: float = 0.0
    _tasks: dict[str, asyncio.Task[None]] = field(default_factory=dict)
    _resumed: bool = False
    _since_checkpoint: int = 0
    _checkpoint: asyncio.Task[None] | None = None

    def routes(self) -> list[Route]:
        return [Route(PATH, self.wsdl, methods=["GET"]), Route(PATH, self.soap, methods=["POST"])]

    @classmethod
    def for_settings(cls, settings: ServerSettings, pool: WorkerPool) -> list[Route]:
        """The SOAP endpoints and the JSON API's ``/api/v1/dian/…`` of a server."""
        from minica.server.dian_api import DianApi

        soap = cls(settings.home, settings.clock, settings.ca_password, pool, settings.dian_batch_delay)
        return [*soap.routes(), *DianApi(settings.home, settings.clock, settings.token).routes()]

    @staticmethod
    def _environment(request: Request) -> Environment:
        try:
            return Environment.parse(request.path_params["environment"])
        except MinicaError:
            raise ApiError(404, f"no DIAN endpoint for '{request.path_params['environment'][:40]}'",
                           "use /dian/habilitacion/… or /dian/produccion/…") from None

    @staticmethod
    def _endpoint(request: Request, environment: Environment) -> str:
        return str(request.base_url).rstrip("/") + PATH.format(environment=environment.value)

    async def wsdl(self, request: Request) -> Response:
        environment = self._environment(request)
        if not {"wsdl", "singlewsdl"} & {k.lower() for k in request.query_params}:
            raise ApiError(404, "this is a SOAP endpoint", "GET it with ?wsdl, or POST SOAP 1.2 to it")
        return Response(wsdl_document(self._endpoint(request, environment)), media_type="text/xml; charset=utf-8")

    async def soap(self, request: Request) -> Response:
        environment = self._environment(request)
        now = self.clock.now()
        try:
            body = await read_body(request, MAX_SOAP_BODY)
        except ApiError as exc:
            if exc.status != 413:
                raise
            return _fault(f"the request is larger than {MAX_SOAP_BODY:,} bytes (a ZIP of about 7 MB in base64)",
                          now, 413)
        if not self._resumed:
            self._resumed = True
            for zip_key in await run_in_threadpool(service.pending_zips, self.home):
                self._schedule(zip_key, 0.0)
        endpoint = self._endpoint(request, environment)
        try:
            answer = await self.pool.run(service.handle_soap, self.home, environment, endpoint, now, body,
                                         self.ca_password)
        except WorkRefused as exc:
            return _fault(f"{exc.what} — {exc.hint}", now, 503, code="Receiver")
        if answer.zip_key is not None:
            self._schedule(answer.zip_key, self.batch_delay)
        if answer.pending is not None:
            task = self._tasks.get(answer.pending) or self._schedule(answer.pending, 0.0)
            done, _ = await asyncio.wait({task}, timeout=STATUS_WAIT)
            if done:
                answer = await self.pool.run(service.handle_soap, self.home, environment, endpoint,
                                             self.clock.now(), body, self.ca_password)
        self._count_write()
        return Response(answer.body, status_code=answer.status, media_type=_SOAP)

    def _count_write(self) -> None:
        """Every :data:`CHECKPOINT_EVERY` requests, copy the WAL into the database in a thread, so
        that no request's commit does it (see :mod:`minica.dian.service_state`)."""
        self._since_checkpoint += 1
        if self._since_checkpoint >= CHECKPOINT_EVERY and (self._checkpoint is None or self._checkpoint.done()):
            self._since_checkpoint = 0
            self._checkpoint = asyncio.get_running_loop().create_task(self._run_checkpoint())

    async def _run_checkpoint(self) -> None:
        try:
            await run_in_threadpool(checkpoint, self.home)
        except (sqlite3.Error, OSError, MinicaError):
            pass  # not now (busy, or the home is gone): the next one, or a worker's own, copies the log

    def _schedule(self, zip_key: str, delay: float) -> asyncio.Task[None]:
        task = self._tasks.get(zip_key)
        if task is None:
            task = self._tasks[zip_key] = asyncio.get_running_loop().create_task(self._process(zip_key, delay))
        return task

    async def _process(self, zip_key: str, delay: float) -> None:
        try:
            if delay > 0:
                await asyncio.sleep(delay)
            await self.pool.run(service.process_zip, self.home, zip_key, self.clock.now(), self.ca_password)
        except WorkRefused:
            pass  # tried again when asked about it
        finally:
            self._tasks.pop(zip_key, None)


def _fault(reason: str, now: _dt.datetime, status: int, code: str = "Sender") -> Response:
    return Response(fault_envelope(SoapFault(reason, code=code), now), status_code=status, media_type=_SOAP)
