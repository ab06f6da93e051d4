"""What the pages of one ``minica serve`` share: the home, the clock, the token, the worker pool."""

from __future__ import annotations

from dataclasses import dataclass, field

from starlette.requests import Request
from starlette.responses import Response

from minica.clock import Clock
from minica.server.pages.session import SessionCodec, SignInLimiter, session_key
from minica.server.pages.web import Handler, page, read_form, redirect, session
from minica.server.workers import WorkerPool
from minica.storage.home import Home


@dataclass
class Site:
    """The server's pages over one home. ``token`` is the operator's (the API's bearer token);
    CPU work (issuing, reading uploads, opening keystores) runs in ``pool``."""

    home: Home
    clock: Clock
    token: str
    ca_password: bytes | None
    pool: WorkerPool
    limiter: SignInLimiter = field(default_factory=SignInLimiter)
    codec: SessionCodec = field(init=False)

    def __post_init__(self) -> None:
        self.codec = SessionCodec(session_key(self.home))

    def page(self, handler: Handler) -> Handler:
        """``handler`` as a page of this site (session, headers, error pages)."""
        return page(self.codec)(handler)


class Area:
    """One area of the pages (DIAN, the platform, the vendor, the operator) over a :class:`Site`."""

    def __init__(self, site: Site) -> None:
        self.site = site

    @staticmethod
    async def sign_out_of(request: Request, area: str, then: str) -> Response:
        """"Cerrar sesión" of ``area`` (a CSRF-checked POST), then see ``then``."""
        await read_form(request)
        session(request).drop(area)
        return redirect(then)
