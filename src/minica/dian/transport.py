"""Posting a SOAP 1.2 request over HTTP(S) with urllib: a timeout on every step, a bounded reply.

Loopback URLs never go through a proxy (``$http_proxy`` would otherwise send the local DIAN's traffic
to it); other URLs use the environment's proxy settings, as any client of the real DIAN must.
"""

from __future__ import annotations

import http.client
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass

from minica.dian.client_errors import DianBadReply, DianUnreachable
from minica.errors import InvalidInput
from minica.net import is_loopback

#: Largest reply read (bytes): GetStatusZip of 50 documents with DIAN's ApplicationResponses is a
#: few megabytes.
MAX_REPLY = 64 * 1024 * 1024
DEFAULT_TIMEOUT = 60.0


@dataclass(frozen=True)
class HttpReply:
    """The HTTP status and body of an answer (4xx and 5xx included: a SOAP Fault comes as a 500)."""

    status: int
    body: bytes


def check_url(url: str) -> str:
    """``url`` when it is an http(s) URL with a host, else :class:`InvalidInput`."""
    parts = urllib.parse.urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise InvalidInput(f"'{url[:120]}' is not an http(s) URL",
                           "e.g. http://127.0.0.1:8765/dian/habilitacion/WcfDianCustomerServices.svc")
    return url


def _opener(url: str) -> urllib.request.OpenerDirector:
    host = urllib.parse.urlsplit(url).hostname or ""
    if is_loopback(host):
        return urllib.request.build_opener(urllib.request.ProxyHandler({}))
    return urllib.request.build_opener()


def _read(response: http.client.HTTPResponse | urllib.error.HTTPError, url: str) -> bytes:
    data = response.read(MAX_REPLY + 1)
    if len(data) > MAX_REPLY:
        raise DianBadReply(f"the answer from {url} is larger than {MAX_REPLY:,} bytes",
                           "check --url: DIAN's answers are far smaller")
    return bytes(data)


def post_soap(url: str, body: bytes, *, action: str, timeout: float = DEFAULT_TIMEOUT) -> HttpReply:
    """POST ``body`` (SOAP 1.2, ``action`` in the Content-Type) to ``url``; the reply, whatever its
    HTTP status. :class:`DianUnreachable` when there is no connection or no answer within ``timeout``
    seconds (per connection attempt and per read)."""
    request = urllib.request.Request(check_url(url), data=body, method="POST", headers={
        "Content-Type": f'application/soap+xml; charset=utf-8; action="{action}"',
        "Accept": "application/soap+xml, text/xml",
    })
    try:
        with _opener(url).open(request, timeout=timeout) as response:
            return HttpReply(response.status, _read(response, url))
    except urllib.error.HTTPError as exc:
        with exc:
            return HttpReply(exc.code, _read(exc, url))
    except TimeoutError:
        raise DianUnreachable(f"no answer from {url} within {timeout:g} s",
                              "the service is slow or stuck; try again later or raise --timeout") from None
    except urllib.error.URLError as exc:
        reason = exc.reason
        if isinstance(reason, TimeoutError):
            raise DianUnreachable(f"no answer from {url} within {timeout:g} s",
                                  "the service is slow or stuck; try again later or raise --timeout") from None
        text = reason.strerror if isinstance(reason, OSError) and reason.strerror else str(reason)
        raise DianUnreachable(f"cannot reach {url}: {text}",
                              "start the local DIAN (minica serve) or check --url") from None
    except (http.client.HTTPException, OSError) as exc:
        raise DianUnreachable(f"the connection to {url} failed: {type(exc).__name__}: {exc}",
                              "the service closed the connection; try again later") from None
