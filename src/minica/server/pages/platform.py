"""The CA's platform (``/plataforma``), reached from the welcome e-mail's link.

Sign in with the e-mail's user and temporary password; the first sign-in forces a new password.
Then the request's four sections, each saved with "Guardar sección" and ticked on a progress bar,
PDF uploads (read in a worker process), "Finalizar" with a confirmation, and the locked "Completo"
view with the status and its history. The session holds only the radicado it signed in to: no
page takes a radicado from the URL, so a user sees their own request and no other.
"""

from __future__ import annotations

from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from minica.ca.requests import platform, process
from minica.ca.requests.form import InvalidRequestForm
from minica.errors import MinicaError, NotFound, PasswordChangeRequired, WeakPassword, WrongCredentials
from minica.server.pages import request_form, web
from minica.server.pages.site import Area

AREA = "plataforma"
SECTION_TITLES = {"solicitante": "Datos del solicitante", "empresa": "Datos de la empresa",
                  "representante": "Representante legal", "documentos": "Documentos"}  # fmt: skip


class PlatformPages(Area):

    def routes(self) -> list[Route]:
        p = self.site.page
        return [
            Route("/plataforma", p(self.start), methods=["GET"]),
            Route("/plataforma/ingreso", p(self.sign_in), methods=["POST"]),
            Route("/plataforma/cambio-contrasena", p(self.change_page), methods=["GET"]),
            Route("/plataforma/cambio-contrasena", p(self.change), methods=["POST"]),
            Route("/plataforma/solicitud", p(self.show), methods=["GET"]),
            Route("/plataforma/secciones/{name}", p(self.save_section), methods=["POST"]),
            Route("/plataforma/documentos", p(self.attach), methods=["POST"]),
            Route("/plataforma/finalizar", p(self.finalize_page), methods=["GET"]),
            Route("/plataforma/finalizar", p(self.finalize), methods=["POST"]),
            Route("/plataforma/salir", p(self.sign_out), methods=["POST"]),
        ]

    def _signed_in(self, request: Request, *, changing: bool = False) -> dict[str, str]:
        found = web.session(request).get(AREA)
        if isinstance(found, dict) and (found.get("stage") == "activa" or changing and found.get("stage")):
            return found
        raise web.PageError(401, "Inicie sesión en la plataforma",
                        "Use el enlace, el usuario y la contraseña temporal del correo de bienvenida.")  # fmt: skip

    # --- signing in ---------------------------------------------------------------------------

    async def start(self, request: Request) -> Response:
        found = web.session(request).get(AREA)
        radicado = request.query_params.get("radicado", "")[:40]
        if isinstance(found, dict) and found.get("stage") == "activa" and radicado in ("", found["radicado"]):
            return web.redirect("/plataforma/solicitud")
        return web.render(request, "plataforma/ingreso.html", {"radicado": radicado})

    async def sign_in(self, request: Request) -> Response:
        form = await web.read_form(request)
        radicado, user = web.text(form, "radicado", 60).strip(), web.text(form, "user", 100).strip()
        password = web.text(form, "password", 200)
        limiter = self.site.limiter
        who = web.sign_in_client(request, limiter, AREA)
        try:
            await run_in_threadpool(process.login, self.site.home, self.site.clock, radicado, user, password)
        except PasswordChangeRequired:
            limiter.succeeded(AREA, who)
            web.session(request).set(AREA, {"radicado": radicado.lower(), "user": user, "stage": "cambio"})
            return web.redirect("/plataforma/cambio-contrasena")
        except (WrongCredentials, NotFound):
            limiter.failed(AREA, who)
            return web.render(request, "plataforma/ingreso.html", {"radicado": radicado, "user": user,
                                                                "error": "Usuario o contraseña incorrectos."},
                          status=403)  # fmt: skip
        limiter.succeeded(AREA, who)
        web.session(request).set(AREA, {"radicado": radicado.lower(), "user": user, "stage": "activa"})
        return web.redirect("/plataforma/solicitud")

    async def change_page(self, request: Request) -> Response:
        current = self._signed_in(request, changing=True)
        return web.render(request, "plataforma/cambio.html", {"forced": current["stage"] == "cambio"})

    async def change(self, request: Request) -> Response:
        current = self._signed_in(request, changing=True)
        form = await web.read_form(request)
        old, new = web.text(form, "current", 200), web.text(form, "password", 200)
        context: dict[str, Any] = {"forced": current["stage"] == "cambio"}
        if new != web.text(form, "password_confirmation", 200):
            context["problems"] = {"password_confirmation": "does not match the new password"}
            return web.render(request, "plataforma/cambio.html", context, status=422)
        try:
            await run_in_threadpool(process.login, self.site.home, self.site.clock, current["radicado"],
                                    current["user"], old, new)  # fmt: skip
        except WeakPassword as exc:
            context["problems"] = {"password": exc.what.removeprefix("the password ")}
            return web.render(request, "plataforma/cambio.html", context, status=422)
        except MinicaError as exc:
            wrong = isinstance(exc, WrongCredentials)
            context["error"] = "La contraseña actual no es correcta." if wrong else web.library_problem(exc)
            return web.render(request, "plataforma/cambio.html", context, status=403 if wrong else 422)
        web.session(request).set(AREA, {**current, "stage": "activa"})
        web.flash(request, "Su contraseña fue cambiada.")
        return web.redirect("/plataforma/solicitud")

    async def sign_out(self, request: Request) -> Response:
        return await self.sign_out_of(request, AREA, "/plataforma")

    # --- the request --------------------------------------------------------------------------

    async def _page(self, request: Request, template: str = "plataforma/solicitud.html", *, status: int = 200,
                    **context: Any) -> Response:
        radicado = self._signed_in(request)["radicado"]
        _record, view = await run_in_threadpool(process.load, self.site.home, self.site.clock, radicado)
        values = {**request_form.stored_values(view["form"]), **context.pop("typed", {})}
        return web.render(request, template, {
            "view": view, "values": values, "section_titles": SECTION_TITLES, "kinds": platform.DOCUMENT_KINDS,
            **request_form.choices(values), **context}, status=status)  # fmt: skip

    async def show(self, request: Request) -> Response:
        return await self._page(request)

    async def save_section(self, request: Request) -> Response:
        radicado = self._signed_in(request)["radicado"]
        name = request.path_params["name"]
        if name not in platform.SECTIONS:
            raise web.PageError(404, "No existe esa sección")
        form = await web.read_form(request)
        changes = {field: web.text(form, field, 200).strip() for field in platform.SECTIONS[name]}
        if web.text(form, "accion", 20) == "municipios":
            return await self._page(request, typed=changes, open_section=name)
        try:
            await run_in_threadpool(process.save_section, self.site.home, self.site.clock, radicado, name, changes)
        except InvalidRequestForm as exc:
            return await self._page(request, status=422, typed=changes, problems=exc.problems, open_section=name,
                                    error=f"La sección «{SECTION_TITLES[name]}» tiene errores: corrija los campos"
                                    " marcados.")  # fmt: skip
        except MinicaError as exc:
            return await self._page(request, status=409, typed=changes, open_section=name,
                                    error=web.library_problem(exc))  # fmt: skip
        web.flash(request, f"Sección «{SECTION_TITLES[name]}» guardada.")
        return web.redirect(f"/plataforma/solicitud#seccion-{name}")

    async def attach(self, request: Request) -> Response:
        radicado = self._signed_in(request)["radicado"]
        form = await web.read_form(request, uploads=True)
        kind = web.text(form, "kind", 40)
        try:
            filename, data = await web.upload(form, "archivo")
            doc = await self.site.pool.run(process.attach_data, self.site.home, self.site.clock, radicado, kind,
                                           filename, data)  # fmt: skip
        except MinicaError as exc:
            return await self._page(request, status=422, open_section="documentos", error=web.library_problem(exc))
        except web.PageError as exc:
            return await self._page(request, status=exc.status, open_section="documentos", error=exc.title)
        web.flash(request, f"Documento {doc.filename} cargado ({doc.size:,} bytes).".replace(",", "."))
        return web.redirect("/plataforma/solicitud#seccion-documentos")

    async def finalize_page(self, request: Request) -> Response:
        return await self._page(request, "plataforma/finalizar.html")

    async def finalize(self, request: Request) -> Response:
        radicado = self._signed_in(request)["radicado"]
        await web.read_form(request)
        try:
            await run_in_threadpool(process.finalize, self.site.home, self.site.clock, radicado)
        except MinicaError as exc:
            return await self._page(request, status=409, error=web.library_problem(exc))
        web.flash(request, "Solicitud finalizada: quedó completa y bloqueada mientras la revisamos.")
        return web.redirect("/plataforma/solicitud")
