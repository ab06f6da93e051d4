"""Each rule of DIAN's request form refuses with its own message, and all of them at once."""

from __future__ import annotations

import pytest
from request_support import FORM

from minica.ca.requests import divipola
from minica.ca.requests.form import InvalidRequestForm, validate_form

PASSWORD = "Factura#2026"


def problems(changes: dict[str, str], password: str = PASSWORD, confirmation: str | None = None) -> dict[str, str]:
    data = {**FORM, **changes}
    with pytest.raises(InvalidRequestForm) as caught:
        validate_form(data, password, password if confirmation is None else confirmation, require_password=True)
    return caught.value.problems


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("nit", "900373987-1", "wrong check digit — the check digit of 900373987 is 9"),
        ("nit", "ABC", "is not a NIT"),
        ("email", "facturacion@acme", "is not an e-mail address"),
        ("email", "sin arroba.com", "is not an e-mail address"),
        ("telefono_movil", "6012345678", "not a Colombian mobile number"),
        ("telefono_movil", "31012345", "not a Colombian mobile number"),
        ("representante_numero_documento", "0123", "a CC number must have 6 to 10 digits"),
        ("departamento", "Narnia", "not a departamento in DANE's DIVIPOLA list"),
        ("ciudad", "Cali", "not a municipio of ANTIOQUIA"),
        ("tipo_persona", "empresa", "unknown person type"),
        ("representante_tipo_documento", "XX", "unknown document type"),
        ("autoridad_certificacion", "Verisign", "unknown certification authority"),
        ("razon_social", "", "is required"),
        ("razon_social", "X" * 65, "at most 64 characters"),
        ("representante_nombres", "M4ria", "must be letters"),
    ],
)
def test_each_rule_refuses_with_its_message(field: str, value: str, message: str) -> None:
    found = problems({field: value})
    assert list(found) == [field]
    assert message in found[field]


def test_document_number_by_type() -> None:
    assert "a PA number" in problems({"representante_tipo_documento": "PA", "representante_numero_documento": "12"})[
        "representante_numero_documento"
    ]
    assert validate_form({**FORM, "representante_tipo_documento": "CE", "representante_numero_documento": "123456"})
    assert validate_form({**FORM, "representante_tipo_documento": "PA", "representante_numero_documento": "AB123456"})


def test_password_policy_and_confirmation() -> None:
    found = problems({}, password="corta")
    assert "needs at least 8" in found["password"] and "upper-case" in found["password"]
    assert "needs a digit" in found["password"] and "special character" in found["password"]
    assert problems({}, confirmation="Factura#2027") == {"password_confirmation": "does not match the password"}


def test_every_broken_rule_is_named_at_once() -> None:
    found = problems(
        {"nit": "900373987-1", "email": "x", "telefono_movil": "1", "departamento": "Narnia"},
        password="abc", confirmation="abd",
    )  # fmt: skip
    assert {"nit", "email", "telefono_movil", "departamento", "password", "password_confirmation"} <= set(found)
    with pytest.raises(InvalidRequestForm) as caught:
        validate_form({**FORM, "nit": "900373987-1", "email": "x"})
    assert "2 problems" in str(caught.value) and "NIT" in str(caught.value) and "e-mail" in str(caught.value)


def test_valid_form_normalizes_its_fields() -> None:
    form = validate_form({**FORM, "departamento": "bogota", "ciudad": "11001", "telefono_movil": "+57 (320) 987-6543"})
    assert form.departamento.code == "11" and form.ciudad.code == "11001"
    assert form.telefono_movil == "3209876543" and form.nit.with_dv == "900373987-9"
    assert form.autoridad_certificacion == "andes"


def test_divipola_has_every_departamento_and_municipio() -> None:
    places = divipola.load()
    assert len(places.departamentos) == 33 and len(places.municipios) == 1123
    assert all(len(m.code) == 5 and m.code.startswith(m.departamento.code) for m in places.municipios)
    antioquia = places.departamento("ANTIOQUIA")
    assert antioquia is not None and len(places.municipios_of(antioquia)) == 125
    assert places.municipio(antioquia, "medellin") is not None
    assert places.departamento("San Andrés") is not None and places.departamento("99") is not None
