"""The web pages' session: one signed cookie, its CSRF token, and sign-in attempt limits.

The session is a small JSON object kept in the browser, signed with HMAC-SHA256 under a key of the
home (``<home>/server/web-session.key``, 0600, made once): nothing is stored on the server and no
database table is needed. It holds the CSRF token and who is signed in to each area (the DIAN
company's NIT, the platform's radicado, the operator's proof of the token) — never a password or
the token itself. The cookie is ``HttpOnly`` and ``SameSite=Strict`` (``Secure`` over https) and
lasts until the browser closes or "Cerrar sesión".
"""

from __future__ import annotations

import base64
import binascii
import collections
import hashlib
import hmac
import json
import secrets
import time
from pathlib import Path
from typing import Any

from starlette.responses import Response

from minica.storage.files import atomic_write
from minica.storage.home import Home

COOKIE = "minica_sesion"
#: The largest session cookie accepted or written (browsers keep 4 KB per cookie).
MAX_COOKIE = 3000
#: Security headers of every page: local resources only, no framing, no referrer.
PAGE_HEADERS = {
    "content-security-policy": "default-src 'self'; img-src 'self' data:; script-src 'self'; style-src 'self';"
    " form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
    "x-content-type-options": "nosniff",
    "x-frame-options": "DENY",
    "referrer-policy": "no-referrer",
    "cache-control": "no-store",
}.items()


def session_key(home: Home) -> bytes:
    """The home's key for signing web sessions (made on first use, 0600)."""
    path = home.root / "server" / "web-session.key"
    try:
        return _read_key(path)
    except FileNotFoundError:
        try:
            atomic_write(path, secrets.token_bytes(32).hex().encode("ascii"), mode=0o600, exclusive=True)
        except FileExistsError:
            pass  # another server made it meanwhile: use theirs
        return _read_key(path)


def _read_key(path: Path) -> bytes:
    return bytes.fromhex(path.read_text(encoding="ascii").strip())


class Session:
    """What one browser's cookie holds: ``csrf`` and an entry per signed-in area."""

    def __init__(self, data: dict[str, Any] | None) -> None:
        self.fresh = data is None
        self.data: dict[str, Any] = data if data is not None else {"csrf": secrets.token_urlsafe(24)}
        self.changed = self.fresh

    @property
    def csrf(self) -> str:
        return str(self.data["csrf"])

    def get(self, area: str) -> Any:
        return self.data.get(area)

    def set(self, area: str, value: Any) -> None:
        self.data[area] = value
        self.changed = True

    def drop(self, area: str) -> None:
        if area in self.data:
            del self.data[area]
            self.changed = True

    def csrf_matches(self, given: str | None) -> bool:
        return bool(given) and not self.fresh and hmac.compare_digest(self.csrf.encode(), str(given).encode())


class SessionCodec:
    """Signs and checks session cookies with the home's key."""

    def __init__(self, key: bytes) -> None:
        self.key = key

    def tag(self, text: str) -> str:
        """A keyed digest of ``text`` (e.g. the operator token): proof without the secret itself."""
        return hmac.new(self.key, b"tag:" + text.encode("utf-8"), hashlib.sha256).hexdigest()[:32]

    def dump(self, data: dict[str, Any]) -> str:
        body = base64.urlsafe_b64encode(json.dumps(data, separators=(",", ":")).encode()).decode().rstrip("=")
        return f"{body}.{self._mac(body)}"

    def load(self, cookie: str | None) -> dict[str, Any] | None:
        """The session in ``cookie``, or None when it is missing, too long, or not signed by us."""
        if not cookie or len(cookie) > MAX_COOKIE or "." not in cookie:
            return None
        body, mac = cookie.rsplit(".", 1)
        if not hmac.compare_digest(mac.encode(), self._mac(body).encode()):
            return None
        try:
            data = json.loads(base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)))
        except (binascii.Error, ValueError):
            return None
        return data if isinstance(data, dict) and isinstance(data.get("csrf"), str) else None

    def _mac(self, body: str) -> str:
        return base64.urlsafe_b64encode(hmac.new(self.key, body.encode(), hashlib.sha256).digest()).decode().rstrip("=")


def write_back(response: Response, session: Session, codec: SessionCodec, *, secure: bool) -> None:
    """Add :data:`PAGE_HEADERS` to a page's answer, and the session cookie when it changed."""
    for name, value in PAGE_HEADERS:
        response.headers[name] = value
    if session.changed:
        response.set_cookie(COOKIE, codec.dump(session.data), path="/", httponly=True, samesite="strict",
                            secure=secure)  # fmt: skip


class SignInLimiter:
    """At most ``failures`` failed sign-ins per client and area within ``window`` seconds (measured
    on the monotonic clock: a duration, never the time of day)."""

    def __init__(self, failures: int = 5, window: float = 300.0) -> None:
        self.failures = failures
        self.window = window
        self._seen: dict[tuple[str, str], collections.deque[float]] = {}

    def _recent(self, key: tuple[str, str]) -> collections.deque[float]:
        now = time.monotonic()
        seen = self._seen.setdefault(key, collections.deque())
        while seen and now - seen[0] > self.window:
            seen.popleft()
        if not seen:
            del self._seen[key]
            return collections.deque()
        return seen

    def blocked(self, area: str, client: str) -> bool:
        return len(self._recent((area, client))) >= self.failures

    def failed(self, area: str, client: str) -> None:
        if len(self._seen) > 10_000:  # a flood of clients: forget the oldest rather than grow
            self._seen.pop(next(iter(self._seen)))
        self._seen.setdefault((area, client), collections.deque()).append(time.monotonic())

    def succeeded(self, area: str, client: str) -> None:
        self._seen.pop((area, client), None)
