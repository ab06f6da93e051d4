"""``minica request …``: the certificate request process (see ``minica.ca.requests``).

Passwords never come from a plain argument: the keystore password from ``--password-file``,
``$MINICA_STORE_PASSWORD`` or a confirmed prompt; platform passwords from ``--password-file`` /
``--new-password-file``, ``$MINICA_PLATFORM_PASSWORD`` / ``$MINICA_PLATFORM_NEW_PASSWORD`` or a
prompt. SMTP delivery: ``minica request smtp --host H --port P`` or ``$MINICA_SMTP=host:port``.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import click

from minica.ca.hierarchy import require_ca
from minica.ca.requests import form as request_form
from minica.ca.requests import outbox, process, records, vendor
from minica.ca.requests.steps import StepReport
from minica.cli.context import (
    AppContext,
    ca_password,
    ca_password_option,
    json_option,
    pass_app,
    password_file_option,
    password_from,
    store_password,
)
from minica.errors import InvalidInput
from minica.storage.database import Database

PLATFORM_PASSWORD_ENV = "MINICA_PLATFORM_PASSWORD"
PLATFORM_NEW_PASSWORD_ENV = "MINICA_PLATFORM_NEW_PASSWORD"


@click.group("request")
def request() -> None:
    """The certificate request process: form, CA platform, review, e-mails, vendor loans."""


def _form_options(func: Any) -> Any:
    for key in reversed(request_form.FIELDS):
        func = click.option(f"--{key.replace('_', '-')}", key, help=request_form.LABELS[key].capitalize() + ".")(func)
    return func


def _warn(report: StepReport) -> None:
    for problem in report.delivery_problems:
        click.echo(f"warning: e-mail not delivered: {problem}", err=True)


@request.command("new")
@_form_options
@click.option("--from-file", type=click.Path(dir_okay=False, exists=True, path_type=Path),
              help="request.json with the form's keys (options given too win).")
@click.option("--vendor", "vendor_channel", is_flag=True,
              help="File through a vendor: pay or use the vendor's loaned certificate.")
@password_file_option
@ca_password_option
@json_option
@pass_app
def new(app: AppContext, from_file: Path | None, vendor_channel: bool, password_file: Path | None,
        ca_password_file: Path | None, **fields: str | None) -> None:  # fmt: skip
    """File a certificate request (DIAN's form); prints its radicado."""
    data: dict[str, Any] = {}
    if from_file is not None:
        try:
            loaded = json.loads(from_file.read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            raise InvalidInput(f"cannot read {from_file}: {exc}", "give a JSON object with the form's keys") from None
        if not isinstance(loaded, dict):
            raise InvalidInput(f"{from_file} is not a JSON object", "write {\"razon_social\": ..., ...}")
        if {"password", "password_confirmation"} & set(loaded):
            raise InvalidInput(f"{from_file} holds a keystore password",
                               "give it with --password-file or $MINICA_STORE_PASSWORD, never in the form's file")
        request_form.check_known_keys(loaded)  # a misspelt key: one short problem, before the rest
        data.update(loaded)
    data.update({k: v for k, v in fields.items() if v is not None})
    optional = set(request_form.REPRESENTATIVE_FIELDS) | {"autoridad_certificacion"} if vendor_channel else set()
    if not from_file and sys.stdin.isatty():
        for key in request_form.FIELDS:
            if key not in data and key not in optional:
                data[key] = click.prompt(request_form.LABELS[key].capitalize())
    # Check the whole form (and the password) before asking anything else: every problem at once.
    password = store_password(password_file, confirm=True)
    parsed = request_form.validate_form(
        data, password, password, require_password=True, require_representative=not vendor_channel
    )
    report = StepReport()
    filed = process.file_request(
        app.home, app.clock, parsed, password, channel="vendor" if vendor_channel else "dian",
        ca_password=ca_password(ca_password_file), report=report,
    )  # fmt: skip
    _warn(report)
    app.emit(
        {"radicado": filed.radicado, "status": filed.status.value, "platform_user": filed.platform_user},
        lambda: click.echo(
            f"radicado: {filed.radicado}\nstatus: {filed.status.value}\n"
            + ("the CA's welcome e-mail is in the outbox (`minica request outbox`)"
               if filed.status.value == "radicada" else
               "pay (`minica request pay`) or use the vendor's loaned certificate (`minica request loan start`)")
        ),
    )  # fmt: skip


@request.command("show")
@click.argument("radicado")
@json_option
@pass_app
def show(app: AppContext, radicado: str) -> None:
    """A request: status, sections and progress, documents, history with times, e-mails."""
    require_ca(app.home)  # a home without a CA has no requests: say so, and create nothing
    _record, view = process.load(app.home, app.clock, radicado)
    app.emit(view, lambda: _print_view(view))


def _print_view(view: dict[str, Any]) -> None:
    form = view["form"]
    click.echo(f"radicado:  {view['radicado']}")
    click.echo(f"status:    {view['status']}{' (locked)' if view['locked'] else ''}")
    click.echo(f"company:   {form['razon_social']} (NIT {form['nit']}), {form['ciudad']}, {form['departamento']}")
    click.echo(f"user:      {view['platform_user']}")
    click.echo(f"progress:  {view['progress']['bar']}")
    for section in view["sections"]:
        click.echo(f"  [{'x' if section['done'] else ' '}] {section['name']}"
                   + (f"  (saved {section['saved_at']})" if section["done"] else ""))  # fmt: skip
    for doc in view["documents"]:
        click.echo(f"  document {doc['kind']}: {doc['filename']} {doc['size']} bytes sha256 {doc['sha256']}")
    if view.get("serial"):
        click.echo(f"certificate serial: {view['serial']}")
    if "rejection" in view:
        rej = view["rejection"]
        click.echo(f"rejected:  {rej['rejected_at']}: {rej['reason']} (expires {rej['expires_at']})")
    if "vendor" in view:
        ven = view["vendor"]
        click.echo(f"vendor:    price {ven['price_cop']} COP, validity {ven['validity']}"
                   + (", paid" if ven["payment"] else ""))  # fmt: skip
        if ven["loan"]:
            loan = ven["loan"]
            click.echo(f"loan:      certificate {loan['serial']}, {loan['days']} days, {loan['start']} → {loan['end']}")
    click.echo("history:")
    for event in view["history"]:
        click.echo(f"  {event['at']}  {event['event']}")


@request.command("list")
@json_option
@pass_app
def list_(app: AppContext) -> None:
    """Every request, in filing order."""
    require_ca(app.home)
    rows = process.list_requests(app.home, app.clock)

    def human() -> None:
        if not rows:
            click.echo("no requests yet (file one with `minica request new`)")
        for row in rows:
            click.echo(f"{row['radicado']}  {row['status']:<24} {row['progress']}  {row['nit']}  {row['razon_social']}")

    app.emit(rows, human)


@request.command("login")
@click.argument("radicado")
@click.option("--user", required=True, help="The platform user of the welcome e-mail.")
@click.option("--password-file", type=click.Path(dir_okay=False, path_type=Path),
              help=f"File with the current (temporary) password (else ${PLATFORM_PASSWORD_ENV}, else a prompt).")
@click.option("--new-password-file", type=click.Path(dir_okay=False, path_type=Path),
              help=f"File with the new password (else ${PLATFORM_NEW_PASSWORD_ENV}, else a prompt).")
@pass_app
def login(
    app: AppContext, radicado: str, user: str, password_file: Path | None, new_password_file: Path | None
) -> None:
    """Sign in to the CA's platform; the first sign-in changes the temporary password."""
    current = password_from(password_file, PLATFORM_PASSWORD_ENV, what="platform password", confirm=False)
    new_password = password_from(new_password_file, PLATFORM_NEW_PASSWORD_ENV, what="new platform password",
                                 confirm=True, required=False)  # fmt: skip
    assert current is not None
    changed = process.login(app.home, app.clock, radicado, user, current, new_password)
    click.echo("signed in" + (", password changed" if changed else ""))


@request.command("section")
@click.argument("radicado")
@click.argument("name")
@click.option("--set", "assignments", multiple=True, metavar="FIELD=VALUE", help="Change a field of the section.")
@pass_app
def section(app: AppContext, radicado: str, name: str, assignments: tuple[str, ...]) -> None:
    """Save ("Guardar sección") a section: solicitante, empresa, representante, documentos."""
    changes: dict[str, str] = {}
    for item in assignments:
        key, sep, value = item.partition("=")
        if not sep:
            raise InvalidInput(f"'{item}' is not FIELD=VALUE", "e.g. --set email=facturas@empresa.com.co")
        changes[key] = value
    pending = process.save_section(app.home, app.clock, radicado, name, changes)
    click.echo(f"section {name} saved" + (f"; pending: {', '.join(pending)}" if pending else "; every section saved"))


@request.command("attach")
@click.argument("radicado")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--kind", required=True, help="rut, camara_comercio, documento_identidad or otro.")
@pass_app
def attach(app: AppContext, radicado: str, file: Path, kind: str) -> None:
    """Upload a document (a real PDF of at most 1 MB)."""
    doc = process.attach(app.home, app.clock, radicado, kind, file)
    click.echo(f"{doc.kind}: {doc.filename} ({doc.size} bytes) sha256 {doc.sha256}")


@request.command("finalize")
@click.argument("radicado")
@pass_app
def finalize(app: AppContext, radicado: str) -> None:
    """Finalizar: lock the form and send it to review."""
    process.finalize(app.home, app.clock, radicado)
    click.echo("finalized: the request is complete and under review")


@request.command("approve")
@click.argument("radicado")
@ca_password_option
@json_option
@pass_app
def approve(app: AppContext, radicado: str, ca_password_file: Path | None) -> None:
    """Approve: issue the certificate into both environments' stores."""
    issued = process.approve(app.home, app.clock, radicado, ca_password=ca_password(ca_password_file))
    stores = {env.value: str(path) for env, path in issued.store_paths.items()}
    app.emit({"radicado": radicado, "serial": issued.serial_hex, "stores": stores},
             lambda: click.echo(f"approved: certificate {issued.serial_hex}\n"
                                + "\n".join(f"  {env}: {path}" for env, path in stores.items())))  # fmt: skip


@request.command("reject")
@click.argument("radicado")
@click.option("--reason", required=True, help="What the requester must correct.")
@pass_app
def reject(app: AppContext, radicado: str, reason: str) -> None:
    """Reject the documents: the form reopens and the reminders start."""
    process.reject(app.home, app.clock, radicado, reason)
    click.echo("rejected: the requester was told what to correct")


@request.command("identity-failed")
@click.argument("radicado")
@click.option("--detail", default="", help="A note for the history.")
@pass_app
def identity_failed(app: AppContext, radicado: str, detail: str) -> None:
    """Identity validation failed: the request ends."""
    process.identity_failed(app.home, app.clock, radicado, detail)
    click.echo("identity validation failed: the request ended")


@request.command("tick")
@json_option
@pass_app
def tick(app: AppContext) -> None:
    """Apply every reminder, expiry and loan end due by now."""
    report = process.tick(app.home, app.clock)
    _warn(report)
    app.emit({"applied": report.caught_up},
             lambda: click.echo("\n".join(report.caught_up) if report.caught_up else "nothing due"))  # fmt: skip


@request.command("outbox")
@click.argument("radicado", required=False)
@click.option("--show", "show_id", metavar="ID", help="Print one e-mail: its headers and decoded text.")
@json_option
@pass_app
def outbox_(app: AppContext, radicado: str | None, show_id: str | None) -> None:
    """The e-mails sent (one .eml file each in <home>/outbox/); --show ID prints one."""
    require_ca(app.home)
    if show_id is not None:
        _show_message(app, show_id)
        return
    with Database.open(app.home) as db:
        entries = outbox.entries(db.connection, app.home, records.parse_radicado(radicado) if radicado else None)
    rows = [e.to_json() for e in entries]

    def human() -> None:
        if not rows:
            click.echo("the outbox is empty")
        for row in rows:
            click.echo(f"{row['id']:>4}  {row['at']}  {row['kind']:<20} {row['to']:<28} {row['subject']}\n"
                       f"      {row['file']}")
        if rows:
            click.echo("read one with `minica request outbox --show ID`")

    app.emit(rows, human)


def _show_message(app: AppContext, number: str) -> None:
    entry, data = outbox.stored_message(app.home, number.strip(), "list them with `minica request outbox`")
    shown = outbox.message_json(entry, data)

    def human() -> None:
        for label, value in (("From", shown["from"]), ("To", entry.recipient), ("Date", shown["at"]),
                             ("Subject", entry.subject)):
            click.echo(f"{label + ':':<9}{value}")
        click.echo("")
        click.echo(shown["text"].rstrip("\n"))

    app.emit(shown, human)


@request.command("smtp")
@click.option("--host", help="SMTP server host (e.g. 127.0.0.1).")
@click.option("--port", type=int, help="SMTP server port (e.g. 1025).")
@click.option("--off", is_flag=True, help="Stop delivering over SMTP (the outbox folder stays).")
@pass_app
def smtp(app: AppContext, host: str | None, port: int | None, off: bool) -> None:
    """Deliver the notices to an SMTP server too (plain SMTP, as mock servers speak it)."""
    with Database.open(app.home) as db:
        if off:
            outbox.configure_smtp(db, None)
            click.echo("SMTP delivery off")
            return
        if not host or not port:
            current = outbox.smtp_settings(db.connection)
            click.echo(f"SMTP: {current.host}:{current.port}" if current else "SMTP delivery off")
            return
        outbox.configure_smtp(db, outbox.SmtpSettings(host, port))
    click.echo(f"notices will also be delivered to {host}:{port}")


@request.command("pay")
@click.argument("radicado")
@click.option("--reference", required=True, help="The payment's reference (receipt number).")
@click.option("--amount", type=int, help="Amount paid in COP (default: the price).")
@click.option("--representante-nombres")
@click.option("--representante-apellidos")
@click.option("--representante-tipo-documento")
@click.option("--representante-numero-documento")
@click.option("--autoridad-certificacion", help="gse, andes or certicamara.")
@pass_app
def pay(app: AppContext, radicado: str, reference: str, amount: int | None, **completion: str | None) -> None:
    """Vendor variant: record the payment of a one-year certificate."""
    vendor.pay(app.home, app.clock, radicado, reference, amount, {k: v for k, v in completion.items() if v})
    click.echo("payment recorded: the request goes on at the CA (welcome e-mail sent)")


@request.group("loan")
def loan() -> None:
    """Vendor variant: the vendor's loaned certificate."""


@loan.command("start")
@click.argument("radicado")
@click.option("--representante-nombres")
@click.option("--representante-apellidos")
@click.option("--representante-tipo-documento")
@click.option("--representante-numero-documento")
@pass_app
def loan_start(app: AppContext, radicado: str, **representative: str | None) -> None:
    """Use the vendor's certificate; the legal representative's data must be complete."""
    vendor.start_loan(app.home, app.clock, radicado, {k: v for k, v in representative.items() if v})
    click.echo("loan requested: download the exoneration letter (`minica request loan letter`)")


@loan.command("letter")
@click.argument("radicado")
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path), required=True)
@pass_app
def loan_letter(app: AppContext, radicado: str, output: Path) -> None:
    """Download the exoneration letter (PDF) to sign."""
    data = vendor.exoneration_letter(app.home, app.clock, radicado)
    output.write_bytes(data)
    click.echo(f"exoneration letter written to {output}: sign it and upload it (`minica request loan upload`)")


