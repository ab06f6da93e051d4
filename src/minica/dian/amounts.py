"""Lines, taxes and totals of a generated document, in exact decimal arithmetic.

Every amount has two decimals (ROUND_HALF_UP). A line's amount is quantity × unit price and its
IVA is amount × rate; the document's IVA per rate is the sum of its lines' IVA, so line and
document taxes add up to the cent. ``TaxExclusiveAmount`` is the taxed base (the sum of the
``TaxableAmount`` of the subtotals), ``TaxInclusiveAmount`` the line total plus taxes, and, with no
discounts, charges or prepayments, ``PayableAmount`` equals ``TaxInclusiveAmount``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from minica.errors import InvalidInput

CENT = Decimal("0.01")
#: IVA rates in Colombia (percent): general, reduced and exempt/excluded.
IVA_RATES = (Decimal(19), Decimal(5), Decimal(0))


def money(value: Decimal) -> str:
    """An amount as DIAN writes it: two decimals, ``.``, no thousands separator."""
    return str(value.quantize(CENT, rounding=ROUND_HALF_UP))


def _decimal(value: object, what: str) -> Decimal:
    if isinstance(value, bool) or not isinstance(value, (Decimal, int, str)):
        raise TypeError(f"{what} must be a Decimal, int or str (not a float)")
    try:
        number = Decimal(value.strip() if isinstance(value, str) else value)
    except InvalidOperation:
        raise InvalidInput(f"{what} '{value}' is not a number", "write it like 18500.00") from None
    if not number.is_finite():
        raise InvalidInput(f"{what} '{value}' is not a finite number", "write it like 18500.00")
    return number


@dataclass(frozen=True)
class Line:
    """One line: what is sold, how many, at what unit price (before tax), with which IVA rate."""

    description: str
    quantity: Decimal
    unit_price: Decimal
    iva_percent: Decimal = Decimal(19)
    code: str = ""

    def __post_init__(self) -> None:
        if not isinstance(self.description, str) or not isinstance(self.code, str):
            raise TypeError("Line.description and Line.code must be str")
        if not self.description.strip() or len(self.description) > 300 or not self.description.isprintable():
            raise InvalidInput("a line's description is empty, too long or holds control characters",
                               "give 1 to 300 printable characters")
        quantity = _decimal(self.quantity, "quantity")
        price = _decimal(self.unit_price, "unit price")
        rate = _decimal(self.iva_percent, "IVA percent")
        if not Decimal(0) < quantity <= Decimal(10) ** 9 or quantity != quantity.quantize(Decimal("0.000001")):
            raise InvalidInput(f"quantity {quantity} is not valid", "give a positive quantity, at most 6 decimals")
        if not Decimal(0) <= price <= Decimal(10) ** 12 or price != price.quantize(CENT):
            raise InvalidInput(f"unit price {price} is not valid", "give a price of at least 0, at most 2 decimals")
        if rate not in IVA_RATES:
            raise InvalidInput(f"IVA rate {rate} % does not exist", "use 19, 5 or 0")
        object.__setattr__(self, "quantity", quantity)
        object.__setattr__(self, "unit_price", price)
        object.__setattr__(self, "iva_percent", rate)

    @property
    def amount(self) -> Decimal:
        """``cbc:LineExtensionAmount``: quantity × unit price."""
        return (self.quantity * self.unit_price).quantize(CENT, rounding=ROUND_HALF_UP)

    @property
    def iva(self) -> Decimal:
        return (self.amount * self.iva_percent / 100).quantize(CENT, rounding=ROUND_HALF_UP)


@dataclass(frozen=True)
class TaxSubtotal:
    """The IVA of all lines at one rate."""

    percent: Decimal
    taxable: Decimal
    tax: Decimal


@dataclass(frozen=True)
class Totals:
    """A document's monetary totals (``cac:LegalMonetaryTotal`` / ``RequestedMonetaryTotal``)."""

    line_extension: Decimal
    subtotals: tuple[TaxSubtotal, ...]

    @property
    def tax(self) -> Decimal:
        return sum((s.tax for s in self.subtotals), Decimal(0))

    @property
    def tax_exclusive(self) -> Decimal:
        return sum((s.taxable for s in self.subtotals), Decimal(0))

    @property
    def tax_inclusive(self) -> Decimal:
        return self.line_extension + self.tax

    @property
    def payable(self) -> Decimal:
        return self.tax_inclusive


def totals(lines: Sequence[Line]) -> Totals:
    """The totals of ``lines``: IVA grouped by rate (highest first), line amounts summed."""
    if not lines:
        raise InvalidInput("a document needs at least one line", "give one or more lines")
    subtotals = []
    for rate in IVA_RATES:
        at_rate = [line for line in lines if line.iva_percent == rate]
        if at_rate:
            subtotals.append(TaxSubtotal(rate, sum((x.amount for x in at_rate), Decimal(0)),
                                         sum((x.iva for x in at_rate), Decimal(0))))
    return Totals(sum((line.amount for line in lines), Decimal(0)), tuple(subtotals))


#: What sample lines sell: description, unit price, IVA rate (fictional products).
_CATALOGUE = (
    ("Café de origen Huila, bolsa 500 g", "18500.00", 5),
    ("Servicio de consultoría en facturación electrónica (hora)", "145000.00", 19),
    ("Panela orgánica en bloque, Cundinamarca", "4300.00", 5),
    ("Licencia de software de facturación, mes", "89900.00", 19),
    ("Bocadillo veleño con queso, caja x 24", "21900.00", 19),
    ("Soporte técnico remoto (hora)", "65000.00", 19),
    ("Arepas de maíz peladas x 10", "7200.00", 5),
)
MAX_LINES = 10_000


def sample_lines(count: int) -> tuple[Line, ...]:
    """``count`` deterministic lines from a small catalogue, with IVA at 19 % and 5 %."""
    if isinstance(count, bool) or not isinstance(count, int):
        raise TypeError("the number of lines must be an int")
    if not 1 <= count <= MAX_LINES:
        raise InvalidInput(f"{count} lines is not possible", f"give 1 to {MAX_LINES} lines")
    lines = []
    for index in range(count):
        description, price, rate = _CATALOGUE[index % len(_CATALOGUE)]
        lines.append(Line(description, Decimal(1 + index % 4), Decimal(price), Decimal(rate),
                          code=f"MNC-{index % len(_CATALOGUE) + 1:04d}"))
    return tuple(lines)
