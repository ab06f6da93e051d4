"""``minica quickstart``: a CA, a certificate in both environments, a signed and verified invoice."""

from __future__ import annotations

import os
from pathlib import Path

import click

from minica.cli.context import (
    STORE_PASSWORD_ENV,
    AppContext,
    ca_password,
    json_option,
    pass_app,
    password_file_option,
    password_from,
)
from minica.quickstart import run_quickstart


@click.command()
@password_file_option
@json_option
@pass_app
def quickstart(app: AppContext, password_file: Path | None) -> None:
    """Set everything up in seconds and show where the files are.

    Creates a CA in the home if there is none, issues a sample certificate (MINICA PRUEBAS S.A.S.)
    into both environments' keystores, signs the bundled sample invoice and verifies it. The keystore
    password is taken from --password-file / $MINICA_STORE_PASSWORD when given; otherwise a strong
    one is generated and saved, readable only by you, in the home.
    """
    given = None
    if password_file is not None or os.environ.get(STORE_PASSWORD_ENV):
        given = password_from(password_file, STORE_PASSWORD_ENV, what="keystore password", confirm=False)
    result = run_quickstart(app.home, clock=app.clock, store_password=given, ca_password=ca_password(None))
    app.emit(result.to_json(), lambda: click.echo(result.describe()))