@loan.command("upload")
@click.argument("radicado")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@pass_app
def loan_upload(app: AppContext, radicado: str, file: Path) -> None:
    """Upload the signed letter (PDF, at most 1 MB); the first upload starts the loan."""
    start, end = vendor.upload_letter(app.home, app.clock, radicado, file)
    click.echo(f"loan active from {start.isoformat()} to {end.isoformat()}")


@loan.command("certificate")
@click.option("--nit", default=vendor.DEFAULT_VENDOR_NIT, show_default=True)
@click.option("--name", default=vendor.DEFAULT_VENDOR_NAME, show_default=True)
@password_file_option
@ca_password_option
@pass_app
def loan_certificate(
    app: AppContext, nit: str, name: str, password_file: Path | None, ca_password_file: Path | None
) -> None:
    """Issue the vendor's certificate that companies borrow (once per home)."""
    password = store_password(password_file, confirm=True)
    from minica.storage.passwords import require_strong_password

    issued = vendor.issue_vendor_certificate(
        app.home, app.clock, store_password=require_strong_password(password), nit=nit, name=name,
        ca_password=ca_password(ca_password_file),
    )  # fmt: skip
    click.echo(f"vendor certificate {issued.serial_hex} issued")


@loan.command("settings")
@click.option("--days", type=int, help=f"Loan period in days (default {vendor.DEFAULT_LOAN_DAYS}).")
@click.option("--price", type=int,
              help=f"Price of a one-year certificate in COP (default {vendor.DEFAULT_PRICE_COP}).")
@pass_app
def loan_settings(app: AppContext, days: int | None, price: int | None) -> None:
    """Show or change the loan period and the price."""
    current = vendor.configure(app.home, loan_days=days, price_cop=price)
    click.echo(f"loan period {current.loan_days} days; price {current.price_cop} COP;"
               f" vendor certificate {current.serial or '(none yet)'}")
