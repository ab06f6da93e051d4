"""``minica dian generate``: an unsigned invoice, credit note, debit note or nómina for a company.

The company's software registration in this home (``minica dian register``) gives the software ID,
PIN, numbering range and technical key; without one, ``--software-id`` and the range's options
give them, and the PIN comes from ``--pin-file`` or ``$MINICA_DIAN_PIN`` (never an argument).
"""

from __future__ import annotations

import datetime as _dt
from dataclasses import dataclass
from pathlib import Path

import click

from minica.cli.context import AppContext, at_option, json_option, pass_app, password_from
from minica.cli.dian_service_commands import PIN_ENV
from minica.clock import colombian
from minica.dian.amounts import MAX_LINES
from minica.dian.generator import KINDS, document_key_of, generate, parse_kind
from minica.dian.issuer import Issuer, issuer_from_registration
from minica.dian.parties import DEFAULT_CUSTOMER, Party
from minica.dian.references import InvoiceReference
from minica.dian.registration import (
    TEST_FROM,
    TEST_PREFIX,
    TEST_RESOLUTION,
    TEST_TO,
    NumberingRange,
    list_registrations,
    load_registration,
)
from minica.environment import Environment
from minica.errors import InvalidInput
from minica.identity import Nit
from minica.storage.files import atomic_write, read_input


@dataclass(frozen=True)
class _Explicit:
    """The issuer's registration given option by option (with ``--software-id``)."""

    software_id: str
    pin_file: Path | None
    technical_key: str | None
    prefix: str
    range_from: int
    range_to: int
    resolution: str
    resolution_date: str | None
    valid_from: str | None
    valid_to: str | None
    provider_nit: str | None

    def given(self) -> list[str]:
        """The range options set away from their defaults (they need --software-id)."""
        defaults = {"prefix": TEST_PREFIX, "range_from": TEST_FROM, "range_to": TEST_TO,
                    "resolution": TEST_RESOLUTION}
        names = ["pin_file", "technical_key", "resolution_date", "valid_from", "valid_to", "provider_nit"]
        changed = [n for n in names if getattr(self, n) is not None]
        return changed + [n for n, value in defaults.items() if getattr(self, n) != value]


def _date(text: str | None, what: str, default: _dt.date) -> _dt.date:
    if text is None:
        return default
    try:
        return _dt.date.fromisoformat(text.strip())
    except ValueError:
        raise InvalidInput(f"{what} '{text}' is not a date", "write it like 2026-01-01") from None


def _registered(app: AppContext, nit: str | None, env: str | None, name: str | None) -> Issuer:
    environment = Environment.parse(env) if env else None
    if nit is None:
        found = [r for r in list_registrations(app.home) if environment in (None, r.environment)]
        if len(found) != 1:
            raise InvalidInput(f"{len(found) or 'no'} software registrations in this home",
                               "give --nit of a registered company (minica dian register), or --software-id "
                               "with the range's options")
        registration = found[0]
    else:
        registration = load_registration(app.home, nit, environment=environment)
    return issuer_from_registration(registration, Party(registration.nit, name) if name else None)


def _explicit(app: AppContext, nit: str | None, name: str | None, env: str | None, given: _Explicit) -> Issuer:
    if nit is None:
        raise InvalidInput("--software-id needs the company's --nit", "add --nit 900373987-9")
    company = Nit.parse(nit)
    environment = Environment.parse(env or "habilitacion")
    numbering = None
    if given.technical_key is not None:
        today = colombian(app.clock.now()).date()
        valid_from = _date(given.valid_from, "--valid-from", today.replace(month=1, day=1))
        numbering = NumberingRange(
            prefix=given.prefix.upper(), from_number=given.range_from, to_number=given.range_to,
            resolution_number=given.resolution,
            resolution_date=_date(given.resolution_date, "--resolution-date", valid_from), valid_from=valid_from,
            valid_to=_date(given.valid_to, "--valid-to", today.replace(year=today.year + 1, month=12, day=31)),
            technical_key=given.technical_key,
        )
    provider = Nit.parse(given.provider_nit) if given.provider_nit else None
    pin = password_from(given.pin_file, PIN_ENV, what="software PIN", confirm=False, file_option="--pin-file")
    assert pin is not None
    return Issuer(
        company=Party(company.number, name or f"EMPRESA NIT {company.with_dv}"), software_id=given.software_id,
        software_pin=pin, numbering=numbering, environment=environment,
        provider=Party(provider.number, f"PROVEEDOR TECNOLÓGICO NIT {provider.with_dv}") if provider else None,
    )


