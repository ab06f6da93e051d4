"""``init``, ``issue``, ``certs`` and ``revoke``."""

from __future__ import annotations

import base64
import datetime as _dt
import json
import sys
from pathlib import Path

import click

from minica.ca import registry
from minica.ca.export import ExportFormat, certificate_bytes, encrypted_key_bytes
from minica.ca.filters import RECORD_STATES, CertificateFilter
from minica.ca.hierarchy import DEFAULT_BASE_URL, create_authority, load_authority
from minica.ca.issuance import IssueRequest, issue_certificate
from minica.ca.status import days_left
from minica.cli.context import (
    AppContext,
    at_option,
    ca_password,
    ca_password_option,
    json_option,
    pass_app,
    password_file_option,
    store_password,
)
from minica.cli.filter_options import filter_options
from minica.clock import colombian, parse_time
from minica.environment import Environment, parse_environments
from minica.errors import InvalidInput
from minica.identity import Nit, PersonType
from minica.storage.files import atomic_write
from minica.storage.keystore import P12Profile
from minica.storage.passwords import require_strong_password


@click.command()
@click.option("--base-url", default=DEFAULT_BASE_URL, show_default=True,
              help="Where 'minica serve' will answer; written into CRL and OCSP URLs.")
@ca_password_option
@json_option
@pass_app
def init(app: AppContext, base_url: str, ca_password_file: Path | None) -> None:
    """Create the root CA and the issuing CA in the home."""
    password = ca_password(ca_password_file)
    authority = create_authority(app.home, now=app.clock.now(), ca_password=password, base_url=base_url)
    data = {
        "home": str(app.home.root),
        "root": authority.root.subject.rfc4514_string(),
        "issuing": authority.issuing.subject.rfc4514_string(),
        "root_cert": str(app.home.root_cert_path),
        "issuing_cert": str(app.home.issuing_cert_path),
        "key_encrypted": authority.key_encrypted,
        "base_url": authority.urls.base,
    }

    def human() -> None:
        click.echo(f"Created a mock CA in {app.home.root}")
        click.echo(f"  root CA     {data['root']}\n              {data['root_cert']}")
        click.echo(f"  issuing CA  {data['issuing']}\n              {data['issuing_cert']}")
        if authority.key_encrypted:
            click.echo("  CA keys are encrypted with the CA password.")
        else:
            click.echo("  CA keys are NOT encrypted (mode 0600); set $MINICA_CA_PASSWORD or"
                       " --ca-password-file at init to encrypt them.")

    app.emit(data, human)


@click.command()
@click.option("--nit", required=True, help="NIT (or cédula), with or without -DV.")
@click.option("--name", required=True, help="Razón social (or the person's name).")
@click.option("--person", type=click.Choice(["juridica", "natural"]), default="juridica", show_default=True)
@click.option("--profile", "profile_key", type=click.Choice(["gse", "andes", "certicamara"]),
              default="gse", show_default=True, help="Which real CA's layout to mimic.")
@click.option("--email", help="E-mail of the person responsible for the certificate.")
@click.option("--legal-rep", "legal_rep", help="Legal representative's full name.")
@click.option("--legal-rep-doc", "legal_rep_doc", help="Legal representative's document, e.g. 'CC 79123456'.")
@click.option("--department", help="Departamento of the main branch.")
@click.option("--city", help="Ciudad of the main branch.")
@click.option("--days", type=int, help="Validity in days instead of one year.")
@click.option("--not-before", "not_before", metavar="TIME", help="Explicit start of validity.")
@click.option("--not-after", "not_after", metavar="TIME", help="Explicit end of validity.")
@click.option("--env", "env", default="both", show_default=True,
              help="habilitacion, produccion or both (the real process stores both).")
@click.option("--p12-profile", "p12_profile", type=click.Choice(["compat", "modern", "legacy"]),
              default="compat", show_default=True, help="PKCS#12 encryption (see README).")
@click.option("--key-usage", "key_usage", type=click.Choice(["signing", "encipherment"]), default="signing",
              show_default=True, help="'encipherment' makes a certificate that must not sign (for tests).")
@password_file_option
@ca_password_option
@at_option
@json_option
@pass_app
def issue(
    app: AppContext, nit: str, name: str, person: str, profile_key: str, email: str | None,
    legal_rep: str | None, legal_rep_doc: str | None, department: str | None, city: str | None,
    days: int | None, not_before: str | None, not_after: str | None, env: str, p12_profile: str,
    key_usage: str, password_file: Path | None, ca_password_file: Path | None,
) -> None:
    """Issue a signing certificate into the environments' keystores."""
    request = IssueRequest(
        nit=Nit.parse(nit), name=name, person=PersonType.parse(person), profile=profile_key,
        email=email, legal_representative=legal_rep, legal_representative_document=legal_rep_doc,
        department=department, city=city, environments=parse_environments(env), days=days,
        not_before=parse_time(not_before) if not_before else None,
        not_after=parse_time(not_after) if not_after else None,
        p12_profile=P12Profile.parse(p12_profile), key_usage=key_usage,
    )
    load_authority(app.home)  # a missing CA is the first thing to say, before any prompt
    password = require_strong_password(store_password(password_file, confirm=True))
    issued = issue_certificate(
        app.home, request, store_password=password, clock=app.clock,
        ca_password=ca_password(ca_password_file),
    )
    record = registry.get_certificate(app.home, issued.serial_hex)

    def human() -> None:
        click.echo(f"Issued certificate {record.serial}")
        _print_record(record, app.clock.now())

    app.emit(record.to_json(), human)


