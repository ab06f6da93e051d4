"""DIAN's habilitación portal (``/dian/habilitacion``), for the company signed in to DIAN's pages:
registered software, numbering ranges and technical keys, test-set counters, and each received
document with its rule results and DIAN's ApplicationResponse (:mod:`minica.dian.gratuita.habilitacion`)."""

from __future__ import annotations

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from minica.dian.gratuita import habilitacion
from minica.server.pages.dian import DianPages


class HabilitacionPages(DianPages):
    def routes(self) -> list[Route]:
        p = self.site.page
        return [
            Route("/dian/habilitacion", p(self.portal), methods=["GET"]),
            Route("/dian/habilitacion/documentos/{number:int}", p(self.document), methods=["GET"]),
        ]

    async def portal(self, request: Request) -> Response:
        nit = self._user(request)["nit"]
        software = await run_in_threadpool(habilitacion.company_software, self.site.home, nit)
        documents = await run_in_threadpool(habilitacion.company_documents, self.site.home, nit)
        return self._render(request, "dian/habilitacion.html", {"software": software, "documents": documents})

    async def document(self, request: Request) -> Response:
        nit = self._user(request)["nit"]
        found = await run_in_threadpool(habilitacion.company_document, self.site.home, nit,
                                        request.path_params["number"])  # fmt: skip
        answer = found.application_response.decode("utf-8", "replace") if found.application_response else ""
        return self._render(request, "dian/habilitacion_documento.html", {"doc": found, "answer": answer})

