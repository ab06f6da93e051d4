"""The parties of a generated document: who issues it and who receives it, with their address.

Identification follows DIAN's list of document types (``schemeName`` of ``cbc:CompanyID``: 31 NIT,
13 cédula de ciudadanía, …); a NIT carries its check digit in ``schemeID``.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from minica.errors import InvalidInput
from minica.identity import DocumentType, Nit, PersonType, document_number_problem

#: DIAN's codes for identification document types (``schemeName``).
DIAN_DOCUMENT_CODES = {
    DocumentType.RC: "11",
    DocumentType.TI: "12",
    DocumentType.CC: "13",
    DocumentType.CE: "22",
    DocumentType.NIT: "31",
    DocumentType.PA: "41",
    DocumentType.DIE: "42",
    DocumentType.PEP: "47",
    DocumentType.PPT: "48",
}


def checked_text(value: object, what: str, *, limit: int = 450) -> str:
    """``value`` stripped, once it is a str of 1 to ``limit`` printable characters."""
    if not isinstance(value, str):
        raise TypeError(f"{what} must be a str")
    text = value.strip()
    if not text or len(text) > limit or any(not c.isprintable() for c in text):
        raise InvalidInput(f"{what} '{value}' is empty, too long or holds control characters",
                           f"give 1 to {limit} printable characters")
    return text


@dataclass(frozen=True)
class Address:
    """A Colombian address: DIVIPOLA municipality and department codes, names and a street line."""

    line: str = "Calle 26 # 69-76"
    city: str = "Bogotá, D.C."
    city_code: str = "11001"
    department: str = "Bogotá"
    department_code: str = "11"

    def __post_init__(self) -> None:
        for name in ("line", "city", "department"):
            object.__setattr__(self, name, checked_text(getattr(self, name), f"address {name}"))
        for name, digits in (("city_code", 5), ("department_code", 2)):
            value = getattr(self, name)
            if not isinstance(value, str):
                raise TypeError(f"address {name} must be a str")
            if not (value.isdigit() and len(value) == digits):
                raise InvalidInput(f"address {name} '{value}' is not a DIVIPOLA code",
                                   f"give {digits} digits, e.g. 11001 for Bogotá")


@dataclass(frozen=True)
class Party:
    """A company or person in a document: identification, name, person type, address, e-mail.

    ``number`` is the identification number; a NIT may be written with its check digit
    (``"900373987-9"``), which must then be right, and is kept without it. ``tax_level_code`` is DIAN's
    responsabilidad fiscal (``R-99-PN`` when none applies).
    """

    number: str
    name: str
    document_type: DocumentType = DocumentType.NIT
    person: PersonType = PersonType.JURIDICA
    address: Address = field(default_factory=Address)
    email: str = "facturacion@empresa.example"
    tax_level_code: str = "R-99-PN"

    def __post_init__(self) -> None:
        if not isinstance(self.document_type, DocumentType) or not isinstance(self.person, PersonType):
            raise TypeError("document_type must be a DocumentType and person a PersonType")
        if not isinstance(self.address, Address):
            raise TypeError("address must be an Address")
        if self.document_type not in DIAN_DOCUMENT_CODES:  # pragma: no cover - every type has one
            raise InvalidInput(f"document type {self.document_type.value} has no DIAN code", "use NIT or CC")
        number = checked_text(self.number, "identification number", limit=20)
        if self.document_type is DocumentType.NIT:
            number = Nit.parse(number).number
        else:
            problem = document_number_problem(self.document_type, number)
            if problem:
                raise InvalidInput(problem, "check the identification number")
        object.__setattr__(self, "number", number)
        object.__setattr__(self, "name", checked_text(self.name, "name"))
        object.__setattr__(self, "email", checked_text(self.email, "e-mail", limit=100))
        object.__setattr__(self, "tax_level_code", checked_text(self.tax_level_code, "tax level code", limit=30))

    @property
    def scheme_name(self) -> str:
        """DIAN's code of the identification type (31 NIT, 13 cédula, …)."""
        return DIAN_DOCUMENT_CODES[self.document_type]

    @property
    def check_digit(self) -> str | None:
        """The NIT's DV (``schemeID``), None for other identification types."""
        return str(Nit(self.number).dv) if self.document_type is DocumentType.NIT else None

    @property
    def account_type(self) -> str:
        """``cbc:AdditionalAccountID``: 1 persona jurídica, 2 persona natural."""
        return "1" if self.person is PersonType.JURIDICA else "2"


#: The buyer when none is given: a fictional company (NIT with its right check digit).
DEFAULT_CUSTOMER = Party(
    "860001022",
    "CAFÉ ÑANDÚ BOGOTÁ LTDA.",
    address=Address(line="Carrera 7 # 71-21"),
    email="compras@cafenandu.example",
)
