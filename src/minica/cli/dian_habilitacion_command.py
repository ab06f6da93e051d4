"""``minica dian habilitacion``: DIAN's habilitación test set in one command (see
:mod:`minica.dian.habilitacion`)."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import click

from minica.cli.context import (
    AppContext,
    at_option,
    ca_password,
    ca_password_option,
    json_option,
    pass_app,
    password_file_option,
    password_from,
    store_password,
)
from minica.cli.dian_client_commands import fail_after_output, polling_options, timeout_option
from minica.cli.dian_service_commands import PIN_ENV
from minica.dian.habilitacion import HabilitacionReport, HabilitacionRequest, run_habilitacion
from minica.dian.habilitacion_documents import BreakKind
from minica.dian.habilitacion_journal import KINDS, QUOTA_KEYS
from minica.dian.registration import TestSetQuota
from minica.dian.sending import Polling
from minica.identity import Nit

_LABELS = {"invoice": "invoices", "creditnote": "credit notes", "debitnote": "debit notes"}


class _Bar:
    """A progress bar on standard error, drawn only on a terminal."""

    def __init__(self, shown: bool) -> None:
        self.shown = shown
        self.bar: Any = None

    def stage(self, label: str, total: int) -> None:
        self.done()
        self.bar = click.progressbar(length=total, label=label, file=sys.stderr, hidden=not self.shown)
        self.bar.__enter__()

    def advance(self, count: int = 1) -> None:
        if self.bar is not None:
            self.bar.update(count)

    def done(self) -> None:
        if self.bar is not None:
            self.bar.__exit__(None, None, None)
            self.bar = None


@click.command("habilitacion")
@click.option("--nit", help="The company (default: the only one registered, or with a certificate).")
@click.option("--pin-file", type=click.Path(dir_okay=False, path_type=Path),
              help=f"File holding the software PIN, to register the software (else ${PIN_ENV}, else a prompt).")
@click.option("--provider-nit", help="When registering: the software provider's NIT.")
@click.option("--test-set-quota", default="30/10/10", show_default=True,
              help="When registering: accepted invoices/credit notes/debit notes that accept the set.")
@click.option("--register", is_flag=True, help="Register the software again: a new test set (after a rejected one).")
@click.option("--break", "breaks", multiple=True, metavar="KIND",
              help="Break documents on purpose to see DIAN's rejections: cufe, amount, expired-certificate or "
                   "environment (repeatable). The set is rejected, as DIAN would.")
@click.option("--url", help="DIAN's habilitación endpoint (default: the local DIAN of this home, minica serve).")
@click.option("--batch-size", type=click.IntRange(1, 50), default=10, show_default=True,
              help="Documents per ZIP sent with SendTestSetAsync.")
@timeout_option
@click.option("--out-dir", type=click.Path(file_okay=False, path_type=Path),
              help="The run's folder (default: HOME/habilitacion/TESTSETID).")
@polling_options(wait=300.0)
@password_file_option
@ca_password_option
@at_option
@json_option
@pass_app
def habilitacion(app: AppContext, nit: str | None, pin_file: Path | None, provider_nit: str | None,
                 test_set_quota: str, register: bool, breaks: tuple[str, ...], url: str | None, batch_size: int,
                 timeout: float, out_dir: Path | None, wait: float, poll_interval: float,
                 password_file: Path | None, ca_password_file: Path | None) -> None:
    """Run DIAN's habilitación test set: register, generate, sign, send, follow to the verdict.

    Registers the company's software when it has none, generates the documents the set's quota
    needs (invoices in the SETP range, credit and debit notes citing them), signs each with the
    company's certificate from the habilitación store, sends them with SendTestSetAsync in batches
    and polls GetStatusZip (--wait, --poll-interval), printing each document's answer and the set's
    state. Run it again after an interruption: it resumes, and never sends twice what DIAN took.
    Exit status 0 when the set is accepted, 1 otherwise (and always with --break).
    """
    chosen_breaks = tuple(BreakKind.parse(b) for b in breaks)
    company = Nit.parse(nit) if nit else None
    provider = Nit.parse(provider_nit) if provider_nit else None
    quota = TestSetQuota.parse(test_set_quota)
    password = store_password(password_file, confirm=False).encode("utf-8")

    def pin() -> str:
        value = password_from(pin_file, PIN_ENV, what="software PIN", confirm=True, file_option="--pin-file")
        assert value is not None
        return value

    request = HabilitacionRequest(
        password=password, nit=company, pin=pin, provider_nit=provider, quota=quota, register=register, url=url,
        breaks=chosen_breaks, batch_size=batch_size, timeout=timeout,
        polling=Polling(interval=poll_interval, wait=wait), out_dir=out_dir, ca_password=ca_password(ca_password_file),
    )
    report = run_habilitacion(app.home, app.clock, request, _Bar(sys.stderr.isatty() and not app.json))
    app.emit(report.to_json(), lambda: _print(report))
    if report.error is not None:
        fail_after_output(str(report.error))
    if not report.ok:
        click.get_current_context().exit(1)


def _print(report: HabilitacionReport) -> None:
    registration = report.registration
    how = "registered now" if report.registered else "registered"
    click.echo(f"Software {registration.software_id} of NIT {registration.nit_with_dv} ({how}),"
               f" test set {registration.test_set_id}")
    click.echo(f"  documents in {report.folder}; DIAN at {report.url}")
    for entry in report.journal.entries:
        mark = f"  [--break {entry.broken}]" if entry.broken else ""
        verdict = entry.state if entry.state != "sent" else "sent, no answer yet"
        click.echo(f"{entry.number:<16}{entry.kind:<11} {entry.status_code or '--'}  {verdict}{mark}")
        for rule in entry.rules:
            click.echo(f"    Regla: {rule['rule']}, {rule['kind']}: {rule['message']}")
    accepted, rejected, required = report.count("accepted"), report.count("rejected"), report.journal.quota
    counts = ", ".join(f"{_LABELS[k]} {accepted[k]}/{required[QUOTA_KEYS[k]]}" for k in KINDS)
    click.echo(f"Test set {registration.test_set_id}: {report.state} — accepted {counts};"
               f" rejected {sum(rejected.values())}")
    if report.dian_status is not None:
        dian = report.dian_status
        click.echo(f"  the local DIAN's record: {dian.status}, accepted {sum(dian.accepted.values())},"
                   f" rejected {sum(dian.rejected.values())}")
    for zip_key in report.pending:
        click.echo(f"  batch {zip_key} is still being validated: run the same command again to follow it")
    if report.state == "rechazado" and not report.breaks:
        click.echo("  a rejected test set stays rejected: start a new one with --register")
