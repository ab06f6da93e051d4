"""DIAN's "Solución Gratuita" pages (``/dian``): the company's user, its certificates, the request form.

Sign-in and registration are the mock's (:mod:`minica.dian.gratuita.accounts`); the user menu has
Datos del usuario, Bandeja de notificaciones, Certificado digital, Cambio de contraseña and Cerrar
sesión. "Certificados digitales" lists the company's certificates with search and paging;
"Adicionar certificado" checks an uploaded PKCS#12 in a worker process; "Solicitar certificado
gratuito" is DIAN's request form, filed with the same library call as the JSON API.
"""

from __future__ import annotations

from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from minica.ca.requests import process
from minica.ca.requests.form import InvalidRequestForm
from minica.dian.gratuita import accounts, certificates, inbox
from minica.errors import MinicaError, WeakPassword, WrongCredentials
from minica.server.pages import request_form, web
from minica.server.pages.site import Area

AREA = "dian"


class DianPages(Area):

    def routes(self) -> list[Route]:
        p = self.site.page
        return [
            Route("/dian", p(self.start), methods=["GET"]),
            Route("/dian/ingreso", p(self.sign_in), methods=["POST"]),
            Route("/dian/registro", p(self.register), methods=["POST"]),
            Route("/dian/salir", p(self.sign_out), methods=["POST"]),
            Route("/dian/usuario", p(self.user), methods=["GET"]),
            Route("/dian/contrasena", p(self.password_page), methods=["GET"]),
            Route("/dian/contrasena", p(self.change_password), methods=["POST"]),
            Route("/dian/notificaciones", p(self.notifications), methods=["GET"]),
            Route("/dian/notificaciones/{number:int}", p(self.notification), methods=["GET"]),
            Route("/dian/certificados", p(self.certificates), methods=["GET"]),
            Route("/dian/certificados/adicionar", p(self.add_page), methods=["GET"]),
            Route("/dian/certificados/adicionar", p(self.add), methods=["POST"]),
            Route("/dian/certificados/solicitar", p(self.request_page), methods=["GET"]),
            Route("/dian/certificados/solicitar", p(self.file), methods=["POST"]),
            Route("/dian/certificados/radicada/{radicado}", p(self.filed), methods=["GET"]),
            Route("/dian/divipola/{code}", p(request_form.municipios), methods=["GET"]),
        ]

    # --- the user -----------------------------------------------------------------------------

    def _user(self, request: Request) -> dict[str, str]:
        found = web.session(request).get(AREA)
        if not isinstance(found, dict) or "nit" not in found:
            raise web.PageError(401, "Inicie sesión en la Solución Gratuita de la DIAN",
                            "Ingrese con el NIT de la empresa y su contraseña en /dian.")  # fmt: skip
        return found

    def _render(self, request: Request, template: str, context: dict[str, Any] | None = None, *,
                status: int = 200) -> Response:
        user = web.session(request).get(AREA)
        return web.render(request, template, {"user": user if isinstance(user, dict) else None, **(context or {})},
                      status=status)  # fmt: skip

    async def start(self, request: Request) -> Response:
        if isinstance(web.session(request).get(AREA), dict):
            return self._render(request, "dian/inicio.html")
        return self._render(request, "dian/ingreso.html")

    async def sign_in(self, request: Request) -> Response:
        form = await web.read_form(request)
        nit, password = web.text(form, "nit", 40).strip(), web.text(form, "password", 200)
        limiter = self.site.limiter
        who = web.sign_in_client(request, limiter, AREA)
        try:
            user = await run_in_threadpool(accounts.sign_in, self.site.home, nit, password)
        except WrongCredentials:
            limiter.failed(AREA, who)
            return self._render(request, "dian/ingreso.html", {"error": "NIT o contraseña incorrectos.",
                                                               "values": {"nit": nit}}, status=403)  # fmt: skip
        limiter.succeeded(AREA, who)
        web.session(request).set(AREA, {"nit": user.nit.with_dv, "name": user.razon_social})
        return web.redirect("/dian")

    async def register(self, request: Request) -> Response:
        form = await web.read_form(request)
        values = web.fields(form, ("nit", "razon_social", "email"))
        try:
            user = await run_in_threadpool(
                lambda: accounts.register(self.site.home, self.site.clock.now(), **values,
                                          password=web.text(form, "password", 200),
                                          confirmation=web.text(form, "password_confirmation", 200)))  # fmt: skip
        except InvalidRequestForm as exc:
            return self._render(request, "dian/ingreso.html", {"registro": values, "problems": exc.problems,
                                                               "values": values}, status=422)  # fmt: skip
        except MinicaError as exc:
            return self._render(request, "dian/ingreso.html", {"error": web.library_problem(exc), "values": values},
                                status=409)  # fmt: skip
        web.session(request).set(AREA, {"nit": user.nit.with_dv, "name": user.razon_social})
        web.flash(request, f"Usuario registrado para el NIT {user.nit.with_dv}.")
        return web.redirect("/dian")

    async def sign_out(self, request: Request) -> Response:
        return await self.sign_out_of(request, AREA, "/dian")

    async def user(self, request: Request) -> Response:
        found = await run_in_threadpool(accounts.load_user, self.site.home, self._user(request)["nit"])
        return self._render(request, "dian/usuario.html", {"account": found})

    async def password_page(self, request: Request) -> Response:
        self._user(request)
        return self._render(request, "dian/contrasena.html")

    async def change_password(self, request: Request) -> Response:
        nit = self._user(request)["nit"]
        form = await web.read_form(request)
        current, new = web.text(form, "current", 200), web.text(form, "password", 200)
        confirmation = web.text(form, "password_confirmation", 200)
        try:
            await run_in_threadpool(accounts.change_password, self.site.home, nit, current, new, confirmation)
        except InvalidRequestForm as exc:
            return self._render(request, "dian/contrasena.html", {"problems": exc.problems}, status=422)
        except WeakPassword as exc:  # beside its field, as on the platform's page
            return self._render(request, "dian/contrasena.html",
                                {"problems": {"password": exc.what.removeprefix("the password ")}}, status=422)
        except WrongCredentials:
            return self._render(request, "dian/contrasena.html", {"error": "La contraseña actual no es correcta."},
                                status=403)
        except MinicaError as exc:
            return self._render(request, "dian/contrasena.html", {"error": web.library_problem(exc)}, status=422)
        web.flash(request, "La contraseña fue cambiada.")
        return web.redirect("/dian")

    # --- notifications ------------------------------------------------------------------------

    async def notifications(self, request: Request) -> Response:
        nit = self._user(request)["nit"]
        found = await run_in_threadpool(inbox.inbox, self.site.home, self.site.clock, nit)
        return self._render(request, "dian/notificaciones.html", {"emails": found})

    async def notification(self, request: Request) -> Response:
        nit = self._user(request)["nit"]
        entry, body = await run_in_threadpool(inbox.message, self.site.home, self.site.clock, nit,
                                              request.path_params["number"])  # fmt: skip
        return self._render(request, "correo.html", {"entry": entry, "body": body, "back": "/dian/notificaciones",
                                                     "area": AREA})  # fmt: skip

    # --- certificates -------------------------------------------------------------------------

    async def certificates(self, request: Request) -> Response:
        nit = self._user(request)["nit"]
        wanted = request.query_params.get("q", "")[:100]
        number = request.query_params.get("pagina", "1")
        rows = await run_in_threadpool(certificates.company_certificates, self.site.home, nit)
        found = certificates.search_page(rows, wanted, int(number) if number.isdigit() and len(number) < 6 else 1)
        return self._render(request, "dian/certificados.html", {"page": found, "q": wanted,
                                                                "now": self.site.clock.now()})  # fmt: skip

    async def add_page(self, request: Request) -> Response:
        self._user(request)
        return self._render(request, "dian/adicionar.html")

    async def add(self, request: Request) -> Response:
        nit = self._user(request)["nit"]
        form = await web.read_form(request, uploads=True)
        description = web.text(form, "descripcion", 200)
        password = web.text(form, "password", 200).encode("utf-8")
        try:
            _name, data = await web.upload(form, "archivo")
            row = await self.site.pool.run(certificates.add_keystore, self.site.home, self.site.clock.now(), nit,
                                           data, password, description)  # fmt: skip
        except (MinicaError, web.PageError) as exc:
            problem = web.library_problem(exc) if isinstance(exc, MinicaError) else exc.title
            return self._render(request, "dian/adicionar.html", {"error": problem,
                                                                 "values": {"descripcion": description}},
                                status=422)  # fmt: skip
        web.flash(request, f"Certificado {row.serial} adicionado: vence el {row.not_after:%Y-%m-%d}.")
        return web.redirect("/dian/certificados")

    # --- the request form ---------------------------------------------------------------------

    def _form(self, request: Request, values: dict[str, str], *, status: int = 200,
              problems: dict[str, str] | None = None, stray: list[tuple[str, str]] | None = None,
              error: str | None = None) -> Response:
        context = {"values": values, "problems": problems or {}, "stray": stray or [], "error": error,
                   "nit_readonly": True, **request_form.choices(values)}  # fmt: skip
        return self._render(request, "dian/solicitud.html", context, status=status)

    async def request_page(self, request: Request) -> Response:
        user = self._user(request)
        return self._form(request, {"nit": user["nit"], "razon_social": user["name"]})

    async def file(self, request: Request) -> Response:
        user = self._user(request)
        form = await web.read_form(request)
        values = {**request_form.typed(form), "nit": user["nit"]}
        if web.text(form, "accion", 20) == "municipios":
            return self._form(request, values)
        try:
            filed = await request_form.file(self.site, form, values, "dian")
        except InvalidRequestForm as exc:
            own, stray = request_form.split_problems(exc)
            count = len(exc.problems)
            return self._form(request, values, status=422, problems=own, stray=stray,
                              error=f"El formulario tiene {count} error{'es' if count != 1 else ''}:"
                              " corrija los campos marcados.")  # fmt: skip
        return web.redirect(f"/dian/certificados/radicada/{filed.radicado}")

    async def filed(self, request: Request) -> Response:
        user = self._user(request)
        summary = await run_in_threadpool(process.summary, self.site.home, self.site.clock,
                                          request.path_params["radicado"])  # fmt: skip
        if summary["nit"] != user["nit"]:
            raise web.PageError(404, "No existe esa solicitud para su empresa")
        return self._render(request, "dian/radicada.html", {"summary": summary})
