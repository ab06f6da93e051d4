"""Colombian identity data: NIT with check digit, person types, identity document types.

The check digit (dígito de verificación, DV) follows DIAN's Orden Administrativa 4 de 1989: the
NIT's digits, right to left, are multiplied by 3, 7, 13, 17, 19, 23, 29, 37, 41, 43, 47, 53, 59,
67, 71; the sum modulo 11 is the DV when it is 0 or 1, else 11 minus it.
"""

from __future__ import annotations

import enum
import re
from dataclasses import dataclass

from minica.errors import InvalidInput, InvalidNit

_WEIGHTS = (3, 7, 13, 17, 19, 23, 29, 37, 41, 43, 47, 53, 59, 67, 71)
_NIT_TEXT = re.compile(r"^\s*([0-9][0-9.\s]*?)\s*(?:-\s*([0-9]))?\s*$")


def check_digit(number: str) -> int:
    """The DV of a NIT given as digits only (at most 15)."""
    if not number.isdigit() or len(number) > len(_WEIGHTS):
        raise InvalidNit(
            f"'{number}' is not a NIT number", "a NIT has 1 to 15 digits, e.g. 900373987"
        )
    total = sum(int(d) * w for d, w in zip(reversed(number), _WEIGHTS, strict=False))
    residue = total % 11
    return residue if residue in (0, 1) else 11 - residue


@dataclass(frozen=True)
class Nit:
    """A NIT (número de identificación tributaria) and its check digit.

    Build it with :meth:`parse`, which accepts ``900373987``, ``900373987-9``, ``900.373.987-9``
    and refuses a wrong check digit, naming the right one.
    """

    number: str

    def __post_init__(self) -> None:
        if not isinstance(self.number, str):
            raise TypeError("Nit.number must be a str")
        check_digit(self.number)  # validates the digits
        if len(self.number) < 5:
            raise InvalidNit(
                f"NIT '{self.number}' is too short", "a NIT or cédula has at least 5 digits"
            )

    @property
    def dv(self) -> int:
        return check_digit(self.number)

    @property
    def with_dv(self) -> str:
        """``900373987-9``: how DIAN and people write it."""
        return f"{self.number}-{self.dv}"

    @property
    def concatenated(self) -> str:
        """``9003739879``: NIT and DV with nothing between, as Andes SCD and Certicámara encode it."""
        return f"{self.number}{self.dv}"

    def __str__(self) -> str:
        return self.with_dv

    @classmethod
    def parse(cls, text: str) -> Nit:
        """Read a NIT typed by a person; a given DV must be the right one."""
        match = _NIT_TEXT.match(text or "")
        if not match:
            raise InvalidNit(
                f"'{text}' is not a NIT", "write the digits, optionally with -DV, e.g. 900373987-9"
            )
        number = re.sub(r"[.\s]", "", match.group(1)).lstrip("0") or "0"
        nit = cls(number)
        given = match.group(2)
        if given is not None and int(given) != nit.dv:
            raise InvalidNit(
                f"NIT {number}-{given} has a wrong check digit",
                f"the check digit of {number} is {nit.dv} ({nit.with_dv})",
            )
        return nit


class PersonType(str, enum.Enum):
    """Tipo de persona."""

    JURIDICA = "juridica"
    NATURAL = "natural"

    @classmethod
    def parse(cls, text: str) -> PersonType:
        plain = text.strip().lower().replace("í", "i").replace("persona ", "")
        for kind in cls:
            if plain == kind.value:
                return kind
        raise InvalidInput(f"unknown person type '{text}'", "use juridica or natural")


class DocumentType(str, enum.Enum):
    """Identity document types of DIAN's form (codes as in DIAN's list of identification types)."""

    CC = "CC"  # cédula de ciudadanía
    CE = "CE"  # cédula de extranjería
    NIT = "NIT"
    PA = "PA"  # pasaporte
    TI = "TI"  # tarjeta de identidad
    RC = "RC"  # registro civil
    PEP = "PEP"  # permiso especial de permanencia
    PPT = "PPT"  # permiso por protección temporal
    DIE = "DIE"  # documento de identificación extranjero

    @classmethod
    def parse(cls, text: str) -> DocumentType:
        try:
            return cls(text.strip().upper())
        except ValueError:
            names = ", ".join(t.value for t in cls)
            raise InvalidInput(f"unknown document type '{text}'", f"use one of {names}") from None


# Shapes each document type's number may take (registraduría and Migración Colombia formats).
# Patterns, compiled (and cached by re) when a form is checked: signing never needs them.
_DOCUMENT_NUMBER = {
    DocumentType.CC: r"^[1-9][0-9]{5,9}$",
    DocumentType.CE: r"^[0-9]{6,7}$",
    DocumentType.NIT: r"^[0-9]{5,15}(-[0-9])?$",
    DocumentType.PA: r"^[A-Z0-9]{5,16}$",
    DocumentType.TI: r"^[0-9]{10,11}$",
    DocumentType.RC: r"^[0-9]{10,11}$",
    DocumentType.PEP: r"^[0-9]{15}$",
    DocumentType.PPT: r"^[0-9]{6,8}$",
    DocumentType.DIE: r"^[A-Z0-9-]{5,20}$",
}

_DOCUMENT_RULE = {
    DocumentType.CC: "6 to 10 digits, not starting with 0",
    DocumentType.CE: "6 or 7 digits",
    DocumentType.NIT: "a NIT with a right check digit",
    DocumentType.PA: "5 to 16 letters or digits",
    DocumentType.TI: "10 or 11 digits",
    DocumentType.RC: "10 or 11 digits",
    DocumentType.PEP: "15 digits",
    DocumentType.PPT: "6 to 8 digits",
    DocumentType.DIE: "5 to 20 letters, digits or dashes",
}


def document_number_problem(kind: DocumentType, number: str) -> str | None:
    """Why ``number`` is not a valid number for ``kind``, or None when it is."""
    value = number.strip().upper()
    if not re.match(_DOCUMENT_NUMBER[kind], value):
        return f"a {kind.value} number must have {_DOCUMENT_RULE[kind]} (got '{number}')"
    if kind is DocumentType.NIT:
        try:
            Nit.parse(value)
        except InvalidNit as exc:
            return str(exc)
    return None
