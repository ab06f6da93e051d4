"""DIAN's certificate request form and its rules, all checked at once.

Fields (and the keys of ``request.json``): ``razon_social``, ``nit``, ``tipo_persona``,
``departamento``, ``ciudad``, ``email``, ``telefono_movil``, ``representante_nombres``,
``representante_apellidos``, ``representante_tipo_documento``, ``representante_numero_documento``,
``autoridad_certificacion``; plus the keystore password and its confirmation, which never become
part of the stored form.

A form with problems raises :class:`InvalidRequestForm` naming *every* broken rule, the way DIAN's
page marks every wrong field at once instead of one per attempt.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from minica.ca.requests import divipola
from minica.errors import InvalidInput, InvalidNit
from minica.identity import DocumentType, Nit, PersonType, document_number_problem
from minica.storage.passwords import password_problems

FIELDS = (
    "razon_social",
    "nit",
    "tipo_persona",
    "departamento",
    "ciudad",
    "email",
    "telefono_movil",
    "representante_nombres",
    "representante_apellidos",
    "representante_tipo_documento",
    "representante_numero_documento",
    "autoridad_certificacion",
)

#: The legal representative's fields (the vendor's loaned certificate needs every one of them).
REPRESENTATIVE_FIELDS = (
    "representante_nombres",
    "representante_apellidos",
    "representante_tipo_documento",
    "representante_numero_documento",
)

LABELS = {
    "razon_social": "razón social",
    "nit": "NIT",
    "tipo_persona": "tipo de persona",
    "departamento": "departamento",
    "ciudad": "ciudad",
    "email": "e-mail",
    "telefono_movil": "teléfono móvil",
    "representante_nombres": "nombres del representante legal",
    "representante_apellidos": "apellidos del representante legal",
    "representante_tipo_documento": "tipo de documento del representante legal",
    "representante_numero_documento": "número de documento del representante legal",
    "autoridad_certificacion": "autoridad de certificación",
    "password": "contraseña",
    "password_confirmation": "confirmación de la contraseña",
}

#: Certification authorities of DIAN's form and the minica profile that mimics each.
AUTHORITIES = {"gse": "GSE", "andes": "Andes SCD", "certicamara": "Certicámara"}

_EMAIL = re.compile(
    r"^[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+@[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
    r"(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*\.[A-Za-z]{2,}$"
)
# Colombian mobile numbers: 10 digits starting with 3 (3XX XXX XXXX), optionally after +57.
_MOBILE = re.compile(r"^3[0-9]{9}$")
_PERSON_NAME = re.compile(r"^[^\W\d_]+(?:[ '.-]+[^\W\d_]+)*\.?$")


#: Keys a form may also hold: the DIVIPOLA codes ``request show --json`` prints beside the names.
CODE_FIELDS = ("departamento_codigo", "ciudad_codigo")


def unknown_field_problem(key: str, valid: Iterable[str] = FIELDS + CODE_FIELDS) -> str:
    """What to say about a key that is not a field: the closest valid one, when one is close."""
    close = difflib.get_close_matches(key.lower(), list(valid), n=1, cutoff=0.6)
    return f"unknown field; did you mean '{close[0]}'?" if close else "unknown field, not one of the form's"


def check_known_keys(data: Mapping[str, Any], allowed: Iterable[str] = ()) -> None:
    """Refuse keys that are not the form's (nor ``allowed``) before any other rule: a misspelt key
    gets one short problem naming the closest valid key, not the consequences of its absence."""
    valid = FIELDS + CODE_FIELDS + tuple(allowed)
    unknown = sorted(key for key in data if key not in valid)
    if unknown:
        raise InvalidRequestForm({key[:40]: unknown_field_problem(key, valid) for key in unknown})


class InvalidRequestForm(InvalidInput):
    """A request form with one or more broken rules; ``problems`` maps field to message."""

    def __init__(self, problems: dict[str, str]) -> None:
        self.problems = dict(problems)
        listed = "; ".join(f"{LABELS.get(k, k)}: {v}" for k, v in problems.items())
        count = len(problems)
        super().__init__(
            f"the request form has {count} problem{'s' if count != 1 else ''}: {listed}",
            "correct every field named and submit the form again",
        )


@dataclass(frozen=True)
class RequestForm:
    """A validated request form (no password: that is sealed apart, see ``escrow``)."""

    razon_social: str
    nit: Nit
    tipo_persona: PersonType
    departamento: divipola.Departamento
    ciudad: divipola.Municipio
    email: str
    telefono_movil: str
    representante_nombres: str | None
    representante_apellidos: str | None
    representante_tipo_documento: DocumentType | None
    representante_numero_documento: str | None
    autoridad_certificacion: str | None

    @property
    def representante(self) -> str | None:
        """The legal representative's full name, when both parts are known."""
        if self.representante_nombres and self.representante_apellidos:
            return f"{self.representante_nombres} {self.representante_apellidos}"
        return None

    def missing_representative_fields(self) -> list[str]:
        return [f for f in REPRESENTATIVE_FIELDS if getattr(self, f) in (None, "")]

    def to_json(self) -> dict[str, Any]:
        """The stored form: plain strings, codes and names resolved."""
        return {
            "razon_social": self.razon_social,
            "nit": self.nit.with_dv,
            "tipo_persona": self.tipo_persona.value,
            "departamento": self.departamento.name,
            "departamento_codigo": self.departamento.code,
            "ciudad": self.ciudad.name,
            "ciudad_codigo": self.ciudad.code,
            "email": self.email,
            "telefono_movil": self.telefono_movil,
            "representante_nombres": self.representante_nombres,
            "representante_apellidos": self.representante_apellidos,
            "representante_tipo_documento": (
                self.representante_tipo_documento.value if self.representante_tipo_documento else None
            ),
            "representante_numero_documento": self.representante_numero_documento,
            "autoridad_certificacion": self.autoridad_certificacion,
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> RequestForm:
        """Rebuild a stored form (stored forms were valid when saved)."""
        raw = {k: data.get(k) for k in FIELDS}
        raw["departamento"] = data.get("departamento_codigo") or data.get("departamento")
        raw["ciudad"] = data.get("ciudad_codigo") or data.get("ciudad")
        return validate_form(raw, require_representative=False)

    def with_changes(self, changes: Mapping[str, Any], *, require_representative: bool) -> RequestForm:
        """A new form with ``changes`` applied and every rule checked again."""
        raw: dict[str, Any] = {k: v for k, v in self.to_json().items() if k in FIELDS}
        raw["departamento"] = self.departamento.code
        raw["ciudad"] = self.ciudad.code
        if "departamento" in changes and "ciudad" not in changes:
            raw["ciudad"] = None  # a city code belongs to its departamento: ask for it again
        raw.update(changes)
        return validate_form(raw, require_representative=require_representative)


def _text(data: Mapping[str, Any], key: str) -> str:
    value = data.get(key)
    return "" if value is None else str(value).strip()


def normalize_mobile(text: str) -> str:
    """``+57 310 123 4567`` → ``3101234567``."""
    digits = re.sub(r"[\s().-]", "", text)
    if digits.startswith("+57"):
        digits = digits[3:]
    elif digits.startswith("0057"):
        digits = digits[4:]
    elif digits.startswith("57") and len(digits) == 12:
        digits = digits[2:]
    return digits


def validate_email(email: str) -> str | None:
    """What is wrong with ``email`` as the form's e-mail address, or None."""
    if not email:
        return "is required"
    if len(email) > 254 or not _EMAIL.match(email):
        return f"'{email}' is not an e-mail address (like nombre@empresa.com.co)"
    return None


def parse_authority(text: str) -> str | None:
    plain = divipola.normalize(text).replace(" ", "")
    for key in AUTHORITIES:
        if plain.startswith(key.upper()):
            return key
    return None


def validate_form(
    data: Mapping[str, Any],
    password: str | None = None,
    confirmation: str | None = None,
    *,
    require_password: bool = False,
    require_representative: bool = True,
) -> RequestForm:
    """Check every rule of the form and return it, or raise :class:`InvalidRequestForm`.

    ``require_password`` checks the keystore password (DIAN's policy) and that the confirmation
    matches; ``require_representative`` makes the legal representative and the certification
    authority mandatory (the vendor variant may leave them for later).
    """
    check_known_keys(data)
    problems: dict[str, str] = {}

    razon_social = _text(data, "razon_social")
    if not razon_social:
        problems["razon_social"] = "is required"
    elif len(razon_social) > 64 or not razon_social.isprintable():
        # The razón social becomes the certificate's CN, which X.509 limits to 64 characters.
        problems["razon_social"] = (
            f"must be printable text of at most 64 characters (has {len(razon_social)});"
            " the certificate's name allows no more"
        )

    nit: Nit | None = None
    nit_text = _text(data, "nit")
    if not nit_text:
        problems["nit"] = "is required"
    else:
        try:
            nit = Nit.parse(nit_text)
        except InvalidNit as exc:
            problems["nit"] = str(exc)

    person: PersonType | None = None
    if not _text(data, "tipo_persona"):
        problems["tipo_persona"] = "is required (juridica or natural)"
    else:
        try:
            person = PersonType.parse(_text(data, "tipo_persona"))
        except InvalidInput as exc:
            problems["tipo_persona"] = str(exc)

    places = divipola.load()
    departamento = ciudad = None
    # ``*_codigo`` are what ``request show --json`` prints, so a shown form can be filed again.
    dep_text = _text(data, "departamento") or _text(data, "departamento_codigo")
    city_text = _text(data, "ciudad") or _text(data, "ciudad_codigo")
    if not dep_text:
        problems["departamento"] = "is required (a DANE DIVIPOLA departamento, name or code)"
    else:
        departamento = places.departamento(dep_text)
        if departamento is None:
            problems["departamento"] = f"'{dep_text}' is not a departamento in DANE's DIVIPOLA list"
    if not city_text:
        problems["ciudad"] = "is required (a DANE DIVIPOLA municipio, name or 5-digit code)"
    elif departamento is not None:
        ciudad = places.municipio(departamento, city_text)
        if ciudad is None:
            problems["ciudad"] = (
                f"'{city_text}' is not a municipio of {departamento.name} in DANE's DIVIPOLA list"
            )

    email = _text(data, "email")
    email_problem = validate_email(email)
    if email_problem:
        problems["email"] = email_problem

    mobile_text = _text(data, "telefono_movil")
    mobile = normalize_mobile(mobile_text)
    if not mobile_text:
        problems["telefono_movil"] = "is required"
    elif not _MOBILE.match(mobile):
        problems["telefono_movil"] = (
            f"'{mobile_text}' is not a Colombian mobile number (10 digits starting with 3,"
            " e.g. 310 123 4567, optionally with +57)"
        )

    names = {}
    for key in ("representante_nombres", "representante_apellidos"):
        value = _text(data, key)
        names[key] = value or None
        if not value:
            if require_representative:
                problems[key] = "is required"
        elif len(value) > 100 or not _PERSON_NAME.match(value):
            problems[key] = f"'{value}' must be letters (and spaces, apostrophes or hyphens)"

    doc_type: DocumentType | None = None
    doc_type_text = _text(data, "representante_tipo_documento")
    if not doc_type_text:
        if require_representative:
            problems["representante_tipo_documento"] = (
                "is required (" + ", ".join(t.value for t in DocumentType) + ")"
            )
    else:
        try:
            doc_type = DocumentType.parse(doc_type_text)
        except InvalidInput as exc:
            problems["representante_tipo_documento"] = str(exc)
    doc_number = _text(data, "representante_numero_documento").upper() or None
    if not doc_number:
        if require_representative:
            problems["representante_numero_documento"] = "is required"
    elif doc_type is not None:
        problem = document_number_problem(doc_type, doc_number)
        if problem:
            problems["representante_numero_documento"] = problem

    authority: str | None = None
    authority_text = _text(data, "autoridad_certificacion")
    if not authority_text:
        if require_representative:
            problems["autoridad_certificacion"] = "is required (gse, andes or certicamara)"
    else:
        authority = parse_authority(authority_text)
        if authority is None:
            problems["autoridad_certificacion"] = (
                f"unknown certification authority '{authority_text}' (use gse, andes or certicamara)"
            )

    if require_password:
        if not password:
            problems["password"] = "is required"
        else:
            broken = password_problems(password)
            if broken:
                problems["password"] = "; ".join(broken)
        if password and confirmation != password:
            problems["password_confirmation"] = "does not match the password"

    if problems:
        raise InvalidRequestForm(problems)
    assert nit and person and departamento and ciudad  # guaranteed when there are no problems
    return RequestForm(
        razon_social=razon_social,
        nit=nit,
        tipo_persona=person,
        departamento=departamento,
        ciudad=ciudad,
        email=email,
        telefono_movil=mobile,
        representante_nombres=names["representante_nombres"],
        representante_apellidos=names["representante_apellidos"],
        representante_tipo_documento=doc_type,
        representante_numero_documento=doc_number,
        autoridad_certificacion=authority,
    )
