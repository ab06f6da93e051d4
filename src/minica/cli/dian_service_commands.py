"""``minica dian register | software | documents | testset``: the local DIAN's registrations and what it
received (the web service itself runs in ``minica serve``)."""

from __future__ import annotations

from pathlib import Path

import click

from minica.cli.context import DIAN_PIN_ENV, AppContext, json_option, pass_app, password_from
from minica.environment import Environment
from minica.identity import Nit

PIN_ENV = DIAN_PIN_ENV


@click.command()
@click.option("--nit", required=True, help="The company's NIT (with or without -DV).")
@click.option("--provider-nit", help="NIT of the software provider that may also send its documents.")
@click.option("--pin-file", type=click.Path(dir_okay=False, path_type=Path),
              help=f"File holding the software PIN (else ${PIN_ENV}, else a prompt).")
@click.option("--name", default="", help="The software's name.")
@click.option("--env", "env", default="habilitacion", show_default=True, help="habilitacion or produccion.")
@click.option("--prefix", default="SETP", show_default=True, help="Numbering range prefix.")
@click.option("--from-number", type=int, default=990000000, show_default=True)
@click.option("--to-number", type=int, default=995000000, show_default=True)
@click.option("--test-set-quota", default="30/10/10", show_default=True,
              help="Accepted invoices/credit notes/debit notes that accept the test set.")
@json_option
@pass_app
def register(app: AppContext, nit: str, provider_nit: str | None, pin_file: Path | None, name: str, env: str,
             prefix: str, from_number: int, to_number: int, test_set_quota: str) -> None:
    """Register invoicing software: software ID, TestSetId, numbering range and technical key."""
    from minica.dian.registration import RegistrationRequest, TestSetQuota, register_software

    company, provider = Nit.parse(nit), Nit.parse(provider_nit) if provider_nit else None
    environment, quota = Environment.parse(env), TestSetQuota.parse(test_set_quota)  # bad input before the prompt
    pin = password_from(pin_file, PIN_ENV, what="software PIN", confirm=True, file_option="--pin-file")
    assert pin is not None
    registration = register_software(app.home, app.clock, RegistrationRequest(
        nit=company, provider_nit=provider, name=name, environment=environment, prefix=prefix.upper(),
        from_number=from_number, to_number=to_number, quota=quota, pin=pin,
    ))
    data = registration.to_json()

    def human() -> None:
        numbering = registration.numbering
        click.echo(f"Registered software for NIT {registration.nit_with_dv} ({registration.environment.label})")
        click.echo(f"  software ID     {registration.software_id}")
        click.echo(f"  TestSetId       {registration.test_set_id}")
        click.echo(f"  provider NIT    {registration.provider_nit}")
        click.echo(f"  numbering       {numbering.prefix} {numbering.from_number}–{numbering.to_number},"
                   f" resolución {numbering.resolution_number} del {numbering.resolution_date}"
                   f" (vigente {numbering.valid_from} a {numbering.valid_to})")
        click.echo(f"  technical key   {numbering.technical_key}")
        click.echo(f"  test set        {quota.invoices} invoices, {quota.credit_notes} credit notes,"
                   f" {quota.debit_notes} debit notes")

    app.emit(data, human)


@click.command()
@click.option("--env", "env", help="Only habilitacion or produccion.")
@click.option("--test-set-id", help="Only the documents sent to this test set.")
@click.option("--limit", type=click.IntRange(1, 100_000), default=100, show_default=True)
@json_option
@pass_app
def documents(app: AppContext, env: str | None, test_set_id: str | None, limit: int) -> None:
    """What the local DIAN received (minica serve): documents, status codes and rules, newest first."""
    from minica.dian.store import received_documents

    found = received_documents(app.home, environment=Environment.parse(env) if env else None,
                               test_set_id=test_set_id, limit=limit)

    def human() -> None:
        if not found:
            click.echo("The local DIAN has received no documents yet.")
        for document in found:
            click.echo(f"{document.received_at}  {document.environment:<12} {document.status_code}  "
                       f"{document.kind or '?':<12} {document.number or document.file_name}  "
                       f"{(document.document_key or '')[:16]}…")
            for rule in document.rules:
                click.echo(f"    {rule.text}")

    app.emit({"documents": [d.to_json() for d in found]}, human)


@click.group()
def testset() -> None:
    """The habilitación test set: counters and state."""


@testset.command("status")
@click.option("--nit", help="The company's NIT (its latest registered software).")
@click.option("--test-set-id", help="The TestSetId.")
@json_option
@pass_app
def testset_status(app: AppContext, nit: str | None, test_set_id: str | None) -> None:
    """Accepted and rejected invoices, credit and debit notes against the quota, and the set's state."""
    from minica.dian.testset import test_set_report

    status = test_set_report(app.home, nit=nit, test_set_id=test_set_id)

    def human() -> None:
        click.echo(f"Test set {status.test_set_id} of NIT {status.nit}: {status.status}")
        for kind, label in (("invoices", "invoices"), ("credit_notes", "credit notes"),
                            ("debit_notes", "debit notes")):
            click.echo(f"  {label:<13} accepted {status.accepted[kind]:>3} / {status.required[kind]:<3}"
                       f" rejected {status.rejected[kind]}")
        if status.decided_at:
            click.echo(f"  decided at {status.decided_at}")

    app.emit(status.to_json(), human)
