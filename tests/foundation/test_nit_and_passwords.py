"""NIT check digits and the keystore password policy."""

from __future__ import annotations

import pytest

from minica.errors import InvalidNit, WeakPassword
from minica.identity import Nit, check_digit
from minica.storage.passwords import password_problems, require_strong_password


@pytest.mark.parametrize(
    ("nit", "dv"),
    [("800197268", 4), ("830084433", 7), ("900204272", 8), ("41261533", 2), ("800191045", 1),
     ("901048398", 1), ("900529513", 3)],
)
def test_check_digit_of_known_nits(nit: str, dv: int) -> None:
    assert check_digit(nit) == dv
    assert Nit.parse(f"{nit}-{dv}").with_dv == f"{nit}-{dv}"


@pytest.mark.parametrize("text", ["800197268", "800197268-4", "800.197.268-4", " 800197268 - 4 "])
def test_nit_is_read_with_or_without_dv(text: str) -> None:
    assert Nit.parse(text) == Nit("800197268")


def test_wrong_check_digit_is_refused_naming_the_right_one() -> None:
    with pytest.raises(InvalidNit) as err:
        Nit.parse("800197268-5")
    assert "wrong check digit" in str(err.value)
    assert "800197268-4" in str(err.value)


@pytest.mark.parametrize("text", ["", "abc", "80019726A-4", "1234", "1234567890123456"])
def test_malformed_nit_is_refused(text: str) -> None:
    with pytest.raises(InvalidNit):
        Nit.parse(text)


def test_andes_and_certicamara_forms() -> None:
    nit = Nit.parse("900529513")
    assert nit.concatenated == "9005295133"
    assert str(nit) == "900529513-3"


def test_strong_password_passes() -> None:
    assert password_problems("Factura#2026") == []
    assert require_strong_password("Factura#2026") == b"Factura#2026"


def test_weak_password_names_every_broken_rule() -> None:
    with pytest.raises(WeakPassword) as err:
        require_strong_password("abc")
    message = str(err.value)
    for rule in ("at least 8", "upper-case", "digit", "special"):
        assert rule in message


@pytest.mark.parametrize("password", ["Contraseña#2026", "Factura#2026€", "Factura#2026\t"])
def test_non_ascii_or_unprintable_password_is_refused(password: str) -> None:
    problems = password_problems(password)
    assert any("printable ASCII" in p for p in problems)
