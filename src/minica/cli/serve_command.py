"""``minica serve``: the mock CA as a local HTTP service (CA files, CRLs, OCSP, JSON API)."""

from __future__ import annotations

import contextlib
import ipaddress
import logging
import secrets
import signal
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import click

from minica.cli.context import AppContext, ca_password, ca_password_option, pass_app
from minica.errors import InvalidInput
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


def _loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _quiet_server_class() -> type:
    import uvicorn

    class QuietServer(uvicorn.Server):
        """uvicorn's server, but a SIGINT/SIGTERM is a normal stop (exit 0): uvicorn re-raises the
        signal after its graceful shutdown, which would kill the process with status -15."""

        @contextlib.contextmanager
        def capture_signals(self) -> Iterator[None]:
            if threading.current_thread() is not threading.main_thread():
                yield
                return
            previous = {sig: signal.signal(sig, self.handle_exit) for sig in (signal.SIGINT, signal.SIGTERM)}
            try:
                yield
            finally:
                for sig, handler in previous.items():
                    signal.signal(sig, handler)

    return QuietServer


@click.command()
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on (loopback by default).")
@click.option("--port", default=8765, show_default=True, type=click.IntRange(0, 65535))
@click.option("--token-file", type=click.Path(dir_okay=False, path_type=Path),
              help="Read the API token from FILE (or write a new one there, 0600).")
@click.option("--quiet", is_flag=True, help="No request log.")
@ca_password_option
@pass_app
def serve(app: AppContext, host: str, port: int, token_file: Path | None, quiet: bool,
          ca_password_file: Path | None) -> None:
    """Serve CA certificates, CRLs, OCSP and the JSON API (/api/v1/openapi.json) until Ctrl-C."""
    import uvicorn

    from minica.server.app import ServerSettings, create_app

    token, fresh = _token(token_file)
    settings = ServerSettings(home=app.home, clock=app.clock, token=token, ca_password=ca_password(ca_password_file))
    asgi = create_app(settings)
    logging.basicConfig(level=logging.WARNING if quiet else logging.INFO, format="%(message)s", stream=sys.stderr)
    shown = f"[{host}]" if ":" in host else host
    base = f"http://{shown}:{port}"
    click.echo(f"minica serve: {base}  (home {app.home.root})", err=True)
    click.echo(f"  OCSP {base}/ocsp   CRL {base}/crl/issuing.crl   API {base}/api/v1/openapi.json", err=True)
    if token_file is not None:
        click.echo(f"  API token {'written to' if fresh else 'read from'} {token_file}", err=True)
    else:
        click.echo(f"  API token (Authorization: Bearer …): {token}", err=True)
    if not _loopback(host):
        click.echo("  warning: listening beyond loopback; this is a MOCK CA, keep it on a test network", err=True)
    server_class = _quiet_server_class()
    config = uvicorn.Config(asgi, host=host, port=port, access_log=False, log_level="warning",
                            lifespan="off", limit_concurrency=1000, timeout_graceful_shutdown=5)
    # Stops accepting on SIGINT/SIGTERM, finishes open requests (5 s at most), then returns.
    server_class(config).run()
    click.echo("minica serve: stopped", err=True)
