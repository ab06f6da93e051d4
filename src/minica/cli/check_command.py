"""``minica check``: certificate validity and expiry, for people and for cron jobs."""

from __future__ import annotations

from pathlib import Path

import click
from cryptography import x509

from minica.ca.check import check_stores, check_targets
from minica.ca.filters import CertificateFilter
from minica.ca.status import CertificateReport, Status, worst_exit_code
from minica.cli.context import STORE_PASSWORD_ENV, AppContext, at_option, json_option, pass_app, password_from
from minica.cli.filter_options import filter_options
from minica.clock import colombian
from minica.errors import InvalidInput

_MARK = {
    Status.VALID: "OK      ",
    Status.EXPIRING: "EXPIRING",
    Status.EXPIRED: "EXPIRED ",
    Status.NOT_YET_VALID: "NOT YET ",
    Status.REVOKED: "REVOKED ",
    Status.UNTRUSTED: "UNTRUSTED",
    Status.UNREADABLE: "UNREADABLE",
}


def load_anchors(paths: tuple[Path, ...]) -> list[x509.Certificate]:
    anchors: list[x509.Certificate] = []
    for path in paths:
        try:
            anchors += x509.load_pem_x509_certificates(path.read_bytes())
        except (OSError, ValueError):
            raise InvalidInput(f"--trust {path} is not a readable PEM certificate file", "give a PEM file") from None
    return anchors


@click.command()
@click.argument("targets", nargs=-1, type=click.Path(path_type=Path))
@click.option("--warn-days", type=click.IntRange(min=0), default=30, show_default=True,
              help="Report certificates expiring within this many days as 'expiring' (exit 1).")
@click.option("--trust", "trust", multiple=True, type=click.Path(dir_okay=False, path_type=Path),
              help="Extra trust anchors (PEM), e.g. a real CA's root.")
@click.option("--password-file", type=click.Path(dir_okay=False, path_type=Path),
              help=f"Password of the .p12/.pfx targets (else ${STORE_PASSWORD_ENV}, else a prompt).")
@filter_options(s.value for s in Status)
@at_option
@json_option
@pass_app
def check(app: AppContext, targets: tuple[Path, ...], warn_days: int, trust: tuple[Path, ...],
          password_file: Path | None, only: CertificateFilter) -> None:
    """Validity and expiry of the stores, or of .p12/.pfx, PEM/DER or signed XML files.

    Exit status: 0 all valid, 1 some expiring, 2 some expired / not yet valid / revoked / untrusted,
    3 something unreadable (of the certificates the filters keep).
    """
    now = app.clock.now()
    if targets:
        asked: dict[Path, bytes | None] = {}

        def password(path: Path) -> bytes | None:
            if path not in asked:
                value = password_from(password_file, STORE_PASSWORD_ENV, what=f"password of {path}",
                                      confirm=False, required=False)
                asked[path] = value.encode("utf-8") if value is not None else None
            return asked[path]

        reports = check_targets(app.home, list(targets), now=now, warn_days=warn_days,
                                password=password, extra_anchors=load_anchors(trust), only=only)
    else:
        reports = check_stores(app.home, now=now, warn_days=warn_days, only=only)
    code = worst_exit_code(reports)
    app.emit(
        {"at": colombian(now).isoformat(), "warn_days": warn_days, "exit_code": code,
         "certificates": [r.to_json() for r in reports]},
        lambda: _print(reports),
    )
    app_exit(code)


def _print(reports: list[CertificateReport]) -> None:
    if not reports:
        click.echo("No certificates to check.")
    for r in reports:
        click.echo(f"{_MARK[r.status]} {r.source}: {r.detail}")
        if r.subject and r.not_before and r.not_after:
            nit = f"   NIT {', '.join(r.nits)}" if r.nits else ""
            click.echo(f"          subject {r.subject}{nit}")
            click.echo(f"          issuer  {r.issuer}   serial {r.serial}")
            click.echo(f"          valid   {colombian(r.not_before).isoformat()} → {colombian(r.not_after).isoformat()}"
                       f" ({r.days_text})")


def app_exit(code: int) -> None:
    if code:
        click.get_current_context().exit(code)
