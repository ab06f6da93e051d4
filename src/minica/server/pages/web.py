"""What every page shares: templates, the session, reading forms (bounded, CSRF-checked), errors.

Pages are plain HTML forms that work without JavaScript; answers are rendered from the Jinja2
templates in ``minica/server/templates`` with autoescaping on. A refusal of the library
(:class:`~minica.errors.MinicaError`) is shown on the page it came from, or as an error page with
the HTTP status the JSON API would give it.
"""

from __future__ import annotations

import datetime as _dt
import functools
from collections.abc import Awaitable, Callable, Mapping
from typing import Any

import jinja2
from starlette.datastructures import FormData, UploadFile
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response
from starlette.types import Message

from minica.ca.requests.form import LABELS
from minica.clock import colombian
from minica.errors import MinicaError
from minica.server.http import ApiError, read_body, status_for
from minica.server.pages.session import COOKIE, Session, SessionCodec, SignInLimiter, write_back

#: A form without files: a few kilobytes of fields.
MAX_FORM = 64 * 1024
#: A form with one upload (a PDF of at most 1 MB, a keystore) and a few fields, as multipart.
MAX_UPLOAD_FORM = 1024 * 1024 + 64 * 1024

STATUS_LABELS = {
    "pendiente_pago": "Pendiente de pago", "radicada": "Radicada", "en_diligenciamiento": "En diligenciamiento",
    "completa": "Completo", "rechazada": "Rechazada", "aprobada": "Aprobada", "caducada": "Caducada",
    "identidad_fallida": "Identidad no validada", "prestamo_pendiente_carta": "Préstamo: falta la carta firmada",
    "prestamo_activo": "Préstamo activo", "prestamo_vencido": "Préstamo vencido",
}  # fmt: skip

_PROBLEMS_ES = [
    ("is required", "Es obligatorio"),
    ("does not match the password", "No coincide con la contraseña"),
    ("does not match the new password", "No coincide con la nueva contraseña"),
    ("needs an upper-case letter", "necesita una letra mayúscula"),
    ("needs a digit", "necesita un número"),
    ("needs a special character such as", "necesita un carácter especial como"),
    ("must use printable ASCII only", "solo admite caracteres ASCII imprimibles"),
]


def problem_es(text: str) -> str:
    """A field problem from the library, with its usual phrases in Spanish (the rest as it is)."""
    for english, spanish in _PROBLEMS_ES:
        text = text.replace(english, spanish)
    if text.startswith("has ") and "characters, needs at least" in text:
        text = "tiene " + text[4:].replace("characters, needs at least", "caracteres; necesita al menos")
    return text[:1].upper() + text[1:]


def _fecha(value: _dt.datetime | str | None) -> str:
    if value is None or value == "":
        return ""
    when = _dt.datetime.fromisoformat(value) if isinstance(value, str) else value
    return colombian(when).strftime("%Y-%m-%d %H:%M")


def _tamano(size: int) -> str:
    return f"{size:,} bytes".replace(",", ".")


def _environment() -> jinja2.Environment:
    env = jinja2.Environment(loader=jinja2.PackageLoader("minica.server", "templates"),
                             autoescape=jinja2.select_autoescape(["html"]),
                             undefined=jinja2.StrictUndefined)  # fmt: skip
    env.filters["fecha"] = _fecha
    env.filters["tamano"] = _tamano
    env.filters["estado"] = lambda status: STATUS_LABELS.get(status, status)
    env.filters["problema"] = problem_es
    env.globals["labels"] = LABELS
    return env


TEMPLATES = _environment()


class PageError(Exception):
    """A refusal shown as an error page with its HTTP status."""

    def __init__(self, status: int, title: str, detail: str = "") -> None:
        super().__init__(title)
        self.status, self.title, self.detail = status, title, detail


def session(request: Request) -> Session:
    found = request.scope.get("minica.session")
    assert isinstance(found, Session), "the pages run behind SessionMiddleware"
    return found


def flash(request: Request, text: str) -> None:
    """A message shown once, on the next page rendered for this browser."""
    current = session(request)
    messages = list(current.get("flash") or [])[-4:]
    current.set("flash", messages + [text[:300]])


def render(request: Request, template: str, context: Mapping[str, Any] | None = None, *,
           status: int = 200) -> HTMLResponse:
    current = session(request)
    messages = current.get("flash") or []
    current.drop("flash")
    values = {"csrf": current.csrf, "messages": messages, "request": request, "problems": {}, "values": {},
              "error": None, **(context or {})}  # fmt: skip
    return HTMLResponse(TEMPLATES.get_template(template).render(values), status_code=status)


