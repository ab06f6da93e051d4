"""DIAN's two environments: habilitación (test enablement) and producción."""

from __future__ import annotations

import enum
import unicodedata

from minica.errors import InvalidInput


class Environment(str, enum.Enum):
    """Where a certificate may be used. The value is the folder name under ``stores/``."""

    HABILITACION = "habilitacion"
    PRODUCCION = "produccion"

    @property
    def profile_execution_id(self) -> str:
        """The UBL ``cbc:ProfileExecutionID`` of documents for this environment."""
        return "1" if self is Environment.PRODUCCION else "2"

    @property
    def label(self) -> str:
        return "habilitación" if self is Environment.HABILITACION else "producción"

    @classmethod
    def parse(cls, text: str) -> Environment:
        """Accept ``habilitacion``, ``habilitación``, ``produccion``, ``producción`` (any case)."""
        plain = unicodedata.normalize("NFKD", text.strip().lower())
        plain = "".join(c for c in plain if not unicodedata.combining(c))
        for env in cls:
            if plain == env.value:
                return env
        raise InvalidInput(
            f"unknown environment '{text}'", "use habilitacion or produccion"
        )

    @classmethod
    def from_profile_execution_id(cls, value: str) -> Environment:
        """Map UBL's ProfileExecutionID (1 producción, 2 habilitación) to an environment."""
        if value.strip() == "1":
            return cls.PRODUCCION
        if value.strip() == "2":
            return cls.HABILITACION
        raise InvalidInput(
            f"cbc:ProfileExecutionID is '{value}'",
            "it must be 1 (producción) or 2 (habilitación)",
        )


def parse_environments(text: str) -> tuple[Environment, ...]:
    """``both`` (the real process stores the certificate in both) or one environment."""
    if text.strip().lower() in ("both", "ambos"):
        return (Environment.HABILITACION, Environment.PRODUCCION)
    return (Environment.parse(text),)
