"""``minica verify``: DIAN's signature rules, offline, one line per check.

With ``--json`` the output always has one shape, for one file or many::

    {"valid": bool,                      # every document is valid
     "documents": [DOCUMENT, ...],       # in the order given
     "summary": {"total": n, "valid": n, "invalid": n, "unreadable": n}}

where DOCUMENT is :meth:`VerificationResult.to_json` plus ``"file"``, ``"status"`` (``valid``,
``invalid`` or ``unreadable``), ``"error"`` and ``"hint"`` (``null`` unless the file could not be
read). An error that stops the whole command (an unreadable ``--trust`` file, a damaged home) is
``{"error": ..., "hint": ...}``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

from minica.ca.check import home_trust
from minica.cli.check_command import load_anchors
from minica.cli.context import DIAN_PIN_ENV, AppContext, at_option, json_option, pass_app, password_from
from minica.errors import InvalidInput, MinicaError
from minica.signing.home_revocation import HomeRevocationSource
from minica.signing.report import VerificationResult
from minica.signing.verifier import verify_document

_MARK = {"pass": "pass", "fail": "FAIL", "warn": "warn", "skip": "skip"}
#: The keys of a document entry when the file could not be verified (same keys as a result).
_EMPTY_RESULT: dict[str, Any] = {
    "valid": False, "intact": False, "signature_valid": False, "profile": False, "trusted": False,
    "signer": None, "signing_time": None, "policy": None, "checks": [],
}


@click.command()
@click.argument("files", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option("--trust", multiple=True, type=click.Path(dir_okay=False, path_type=Path),
              help="Extra trust anchors (PEM); this home's CA is always trusted.")
@click.option("--technical-key", help="Numbering range's technical key: recompute and compare the CUFE.")
@click.option("--software-pin-file", "--pin-file", "pin_file", type=click.Path(dir_okay=False, path_type=Path),
              help=f"File holding the software PIN (else ${DIAN_PIN_ENV}): recompute and compare the CUDE / CUNE"
              " and the SoftwareSecurityCode.")
@click.option("--software-pin", "pin_argument", hidden=True,
              help="Refused: a PIN on the command line shows in ps and the shell history.")
@at_option
@json_option
@pass_app
def verify(app: AppContext, files: tuple[Path, ...], trust: tuple[Path, ...], technical_key: str | None,
           pin_file: Path | None, pin_argument: str | None) -> None:
    """Verify signed DIAN documents and report every check with its rule code.

    Exit status: 0 all valid, 1 some invalid, 2 some unreadable.
    """
    try:
        software_pin = _software_pin(pin_file, pin_argument)
        anchors, intermediates = home_trust(app.home)
        anchors += load_anchors(trust)
        revocation = HomeRevocationSource(app.home) if app.home.has_ca() else None
    except MinicaError as exc:
        if not app.json:
            raise
        app.emit({"error": exc.what, "hint": exc.hint or None}, lambda: None)
        click.get_current_context().exit(exc.exit_code)
    at = app.clock.now()
    documents: list[dict[str, Any]] = []
    for path in files:
        try:
            data = _read(path)
            result = verify_document(data, at=at, trust=anchors, intermediates=intermediates,
                                     revocation=revocation, technical_key=technical_key,
                                     software_pin=software_pin)
        except MinicaError as exc:
            documents.append(_unreadable(app, path, exc))
            continue
        status = "valid" if result.valid else "invalid"
        documents.append({"file": str(path), "status": status, **result.to_json(), "error": None,
                          "hint": None})
        if not app.json:
            _print(path, result)
    summary = {"total": len(documents)} | {
        status: sum(d["status"] == status for d in documents) for status in ("valid", "invalid", "unreadable")
    }
    app.emit(
        {"valid": summary["valid"] == len(documents), "documents": documents, "summary": summary},
        lambda: _print_summary(summary),
    )
    code = 2 if summary["unreadable"] else 1 if summary["invalid"] else 0
    if code:
        click.get_current_context().exit(code)


def _software_pin(pin_file: Path | None, pin_argument: str | None) -> str | None:
    """The PIN from ``--software-pin-file``, else ``$MINICA_DIAN_PIN``, else none (never a prompt:
    without a PIN the CUDE/CUNE is only not recomputed)."""
    if pin_argument is not None:
        raise InvalidInput(
            "--software-pin would put the PIN on the command line, where ps and the shell history show it",
            f"use --software-pin-file FILE or set ${DIAN_PIN_ENV}",
        )
    pin = password_from(pin_file, DIAN_PIN_ENV, what="software PIN", confirm=False, required=False,
                        file_option="--software-pin-file", prompt=False)
    if pin == "":
        raise InvalidInput(f"the software PIN file {pin_file} is empty", "write the PIN in it")
    return pin


def _read(path: Path) -> bytes:
    """The file's bytes, or InvalidInput naming the path."""
    try:
        return path.read_bytes()
    except OSError as exc:
        raise InvalidInput(f"cannot read {path}: {exc.strerror}", "check the path") from None


def _unreadable(app: AppContext, path: Path, error: MinicaError) -> dict[str, Any]:
    if not app.json:
        click.echo(f"{path}: UNREADABLE")
        click.echo(f"error: {path}: {error}", err=True)
    return {"file": str(path), "status": "unreadable", **_EMPTY_RESULT, "error": error.what,
            "hint": error.hint or None}


def _print(path: Path, result: VerificationResult) -> None:
    verdict = "VALID" if result.valid else "INVALID"
    click.echo(f"{path}: {verdict}  (intact: {_yn(result.intact)}, signature: {_yn(result.signature_valid)},"
               f" profile: {_yn(result.profile)}, trusted: {_yn(result.trusted)})")
    for check in result.checks:
        click.echo(f"  {check.rule:<22} {_MARK[check.status]:<4}  {check.message}")


def _print_summary(summary: dict[str, int]) -> None:
    if summary["total"] > 1:
        line = f"{summary['valid']} valid, {summary['invalid']} invalid"
        if summary["unreadable"]:
            line += f", {summary['unreadable']} unreadable"
        click.echo(f"{line} ({summary['total']} documents)")


def _yn(flag: bool) -> str:
    return "yes" if flag else "no"
