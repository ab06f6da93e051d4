"""The vendor's pages (``/proveedor``): file a client company's request, then pay or borrow.

An invoicing-software vendor files the request form for its client (channel ``vendor``; the legal
representative may wait). The request then waits in ``pendiente_pago`` until the vendor records
the payment of a one-year certificate (the CA's platform follows, with the welcome e-mail), or
the company takes the vendor's loaned certificate: its legal representative's data, the
exoneration letter to download, and the signed letter uploaded as a PDF (read in a worker
process). The session keeps the radicados this browser filed; no other request can be opened.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from minica.ca.requests import process, records, vendor
from minica.ca.requests.form import REPRESENTATIVE_FIELDS, InvalidRequestForm
from minica.errors import MinicaError
from minica.server.pages import request_form, web
from minica.server.pages.site import Area

AREA = "proveedor"
#: The most requests one browser session keeps track of.
MAX_KEPT = 20


class VendorPages(Area):

    def routes(self) -> list[Route]:
        p = self.site.page
        one = "/proveedor/solicitudes/{radicado}"
        return [
            Route("/proveedor", p(self.start), methods=["GET"]),
            Route("/proveedor/solicitar", p(self.file), methods=["POST"]),
            Route(one, p(self.show), methods=["GET"]),
            Route(one + "/pago", p(self.pay), methods=["POST"]),
            Route(one + "/prestamo", p(self.loan), methods=["POST"]),
            Route(one + "/carta", p(self.letter), methods=["GET"]),
            Route(one + "/carta", p(self.upload_letter), methods=["POST"]),
        ]

    def _kept(self, request: Request) -> list[str]:
        found = web.session(request).get(AREA)
        return [r for r in found if isinstance(r, str)] if isinstance(found, list) else []

    def _radicado(self, request: Request) -> str:
        try:
            radicado = records.parse_radicado(request.path_params["radicado"])
        except MinicaError:
            radicado = ""
        if radicado not in self._kept(request):
            raise web.PageError(404, "No existe esa solicitud en esta sesión",
                            "Solo se ven aquí las solicitudes radicadas desde este navegador.")  # fmt: skip
        return radicado

    async def start(self, request: Request, *, status: int = 200, **context: Any) -> Response:
        values = context.pop("values", {})
        return web.render(request, "proveedor/inicio.html", {
            "values": values, "kept": self._kept(request), "nit_readonly": False, "stray": [],
            **request_form.choices(values), **context}, status=status)  # fmt: skip

    async def file(self, request: Request) -> Response:
        form = await web.read_form(request)
        values = request_form.typed(form)
        if web.text(form, "accion", 20) == "municipios":
            return await self.start(request, values=values)
        try:
            filed = await request_form.file(self.site, form, values, "vendor")
        except InvalidRequestForm as exc:
            own, stray = request_form.split_problems(exc)
            return await self.start(request, status=422, values=values, problems=own, stray=stray,
                                    error="El formulario tiene errores: corrija los campos marcados.")  # fmt: skip
        web.session(request).set(AREA, (self._kept(request) + [filed.radicado])[-MAX_KEPT:])
        web.flash(request, f"Solicitud radicada: {filed.radicado}")
        return web.redirect(f"/proveedor/solicitudes/{filed.radicado}")

    async def show(self, request: Request, *, status: int = 200, **context: Any) -> Response:
        radicado = self._radicado(request)
        _record, view = await run_in_threadpool(process.load, self.site.home, self.site.clock, radicado)
        values = {**request_form.stored_values(view["form"]), **context.pop("values", {})}
        return web.render(request, "proveedor/solicitud.html", {
            "view": view, "values": values, **request_form.choices(values), **context}, status=status)  # fmt: skip

    async def pay(self, request: Request) -> Response:
        form = await web.read_form(request)
        completion = web.fields(form, REPRESENTATIVE_FIELDS + ("autoridad_certificacion",))
        amount_text = web.text(form, "amount_cop", 20).replace(".", "").strip()
        if amount_text and not (amount_text.isascii() and amount_text.isdigit()):
            return await self.show(request, status=422, values=completion, error="El valor pagado debe ser un número.")
        amount = int(amount_text) if amount_text else None
        reference = web.text(form, "reference", 100)
        return await self._step(request, completion, "Faltan datos para el certificado pagado.",
                                "Pago registrado: la empresa recibirá el correo de bienvenida de la CA.",
                                vendor.pay, reference, amount, completion)  # fmt: skip

    async def loan(self, request: Request) -> Response:
        form = await web.read_form(request)
        representative = web.fields(form, REPRESENTATIVE_FIELDS)
        return await self._step(request, representative, "Faltan datos del representante legal para la carta.",
                                "Préstamo solicitado: descargue la carta de exoneración, fírmela y cárguela.",
                                vendor.start_loan, representative)  # fmt: skip

    async def _step(self, request: Request, values: dict[str, str], missing: str, done: str,
                    action: Callable[..., None], *args: Any) -> Response:
        """Run ``action(home, clock, radicado, *args)``; a refusal is shown on the request's page."""
        radicado = self._radicado(request)
        try:
            await run_in_threadpool(action, self.site.home, self.site.clock, radicado, *args)
        except InvalidRequestForm as exc:
            return await self.show(request, status=422, values=values, problems=exc.problems, error=missing)
        except MinicaError as exc:
            return await self.show(request, status=409, values=values, error=web.library_problem(exc))
        web.flash(request, done)
        return web.redirect(f"/proveedor/solicitudes/{radicado}")

    async def letter(self, request: Request) -> Response:
        radicado = self._radicado(request)
        data = await self.site.pool.run(vendor.exoneration_letter, self.site.home, self.site.clock, radicado)
        return Response(data, media_type="application/pdf",
                        headers={"Content-Disposition": 'attachment; filename="carta-exoneracion.pdf"'})  # fmt: skip

    async def upload_letter(self, request: Request) -> Response:
        radicado = self._radicado(request)
        form = await web.read_form(request, uploads=True)
        try:
            filename, data = await web.upload(form, "archivo")
            start, end = await self.site.pool.run(vendor.upload_letter_data, self.site.home, self.site.clock,
                                                  radicado, filename, data)  # fmt: skip
        except MinicaError as exc:
            return await self.show(request, status=422, error=web.library_problem(exc))
        except web.PageError as exc:
            return await self.show(request, status=exc.status, error=exc.title)
        web.flash(request, f"Carta firmada recibida: el préstamo va del {start:%Y-%m-%d} al {end:%Y-%m-%d} (UTC).")
        return web.redirect(f"/proveedor/solicitudes/{radicado}")
