"""``minica serve``: the mock CA as a local HTTP service (CA files, CRLs, OCSP, JSON API)."""

from __future__ import annotations

import contextlib
import logging
import secrets
import signal
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import click

from minica.cli.context import AppContext, at_option, ca_password, ca_password_option, pass_app
from minica.errors import InvalidInput
from minica.net import is_loopback
from minica.server.limits import (
    DEFAULT_BODY_TIMEOUT,
    DEFAULT_HEADER_TIMEOUT,
    DEFAULT_MAX_CONNECTIONS,
    DEFAULT_REQUEST_TIMEOUT,
    ClientLimits,
)
from minica.storage.files import atomic_write


def _token(token_file: Path | None) -> tuple[str, bool]:
    """The API token: read from ``token_file`` when it exists, else a new one (written there)."""
    if token_file is not None and token_file.exists():
        token = token_file.read_text(encoding="utf-8").strip()
        if len(token) < 16:
            raise InvalidInput(f"the token in {token_file} is shorter than 16 characters", "use a longer one")
        return token, False
    token = secrets.token_urlsafe(32)
    if token_file is not None:
        atomic_write(token_file, (token + "\n").encode(), mode=0o600)
    return token, True


_SECONDS = click.FloatRange(0.001, 86400)
_HEAD_SECONDS = click.FloatRange(0.001, 3600)


@click.command()
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on (loopback by default).")
@click.option("--port", default=8765, show_default=True, type=click.IntRange(0, 65535))
@click.option("--token-file", type=click.Path(dir_okay=False, path_type=Path),
              help="Read the API token from FILE (or write a new one there, 0600).")
@click.option("--quiet", is_flag=True, help="No request log.")
@click.option("--workers", type=click.IntRange(1, 256), default=None,
              help="Worker processes for signing, verifying, issuing and checking  [default: cores, at most 4]")
@click.option("--request-timeout", type=_SECONDS, default=DEFAULT_REQUEST_TIMEOUT, show_default=True,
              help="Seconds one request's work may take; then its worker is killed and the answer is a 503.")
@click.option("--header-timeout", type=_HEAD_SECONDS, default=DEFAULT_HEADER_TIMEOUT, show_default=True,
              help="Seconds a client has to send a request's head; then the connection is closed.")
@click.option("--body-timeout", type=_SECONDS, default=DEFAULT_BODY_TIMEOUT, show_default=True,
              help="Seconds a client has to send a request's body; then the answer is a 408.")
@click.option("--max-connections", type=click.IntRange(1, 100_000), default=DEFAULT_MAX_CONNECTIONS,
              show_default=True, help="Open connections at most; one more gets a 503 and is closed.")
@click.option("--dian-batch-delay", type=click.FloatRange(0, 86400), default=0.0, show_default=True,
              help="Seconds the local DIAN waits before processing an async batch (GetStatusZip answers"
                   " 'Batch en proceso de validación.' meanwhile).")
@ca_password_option
@at_option
@pass_app
def serve(app: AppContext, host: str, port: int, token_file: Path | None, quiet: bool, workers: int | None,
          request_timeout: float, header_timeout: float, body_timeout: float, max_connections: int,
          dian_batch_delay: float, ca_password_file: Path | None) -> None:
    """Serve CA certificates, CRLs, OCSP and the JSON API (/api/v1/openapi.json) until Ctrl-C."""
    from minica.server.app import ServerSettings, create_app
    from minica.server.runner import bind_listener, run_server

    limits = ClientLimits(header_timeout=header_timeout, max_connections=max_connections)
    listener = bind_listener(host, port)  # first: a taken port prints no token and writes no file
    asgi = None
    with _stop_quietly_on_sigterm():  # a stop while starting is a normal end too
        try:
            token, fresh = _token(token_file)
            settings = ServerSettings(home=app.home, clock=app.clock, token=token,
                                      ca_password=ca_password(ca_password_file), request_timeout=request_timeout,
                                      body_timeout=body_timeout, workers=workers,
                                      dian_batch_delay=dian_batch_delay)
            asgi = create_app(settings)
            asgi.pool.start(warm=True)
            _banner(app, host, listener.getsockname()[1], token_file, token, fresh, asgi.pool.size, request_timeout)
            logging.basicConfig(level=logging.WARNING if quiet else logging.INFO, format="%(message)s",
                                stream=sys.stderr)
            # Stops accepting on SIGINT/SIGTERM, gives running work a moment, stops the workers, returns.
            run_server(asgi, listener, limits)
        finally:
            if asgi is not None:
                asgi.close()
            listener.close()
    click.echo("minica serve: stopped", err=True)


def _banner(app: AppContext, host: str, port: int, token_file: Path | None, token: str, fresh: bool,
            workers: int, request_timeout: float) -> None:
    shown = f"[{host}]" if ":" in host else host
    base = f"http://{shown}:{port}"
    click.echo(f"minica serve: {base}  (home {app.home.root})", err=True)
    click.echo(f"  OCSP {base}/ocsp   CRL {base}/crl/issuing.crl   API {base}/api/v1/openapi.json", err=True)
    click.echo(f"  DIAN (local mock) {base}/dian/habilitacion/WcfDianCustomerServices.svc?wsdl"
               " (and /dian/produccion/…)", err=True)
    if token_file is not None:
        click.echo(f"  API token {'written to' if fresh else 'read from'} {token_file}", err=True)
    else:
        click.echo(f"  API token (Authorization: Bearer …): {token}", err=True)
    click.echo(f"  {workers} worker processes; a request's work stops after {request_timeout:g} s", err=True)
    if not is_loopback(host):
        click.echo("  warning: listening beyond loopback; this is a MOCK CA, keep it on a test network", err=True)


@contextlib.contextmanager
def _stop_quietly_on_sigterm() -> Iterator[None]:
    """SIGTERM ends the command normally (exit 0, workers stopped) until the server takes over the
    signal; without this its default action would end the process with status -15."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def stop(_signum: int, _frame: object) -> None:
        raise SystemExit(0)

    previous = signal.signal(signal.SIGTERM, stop)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)