def redirect(url: str) -> RedirectResponse:
    """After a POST: see the result with a GET (303), so reloading does not post again."""
    return RedirectResponse(url, status_code=303)


def client(request: Request) -> str:
    return request.client.host if request.client else "?"


def sign_in_client(request: Request, limiter: SignInLimiter, area: str) -> str:
    """The client signing in to ``area``, refused (429) after too many failed attempts."""
    who = client(request)
    if limiter.blocked(area, who):
        raise PageError(429, "Demasiados intentos fallidos", "Espere unos minutos e intente de nuevo.")
    return who


async def read_form(request: Request, *, uploads: bool = False) -> FormData:
    """The posted form, its body bounded (413) and timed (408) as the API's; refused (403) without
    this session's CSRF token in the ``csrf`` field."""
    body = await read_body(request, MAX_UPLOAD_FORM if uploads else MAX_FORM)
    sent = False

    async def replay() -> Message:
        nonlocal sent
        if sent:
            return {"type": "http.disconnect"}
        sent = True
        return {"type": "http.request", "body": body, "more_body": False}

    try:
        form = await Request(request.scope, replay).form(max_files=1 if uploads else 0, max_fields=40)
    except HTTPException as exc:
        raise PageError(400, "El formulario no se pudo leer", str(exc.detail)) from None
    token = form.get("csrf")
    if not session(request).csrf_matches(token if isinstance(token, str) else None):
        raise PageError(403, "Formulario rechazado: falta el token CSRF o no es válido",
                        "Abra la página de nuevo y envíe el formulario desde ella.")  # fmt: skip
    return form


def text(form: FormData, name: str, limit: int = 1000) -> str:
    """A text field (empty when missing); longer than ``limit`` is refused."""
    value = form.get(name)
    if value is None or isinstance(value, UploadFile):
        return ""
    if len(value) > limit or "\x00" in value:
        raise PageError(400, f"El campo '{name}' es demasiado largo o tiene caracteres no válidos")
    return value


async def upload(form: FormData, name: str) -> tuple[str, bytes]:
    """An uploaded file's name and bytes (the body was already bounded by :func:`read_form`)."""
    value = form.get(name)
    if not isinstance(value, UploadFile) or not value.filename:
        raise PageError(400, "Falta el archivo", "Elija un archivo antes de enviar el formulario.")
    return value.filename, await value.read()


def fields(form: FormData, names: tuple[str, ...]) -> dict[str, str]:
    return {name: text(form, name).strip() for name in names}


def library_problem(exc: MinicaError) -> str:
    """A library refusal as one line for a page."""
    return f"{exc.what} — {exc.hint}" if exc.hint else exc.what


Handler = Callable[[Request], Awaitable[Response]]


def page(codec: SessionCodec) -> Callable[[Handler], Handler]:
    """Make ``handler`` a page: its session loaded from the cookie and written back when changed,
    the page headers added, and a refusal shown as an error page (:func:`error_page`)."""

    def wrap(handler: Handler) -> Handler:
        @functools.wraps(handler)
        async def endpoint(request: Request) -> Response:
            current = Session(codec.load(request.cookies.get(COOKIE)))
            request.scope["minica.session"] = current
            try:
                response = await handler(request)
            except (PageError, ApiError, MinicaError) as exc:
                response = error_page(request, exc)
            write_back(response, current, codec, secure=request.url.scheme == "https")
            return response

        return endpoint

    return wrap


def error_page(request: Request, exc: PageError | ApiError | MinicaError) -> Response:
    """The error page of a refusal, with the status the JSON API would give it."""
    if isinstance(exc, PageError):
        status, title, detail = exc.status, exc.title, exc.detail
    elif isinstance(exc, ApiError):
        status, title, detail = exc.status, exc.error, exc.hint
    else:
        status, title, detail = status_for(exc), "No se pudo completar la acción", library_problem(exc)
    area = request.url.path.split("/")[1]
    context = {"status": status, "title": title, "detail": detail,
               "area": area if area in ("dian", "plataforma", "proveedor", "operador") else "operador"}  # fmt: skip
    response = render(request, "error.html", context, status=status)
    if isinstance(exc, ApiError) and exc.headers:
        response.headers.update(exc.headers)
    return response