@click.command("generate")
@click.option("--kind", required=True, type=click.Choice(list(KINDS), case_sensitive=False),
              help="What to generate.")
@click.option("--number", required=True, help="The document number, e.g. SETP990000001 (invoices: in the range).")
@click.option("--nit", help="The issuing company (default: the only registered one).")
@click.option("--name", help="The company's razón social (default: 'EMPRESA NIT …').")
@click.option("--env", "env", help="habilitacion or produccion (default: the registration's).")
@click.option("--lines", type=click.IntRange(1, MAX_LINES), help="Sample lines (default 2 for invoices, 1 for notes).")
@click.option("--references", type=click.Path(dir_okay=False, path_type=Path),
              help="The invoice a credit or debit note corrects (its XML, signed or not).")
@click.option("--concept", help="Correction concept: credit note 1-6 (default 1), debit note 1-4 (default 3).")
@click.option("--customer-nit", help="The buyer's NIT (default: a fictional company).")
@click.option("--customer-name", help="The buyer's name.")
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path),
              help="Where to write it (default: NUMBER.xml here).")
@click.option("--software-id", help="Without a registration: the software ID (with --pin-file, --technical-key …).")
@click.option("--pin-file", type=click.Path(dir_okay=False, path_type=Path),
              help=f"Without a registration: file holding the software PIN (else ${PIN_ENV}).")
@click.option("--technical-key", help="Without a registration: the numbering range's technical key (invoices).")
@click.option("--prefix", default=TEST_PREFIX, show_default=True, help="Without a registration: range prefix.")
@click.option("--range-from", type=int, default=TEST_FROM, show_default=True, help="Without a registration.")
@click.option("--range-to", type=int, default=TEST_TO, show_default=True, help="Without a registration.")
@click.option("--resolution", default=TEST_RESOLUTION, show_default=True, help="Without a registration.")
@click.option("--resolution-date", help="Without a registration (default: --valid-from).")
@click.option("--valid-from", help="Without a registration (default: 1 January of this year).")
@click.option("--valid-to", help="Without a registration (default: 31 December of next year).")
@click.option("--provider-nit", help="Without a registration: the software provider's NIT (default: the company).")
@at_option
@json_option
@pass_app
def generate_command(
    app: AppContext, kind: str, number: str, nit: str | None, name: str | None, env: str | None,
    lines: int | None, references: Path | None, concept: str | None, customer_nit: str | None,
    customer_name: str | None, output: Path | None, software_id: str | None, pin_file: Path | None,
    technical_key: str | None, prefix: str, range_from: int, range_to: int, resolution: str,
    resolution_date: str | None, valid_from: str | None, valid_to: str | None, provider_nit: str | None,
) -> None:
    """Write an unsigned DIAN document: invoice, creditnote, debitnote or nomina.

    It carries the software ID and security code, the numbering range (invoices), the parties with
    NIT and check digit, IVA, totals that add up, the CUFE / CUDE / CUNE and the QR data; a note
    references the invoice given with --references. The issue time is now (or --at).
    """
    chosen = parse_kind(kind)
    by_hand = _Explicit(software_id or "", pin_file, technical_key, prefix, range_from, range_to, resolution,
                        resolution_date, valid_from, valid_to, provider_nit)
    if software_id is None and by_hand.given():
        options = ", ".join("--" + n.replace("_", "-") for n in by_hand.given())
        raise InvalidInput(f"{options}: only with --software-id (software given by hand)",
                           "add --software-id, or leave them out to use the registration in this home")
    if customer_name is not None and customer_nit is None:
        raise InvalidInput("--customer-name needs --customer-nit", "give the buyer's NIT too")
    customer = Party(customer_nit, customer_name or f"CLIENTE NIT {customer_nit}") if customer_nit else DEFAULT_CUSTOMER
    invoice = InvoiceReference.of_invoice(read_input(references, "invoice")) if references else None
    issuer = _explicit(app, nit, name, env, by_hand) if software_id else _registered(app, nit, env, name)
    data = generate(chosen, issuer, number, app.clock.now(), lines=lines, customer=customer, invoice=invoice,
                    concept=concept)
    target = output or Path(f"{number}.xml")
    atomic_write(target, data, mode=0o644)
    scheme, key = document_key_of(data)
    app.emit(
        {"kind": kind.lower(), "number": number, "output": str(target), "environment": issuer.environment.value,
         "key_scheme": scheme, "key": key, "references": invoice.number if invoice else None},
        lambda: click.echo(f"wrote {kind.lower()} {number} → {target}\n{scheme.split('-')[0]} {key}"),
    )
