"""DIAN's request form as a page: its choices (DIVIPOLA, document types, authorities) and filing.

DIAN's page and the vendor's show the same form; both file through
:func:`minica.ca.requests.process.file_form`, the function the JSON API calls, so the rules are
the library's, all checked at once and shown next to their fields.
"""

from __future__ import annotations

from typing import Any

from starlette.datastructures import FormData
from starlette.requests import Request
from starlette.responses import JSONResponse

from minica.ca.requests import divipola, process
from minica.ca.requests.form import AUTHORITIES, FIELDS, InvalidRequestForm
from minica.identity import DocumentType
from minica.server.pages.site import Site
from minica.server.pages.web import PageError, fields, text

_PERSONS = {"juridica": "Persona jurídica", "natural": "Persona natural"}


def choices(values: dict[str, str]) -> dict[str, Any]:
    """The form's lists: departamentos, the chosen one's municipios, document types, authorities."""
    places = divipola.load()
    chosen = places.departamento(values.get("departamento", "")) if values.get("departamento") else None
    return {
        "departamentos": [(d.code, d.name) for d in places.departamentos],
        "municipios": [(m.code, m.name) for m in places.municipios_of(chosen)] if chosen else [],
        "document_types": [(t.value, t.value) for t in DocumentType],
        "authorities": list(AUTHORITIES.items()),
        "persons": list(_PERSONS.items()),
    }


def typed(form: FormData) -> dict[str, str]:
    """The form's fields as typed (passwords apart)."""
    return fields(form, FIELDS)


def stored_values(form_json: dict[str, Any]) -> dict[str, str]:
    """A stored form as the page's values (codes for departamento and ciudad)."""
    values = {k: str(v) for k, v in form_json.items() if v is not None and k in FIELDS}
    values["departamento"] = str(form_json.get("departamento_codigo") or "")
    values["ciudad"] = str(form_json.get("ciudad_codigo") or "")
    return values


async def file(site: Site, form: FormData, values: dict[str, str], channel: str) -> process.Filed:
    """File the posted form; :class:`InvalidRequestForm` names every broken rule."""
    password, confirmation = text(form, "password", 200), text(form, "password_confirmation", 200)
    data = {k: v for k, v in values.items() if v}
    # In a worker: the first request of a home makes its escrow key (an RSA key pair).
    return await site.pool.run(process.file_form, site.home, site.clock, data, password, confirmation,
                               channel=channel, ca_password=site.ca_password)  # fmt: skip


def split_problems(exc: InvalidRequestForm) -> tuple[dict[str, str], list[tuple[str, str]]]:
    """(problems of the form's own fields, the others) of a refused form."""
    own = set(FIELDS) | {"password", "password_confirmation"}
    return ({k: v for k, v in exc.problems.items() if k in own},
            [(k, v) for k, v in exc.problems.items() if k not in own])  # fmt: skip


async def municipios(request: Request) -> JSONResponse:
    """``GET /dian/divipola/{code}``: the municipios of one departamento (for the form's script)."""
    places = divipola.load()
    found = places.departamento(request.path_params["code"][:60])
    if found is None:
        raise PageError(404, "No existe ese departamento en la DIVIPOLA")
    return JSONResponse({"departamento": found.name,
                         "municipios": [{"codigo": m.code, "nombre": m.name} for m in places.municipios_of(found)]})
