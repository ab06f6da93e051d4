"""``minica crl``: write the current CRL of the issuing CA (or the root's, with ``--root``)."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from minica.ca.crl import CrlScope, publish_crl
from minica.cli.context import AppContext, ca_password, ca_password_option, json_option, pass_app
from minica.errors import InvalidInput
from minica.storage.files import atomic_write


@click.command()
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path),
              help="Write the CRL here (default: standard output, which must not be a terminal).")
@click.option("--pem", is_flag=True, help="PEM instead of DER.")
@click.option("--root", "root", is_flag=True, help="The root CA's CRL (covers the issuing CA).")
@click.option("--hours", type=click.IntRange(min=1, max=24 * 365), default=24, show_default=True,
              help="Hours until nextUpdate.")
@ca_password_option
@json_option
@pass_app
def crl(app: AppContext, output: Path | None, pem: bool, root: bool, hours: int,
        ca_password_file: Path | None) -> None:
    """Sign and write the current CRL (increasing CRL number, reason codes, nextUpdate)."""
    import datetime as _dt

    if output is None and not pem and sys.stdout.isatty():
        raise InvalidInput("a DER CRL is binary and standard output is a terminal", "use -o FILE or --pem")
    published = publish_crl(
        app.home, now=app.clock.now(), ca_password=ca_password(ca_password_file),
        scope=CrlScope.ROOT if root else CrlScope.ISSUING, validity=_dt.timedelta(hours=hours),
    )
    data = published.pem if pem else published.der
    if output is None:
        sys.stdout.buffer.write(data)
        return
    atomic_write(output, data, mode=0o644)
    info = {**published.to_json(), "file": str(output), "format": "pem" if pem else "der"}
    app.emit(info, lambda: click.echo(
        f"CRL #{published.number} of the {published.scope.value} CA ({info['revoked']} revoked,"
        f" next update {info['next_update']}) → {output}"
    ))
