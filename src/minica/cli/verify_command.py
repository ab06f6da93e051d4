"""``minica verify``: DIAN's signature rules, offline, one line per check."""

from __future__ import annotations

from pathlib import Path

import click

from minica.ca.check import home_trust
from minica.cli.check_command import load_anchors
from minica.cli.context import AppContext, at_option, json_option, pass_app
from minica.errors import InvalidInput, MinicaError
from minica.signing.home_revocation import HomeRevocationSource
from minica.signing.report import VerificationResult
from minica.signing.verifier import verify_document

_MARK = {"pass": "pass", "fail": "FAIL", "warn": "warn", "skip": "skip"}


@click.command()
@click.argument("files", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option("--trust", multiple=True, type=click.Path(dir_okay=False, path_type=Path),
              help="Extra trust anchors (PEM); this home's CA is always trusted.")
@click.option("--technical-key", help="Numbering range's technical key: recompute and compare the CUFE.")
@click.option("--software-pin", help="Software PIN: recompute and compare the CUDE / CUNE.")
@at_option
@json_option
@pass_app
def verify(app: AppContext, files: tuple[Path, ...], trust: tuple[Path, ...], technical_key: str | None,
           software_pin: str | None) -> None:
    """Verify signed DIAN documents and report every check with its rule code.

    Exit status: 0 all valid, 1 some invalid, 2 some unreadable.
    """
    anchors, intermediates = home_trust(app.home)
    anchors += load_anchors(trust)
    revocation = HomeRevocationSource(app.home) if app.home.db_path.exists() else None
    at = app.clock.now()
    reports: list[dict[str, object]] = []
    code = 0
    for path in files:
        try:
            data = path.read_bytes()
        except OSError as exc:
            error: MinicaError = InvalidInput(f"cannot read {path}: {exc.strerror}", "check the path")
            reports.append(_unreadable(app, path, error))
            code = 2
            continue
        try:
            result = verify_document(data, at=at, trust=anchors, intermediates=intermediates,
                                     revocation=revocation, technical_key=technical_key,
                                     software_pin=software_pin)
        except MinicaError as exc:
            reports.append(_unreadable(app, path, exc))
            code = 2
            continue
        if not result.valid:
            code = max(code, 1)
        reports.append({"file": str(path), **result.to_json()})
        if not app.json:
            _print(path, result)
    if app.json:
        app.emit(reports if len(reports) > 1 else reports[0], lambda: None)
    if code:
        click.get_current_context().exit(code)


def _unreadable(app: AppContext, path: Path, error: MinicaError) -> dict[str, object]:
    if not app.json:
        click.echo(f"{path}: UNREADABLE", err=False)
        click.echo(f"error: {path}: {error}", err=True)
    return {"file": str(path), "valid": False, "unreadable": True, "error": str(error),
            "checks": [{"rule": "MINICA-INPUT", "status": "fail", "message": str(error)}]}


def _print(path: Path, result: VerificationResult) -> None:
    verdict = "VALID" if result.valid else "INVALID"
    click.echo(f"{path}: {verdict}  (intact: {_yn(result.intact)}, signature: {_yn(result.signature_valid)},"
               f" trusted: {_yn(result.trusted)})")
    for check in result.checks:
        click.echo(f"  {check.rule:<22} {_MARK[check.status]:<4}  {check.message}")


def _yn(flag: bool) -> str:
    return "yes" if flag else "no"
