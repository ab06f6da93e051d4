"""The issuer of generated documents: the company, its DIAN software registration and its numbering
range (``reference/dian-webservice.md``: habilitación test set, GetNumberingRange).

:class:`Issuer` holds what the generator needs, whatever it comes from: the local DIAN's
registration in the home (:func:`issuer_from_registration`) or values given one by one.
"""

from __future__ import annotations

import datetime as _dt
import re
from dataclasses import dataclass, field

from minica.dian.parties import Party
from minica.dian.registration import NumberingRange, SoftwareRegistration
from minica.environment import Environment
from minica.errors import InvalidInput
from minica.identity import DocumentType, Nit

_NUMBER = re.compile(r"^([A-Z0-9]*?)([0-9]+)$")


def _secret_text(value: object, what: str, hint: str) -> str:
    """A software ID, PIN or technical key: 1 to 100 printable ASCII characters, no spaces."""
    if not isinstance(value, str):
        raise TypeError(f"{what} must be a str")
    if not 0 < len(value) <= 100 or not all(c.isascii() and c.isprintable() and c != " " for c in value):
        raise InvalidInput(f"the {what} must be 1 to 100 printable ASCII characters without spaces", hint)
    return value


@dataclass(frozen=True)
class Issuer:
    """The company that issues the documents, with its DIAN software registration.

    ``software_pin`` (chosen at registration) keys the CUDE, the CUNE and the software security
    code; ``numbering`` (with its technical key, which keys the CUFE) is needed for invoices only.
    ``provider`` is the software provider (proveedor tecnológico), the company itself by default.
    """

    company: Party
    software_id: str
    software_pin: str = field(repr=False)
    numbering: NumberingRange | None = None
    environment: Environment = Environment.HABILITACION
    provider: Party | None = None

    def __post_init__(self) -> None:
        if not isinstance(self.company, Party):
            raise TypeError("Issuer.company must be a Party")
        if self.company.document_type is not DocumentType.NIT:
            raise InvalidInput("the issuer must be identified by its NIT", "give the company's NIT")
        _secret_text(self.software_id, "software ID", "give the software ID DIAN assigned (a UUID)")
        _secret_text(self.software_pin, "software PIN", "give the PIN chosen at registration")
        if self.numbering is not None:
            if not isinstance(self.numbering, NumberingRange):
                raise TypeError("Issuer.numbering must be a NumberingRange")
            _secret_text(self.numbering.technical_key, "technical key", "give the range's technical key")
        if not isinstance(self.environment, Environment):
            raise TypeError("Issuer.environment must be an Environment")
        if self.provider is not None and (
            not isinstance(self.provider, Party) or self.provider.document_type is not DocumentType.NIT
        ):
            raise TypeError("Issuer.provider must be a Party identified by NIT")

    @property
    def nit(self) -> Nit:
        return Nit(self.company.number)

    @property
    def software_provider(self) -> Party:
        return self.provider if self.provider is not None else self.company

    def invoice_range(self, number: str, issue_date: _dt.date) -> NumberingRange:
        """The numbering range, once ``number`` is checked to be in it and ``issue_date`` inside its
        validity (DIAN rejects invoices otherwise); :class:`InvalidInput` when not."""
        if self.numbering is None:
            raise InvalidInput("an invoice needs the numbering range (prefix, From-To, resolution, technical key)",
                               "register the software (minica dian register) or give the range's options")
        numbering = self.numbering
        if numbering.problem(number) is not None:
            raise InvalidInput(
                f"invoice number {number} is not in the numbering range "
                f"{numbering.prefix}{numbering.from_number}–{numbering.prefix}{numbering.to_number}",
                "number invoices inside the authorised range",
            )
        if not numbering.valid_from <= issue_date <= numbering.valid_to:
            raise InvalidInput(
                f"issue date {issue_date} is outside the numbering range's validity "
                f"{numbering.valid_from}–{numbering.valid_to}",
                "issue within the authorisation period (or choose the time with --at)",
            )
        return numbering


def issuer_from_registration(registration: SoftwareRegistration, company: Party | None = None) -> Issuer:
    """The :class:`Issuer` of a software registered with the local DIAN (``minica dian register``).

    The registration names the company by NIT only; ``company`` gives its name, address and e-mail
    (it must have the registration's NIT). Without it the company is named after its NIT.
    """
    if company is None:
        company = Party(registration.nit, f"EMPRESA NIT {registration.nit_with_dv}")
    elif company.number != registration.nit or company.document_type is not DocumentType.NIT:
        raise InvalidInput(f"the company's NIT {company.number} is not the registration's {registration.nit}",
                           "give the registered company's NIT")
    provider = None if registration.provider_nit == registration.nit else Party(
        registration.provider_nit, f"PROVEEDOR TECNOLÓGICO NIT {Nit(registration.provider_nit).with_dv}")
    return Issuer(company=company, software_id=registration.software_id, software_pin=registration.pin,
                  numbering=registration.numbering, environment=registration.environment, provider=provider)


def split_number(number: str) -> tuple[str, str]:
    """``SETP990000001`` → (``SETP``, ``990000001``): a document number's prefix and consecutive."""
    if not isinstance(number, str):
        raise TypeError("a document number must be a str")
    match = _NUMBER.match(number)
    if not match or len(number) > 30:
        raise InvalidInput(f"document number '{number}' is not a prefix (upper-case letters, digits) "
                           "followed by digits", "e.g. SETP990000001 or NC1")
    return match.group(1), match.group(2)