def _days(record: registry.CertificateRecord, now: _dt.datetime) -> str:
    """The same day count as ``check``: calendar days in Colombia."""
    left = days_left(record.certificate, now)
    if now > record.not_after:
        return "expired today" if left == 0 else f"expired {-left} day{'s' if left != -1 else ''} ago"
    return "expires today" if left == 0 else f"{left} day{'s' if left != 1 else ''} left"


def _print_record(record: registry.CertificateRecord, now: _dt.datetime) -> None:
    state = record.state(now)
    click.echo(f"  subject   {record.subject}")
    click.echo(f"  NIT       {record.nit_with_dv}   profile {record.profile}   {record.person}")
    click.echo(f"  valid     {colombian(record.not_before).isoformat()} → {colombian(record.not_after).isoformat()}"
               f" ({_days(record, now)})")
    click.echo(f"  status    {state}" + (f" ({record.revocation_reason})" if record.revoked_by(now) else ""))
    click.echo(f"  sha256    {record.fingerprint}")
    for env, path in sorted(record.stores.items()):
        click.echo(f"  {env.value:<13} {path}")


@click.group()
def certs() -> None:
    """What this CA issued."""


@certs.command("list")
@filter_options(RECORD_STATES)
@at_option
@json_option
@pass_app
def certs_list(app: AppContext, only: CertificateFilter) -> None:
    """List issued certificates with their status (valid, expired, not_yet_valid, revoked)."""
    now = app.clock.now()
    every = registry.list_certificates(app.home)
    records = [r for r in every if only.keeps_record(r, now)]

    def human() -> None:
        if not every:
            click.echo("No certificates yet: 'minica issue --nit … --name …'")
        elif not records:
            click.echo(f"None of the {len(every)} certificates matches the filters.")
        for r in records:
            envs = ",".join(sorted(e.value for e in r.stores))
            click.echo(f"{r.serial:<40} {r.nit_with_dv:<13} {r.state(now):<13} {colombian(r.not_after).date()}"
                       f"  {envs}  {r.name}")

    app.emit([{**r.to_json(), "status": r.state(now)} for r in records], human)


@certs.command("show")
@click.argument("serial")
@at_option
@json_option
@pass_app
def certs_show(app: AppContext, serial: str) -> None:
    """Show one certificate."""
    record = registry.get_certificate(app.home, serial)
    app.emit({**record.to_json(), "status": record.state(app.clock.now())},
             lambda: _print_record(record, app.clock.now()))


@certs.command("export")
@click.argument("serial")
@click.option("--chain", is_flag=True, help="The certificate, then the issuing CA's and the root's.")
@click.option("--key", "with_key", is_flag=True,
              help="The private key instead (from its keystore, encrypted with the keystore password; needs -o).")
@click.option("--format", "fmt", type=click.Choice(["pem", "der"]), default="pem", show_default=True,
              help="DER writes a chain as PKCS#7 (.p7b).")
@click.option("--env", "env", help="With --key: the keystore of this environment (default: the first).")
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path),
              help="Write to FILE (a new file; a key 0600) instead of standard output.")
@password_file_option
@json_option
@pass_app
def certs_export(app: AppContext, serial: str, chain: bool, with_key: bool, fmt: str, env: str | None,
                 output: Path | None, password_file: Path | None) -> None:
    """Export a certificate or its chain (PEM or DER); the private key only with --key, encrypted."""
    form = ExportFormat.parse(fmt)
    if with_key:
        if chain:
            raise InvalidInput("--key and --chain export different things", "export them one at a time")
        if output is None:
            raise InvalidInput("a private key is only written to a file", "add -o FILE (it is created 0600)")
        registry.get_certificate(app.home, serial)  # a wrong serial first, before any prompt
        password = store_password(password_file, confirm=False).encode("utf-8")
        record, data = encrypted_key_bytes(app.home, serial, password, fmt=form,
                                           environment=Environment.parse(env) if env else None)
        what = "private key (encrypted with the keystore password)"
    else:
        if env:
            raise InvalidInput("--env chooses the keystore of --key", "leave it out to export a certificate")
        record, data = certificate_bytes(app.home, serial, chain=chain, fmt=form)
        what = "chain (certificate, issuing CA, root)" if chain else "certificate"
    if output is not None:
        try:
            atomic_write(output, data, mode=0o600 if with_key else 0o644, exclusive=True)
        except FileExistsError:
            raise InvalidInput(f"{output} already exists", "choose a new file; minica overwrites nothing") from None
        app.emit({"serial": record.serial, "what": "key" if with_key else "chain" if chain else "certificate",
                  "format": form.value, "file": str(output)},
                 lambda: click.echo(f"Wrote the {what} of {record.serial} ({form.value.upper()}) to {output}"))
        return
    if form is ExportFormat.DER and sys.stdout.isatty():
        raise InvalidInput("DER is binary and standard output is a terminal", "add -o FILE, or --format pem")
    if app.json:
        content = {"pem": data.decode("ascii")} if form is ExportFormat.PEM else {
            "der_base64": base64.b64encode(data).decode("ascii")}
        click.echo(json.dumps({"serial": record.serial, "what": "chain" if chain else "certificate",
                               "format": form.value, **content}, indent=2))
        return
    sys.stdout.flush()
    sys.stdout.buffer.write(data)
    sys.stdout.buffer.flush()


@click.command()
@click.argument("serial")
@click.option("--reason", default="unspecified", show_default=True,
              help="RFC 5280 reason: keyCompromise, superseded, cessationOfOperation, …")
@at_option
@json_option
@pass_app
def revoke(app: AppContext, serial: str, reason: str) -> None:
    """Revoke a certificate (recorded with the current time)."""
    record = registry.revoke(app.home, serial, registry.RevocationReason.parse(reason), now=app.clock.now())
    app.emit(record.to_json(), lambda: click.echo(
        f"Revoked {record.serial} ({record.revocation_reason}) at {record.revoked_at}"))
