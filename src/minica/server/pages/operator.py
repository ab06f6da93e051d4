"""The CA operator's console (``/operador``): requests, review, the outbox, certificates.

Signing in takes the server's token in a POSTed form (never in a URL); the session then keeps a
keyed digest of it, so a server started with another token signs every operator out. Approving
issues the certificate in a worker process, as the JSON API does; every action calls the same
library function as ``minica request …`` and the API.
"""

from __future__ import annotations

import hmac
from typing import Any

from cryptography.hazmat.primitives import serialization
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from minica.ca import registry
from minica.ca.hierarchy import load_authority
from minica.ca.requests import outbox, process
from minica.ca.requests.records import Status
from minica.errors import MinicaError
from minica.server import jobs
from minica.server.api import record_json
from minica.server.pages import web
from minica.server.pages.site import Area

AREA = "operador"


class OperatorPages(Area):

    def routes(self) -> list[Route]:
        p = self.site.page
        one = "/operador/solicitudes/{radicado}"
        cert = "/operador/certificados/{serial}"
        return [
            Route("/operador", p(self.start), methods=["GET"]),
            Route("/operador/ingreso", p(self.sign_in), methods=["POST"]),
            Route("/operador/salir", p(self.sign_out), methods=["POST"]),
            Route("/operador/solicitudes", p(self.requests), methods=["GET"]),
            Route(one, p(self.request_page), methods=["GET"]),
            Route(one + "/documentos/{number:int}", p(self.document), methods=["GET"]),
            Route(one + "/aprobar", p(self.approve), methods=["POST"]),
            Route(one + "/rechazar", p(self.reject), methods=["POST"]),
            Route(one + "/identidad", p(self.identity_failed), methods=["POST"]),
            Route("/operador/correos", p(self.emails), methods=["GET"]),
            Route("/operador/correos/{number}", p(self.email), methods=["GET"]),
            Route("/operador/certificados", p(self.certificates), methods=["GET"]),
            Route(cert, p(self.certificate), methods=["GET"]),
            Route(cert + "/revocar", p(self.revoke), methods=["POST"]),
            Route(cert + "/certificado.pem", p(self.certificate_pem), methods=["GET"]),
            Route(cert + "/cadena.pem", p(self.chain_pem), methods=["GET"]),
        ]

    def _require(self, request: Request) -> None:
        found = web.session(request).get(AREA)
        if not (isinstance(found, str) and hmac.compare_digest(found, self.site.codec.tag(self.site.token))):
            raise web.PageError(401, "La consola del operador necesita el token del servidor",
                            "Ingrese en /operador con el token que imprimió 'minica serve' (o su --token-file).")

    def _render(self, request: Request, template: str, context: dict[str, Any] | None = None, *,
                status: int = 200) -> Response:
        return web.render(request, template, {"operator": True, **(context or {})}, status=status)

    # --- signing in ---------------------------------------------------------------------------

    async def start(self, request: Request) -> Response:
        try:
            self._require(request)
        except web.PageError:
            return web.render(request, "operador/ingreso.html", {"operator": False})
        return web.redirect("/operador/solicitudes")

    async def sign_in(self, request: Request) -> Response:
        form = await web.read_form(request)
        given = web.text(form, "token", 500).strip()
        limiter = self.site.limiter
        who = web.sign_in_client(request, limiter, AREA)
        if not hmac.compare_digest(given.encode("utf-8", "replace"), self.site.token.encode("utf-8")):
            limiter.failed(AREA, who)
            return web.render(request, "operador/ingreso.html", {"operator": False, "error": "El token no es válido."},
                          status=401)  # fmt: skip
        limiter.succeeded(AREA, who)
        web.session(request).set(AREA, self.site.codec.tag(self.site.token))
        return web.redirect("/operador/solicitudes")

    async def sign_out(self, request: Request) -> Response:
        return await self.sign_out_of(request, AREA, "/operador")

    # --- requests -----------------------------------------------------------------------------

    async def requests(self, request: Request) -> Response:
        self._require(request)
        wanted = {k: request.query_params.get(k, "")[:100] for k in ("estado", "canal", "q")}
        rows = await run_in_threadpool(process.list_requests, self.site.home, self.site.clock)
        text_ = wanted["q"].strip().lower()
        shown = [r for r in rows
                 if (not wanted["estado"] or r["status"] == wanted["estado"])
                 and (not wanted["canal"] or r["channel"] == wanted["canal"])
                 and (not text_ or text_ in f"{r['radicado']} {r['nit']} {r['razon_social']}".lower())]  # fmt: skip
        return self._render(request, "operador/solicitudes.html", {
            "rows": list(reversed(shown)), "total": len(rows), "filters": wanted,
            "statuses": [(s.value, web.STATUS_LABELS[s.value]) for s in Status]})  # fmt: skip

    async def request_page(self, request: Request, *, status: int = 200, error: str | None = None) -> Response:
        self._require(request)
        _record, view = await run_in_threadpool(process.load, self.site.home, self.site.clock,
                                                request.path_params["radicado"])  # fmt: skip
        return self._render(request, "operador/solicitud.html", {"view": view, "error": error}, status=status)

    async def document(self, request: Request) -> Response:
        self._require(request)
        doc, data = await run_in_threadpool(process.document_file, self.site.home, request.path_params["radicado"],
                                            request.path_params["number"])  # fmt: skip
        safe = "".join(c if c.isalnum() or c in "._-" else "_" for c in doc.filename)[:80] or "documento.pdf"
        return Response(data, media_type="application/pdf",
                        headers={"Content-Disposition": f'attachment; filename="{safe}"'})  # fmt: skip

    async def _act(self, request: Request, action: str, done: str) -> Response:
        """Run one review action on the request; its refusal is shown on the request's page."""
        self._require(request)
        form = await web.read_form(request)
        radicado = request.path_params["radicado"]
        site = self.site
        try:
            if action == "approve":
                record = await site.pool.run(jobs.approve, site.home, site.clock, radicado, site.ca_password)
                done = f"{done}: certificado {record.serial}"
            elif action == "reject":
                await run_in_threadpool(process.reject, site.home, site.clock, radicado, web.text(form, "reason"))
            else:
                await run_in_threadpool(process.identity_failed, site.home, site.clock, radicado,
                                        web.text(form, "detail"))  # fmt: skip
        except MinicaError as exc:
            return await self.request_page(request, status=409, error=web.library_problem(exc))
        web.flash(request, done)
        return web.redirect(f"/operador/solicitudes/{radicado}")

    async def approve(self, request: Request) -> Response:
        return await self._act(request, "approve", "Solicitud aprobada")

    async def reject(self, request: Request) -> Response:
        return await self._act(request, "reject", "Solicitud rechazada: se envió el correo con el motivo")

    async def identity_failed(self, request: Request) -> Response:
        return await self._act(request, "identity", "Validación de identidad fallida: la solicitud terminó")

    # --- the outbox ---------------------------------------------------------------------------

    async def emails(self, request: Request) -> Response:
        self._require(request)

        def work() -> list[outbox.OutboxEntry]:
            process.tick(self.site.home, self.site.clock)  # reading the outbox shows what is due by now
            from minica.storage.database import Database

            with Database.open(self.site.home) as db:
                return list(reversed(outbox.entries(db.connection, self.site.home)))

        return self._render(request, "operador/correos.html", {"emails": await run_in_threadpool(work)})

    async def email(self, request: Request) -> Response:
        self._require(request)
        entry, data = await run_in_threadpool(outbox.stored_message, self.site.home, request.path_params["number"],
                                              "abra uno desde la lista de correos")  # fmt: skip
        return self._render(request, "correo.html", {"entry": entry, "body": outbox.message_text(data),
                                                     "back": "/operador/correos", "area": AREA})  # fmt: skip

    # --- certificates -------------------------------------------------------------------------

    async def certificates(self, request: Request) -> Response:
        self._require(request)
        records = await run_in_threadpool(registry.list_certificates, self.site.home)
        now = self.site.clock.now()
        return self._render(request, "operador/certificados.html",
                            {"rows": [record_json(r, now) for r in reversed(records)]})  # fmt: skip

    async def certificate(self, request: Request) -> Response:
        self._require(request)
        record = await run_in_threadpool(registry.get_certificate, self.site.home, request.path_params["serial"])
        return self._render(request, "operador/certificado.html", {
            "cert": record_json(record, self.site.clock.now()), "environments": sorted(e.value for e in record.stores),
            "reasons": [r.value for r in registry.RevocationReason]})  # fmt: skip

    async def revoke(self, request: Request) -> Response:
        self._require(request)
        form = await web.read_form(request)
        serial = request.path_params["serial"]
        reason = registry.RevocationReason.parse(web.text(form, "reason", 40) or "unspecified")
        record = await run_in_threadpool(lambda: registry.revoke(self.site.home, serial, reason,
                                                                 now=self.site.clock.now()))  # fmt: skip
        web.flash(request, f"Certificado {record.serial} revocado ({reason.value}).")
        return web.redirect(f"/operador/certificados/{record.serial}")

    async def certificate_pem(self, request: Request) -> Response:
        self._require(request)
        record = await run_in_threadpool(registry.get_certificate, self.site.home, request.path_params["serial"])
        return _pem(record.cert_pem.encode("ascii"), f"{record.serial}.pem")

    async def chain_pem(self, request: Request) -> Response:
        self._require(request)
        record = await run_in_threadpool(registry.get_certificate, self.site.home, request.path_params["serial"])
        authority = await run_in_threadpool(load_authority, self.site.home)
        pem = serialization.Encoding.PEM
        chain = record.cert_pem.encode("ascii") + authority.issuing.public_bytes(pem) + authority.root.public_bytes(pem)
        return _pem(chain, f"{record.serial}-cadena.pem")


def _pem(data: bytes, name: str) -> Response:
    return Response(data, media_type="application/x-pem-file",
                    headers={"Content-Disposition": f'attachment; filename="{name}"'})  # fmt: skip
