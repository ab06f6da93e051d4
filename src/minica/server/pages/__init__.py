"""The web pages of ``minica serve``: DIAN's free solution and habilitación portal, the CA's
platform, the vendor's pages, the operator's console; plus their local CSS and JavaScript under ``/static``.

Each area is a small module of thin routes over the library (the same calls as the CLI and the
JSON API); :mod:`.web` and :mod:`.session` hold what they share.
"""

from __future__ import annotations

from importlib import resources

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Mount, Route
from starlette.staticfiles import StaticFiles

from minica.server.pages.dian import DianPages
from minica.server.pages.habilitacion import HabilitacionPages
from minica.server.pages.operator import OperatorPages
from minica.server.pages.platform import PlatformPages
from minica.server.pages.site import Site
from minica.server.pages.vendor import VendorPages
from minica.server.pages.web import render


def page_routes(site: Site) -> list[BaseRoute]:
    """Every page's route, the static files and the start page ``/``."""

    async def start(request: Request) -> Response:
        return render(request, "inicio.html")

    static = StaticFiles(directory=str(resources.files("minica.server") / "static"))
    return [
        Route("/", site.page(start), methods=["GET"]),
        *DianPages(site).routes(),
        *HabilitacionPages(site).routes(),
        *PlatformPages(site).routes(),
        *VendorPages(site).routes(),
        *OperatorPages(site).routes(),
        Mount("/static", app=static, name="static"),
    ]
