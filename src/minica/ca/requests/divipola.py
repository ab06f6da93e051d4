"""DANE's DIVIPOLA: departamentos and municipios, loaded from the package data.

``minica/data/divipola.csv`` ships the 33 departamentos (32 and Bogotá D.C.) and 1,123 municipios
with their DANE codes; ``minica/data/DIVIPOLA.md`` names the source. People type names with or
without accents and in any case ("Bogotá", "BOGOTA D.C.", "11"), so lookups accept a name or a code
and compare names without accents, case or punctuation.
"""

from __future__ import annotations

import csv
import functools
import io
import unicodedata
from dataclasses import dataclass
from importlib import resources


@dataclass(frozen=True)
class Departamento:
    code: str  # two digits, e.g. "05"
    name: str


@dataclass(frozen=True)
class Municipio:
    code: str  # five digits: departamento code + three digits, e.g. "05001"
    name: str
    departamento: Departamento


def normalize(text: str) -> str:
    """Upper-case, accents and punctuation removed, spaces collapsed: the key names match on."""
    plain = unicodedata.normalize("NFKD", text)
    plain = "".join(c for c in plain if not unicodedata.combining(c))
    plain = "".join(c if c.isalnum() else " " for c in plain.upper())
    return " ".join(plain.split())


@dataclass(frozen=True)
class Divipola:
    departamentos: tuple[Departamento, ...]
    municipios: tuple[Municipio, ...]

    def departamento(self, text: str) -> Departamento | None:
        """The departamento named or coded by ``text`` (``"Antioquia"``, ``"05"``, ``"5"``)."""
        key = text.strip()
        if key.isdigit():
            code = key.zfill(2)
            return next((d for d in self.departamentos if d.code == code), None)
        wanted = normalize(key)
        aliases = {"BOGOTA": "BOGOTA D C", "SAN ANDRES": _SAN_ANDRES, "SAN ANDRES Y PROVIDENCIA": _SAN_ANDRES}
        wanted = aliases.get(wanted, wanted)
        return next((d for d in self.departamentos if normalize(d.name) == wanted), None)

    def municipio(self, departamento: Departamento, text: str) -> Municipio | None:
        """The municipio of ``departamento`` named or coded by ``text`` (``"Medellín"``, ``"05001"``)."""
        key = text.strip()
        candidates = [m for m in self.municipios if m.departamento == departamento]
        if key.isdigit():
            code = key.zfill(5) if len(key) > 3 else departamento.code + key.zfill(3)
            return next((m for m in candidates if m.code == code), None)
        wanted = normalize(key)
        found = next((m for m in candidates if normalize(m.name) == wanted), None)
        if found is None and departamento.code == "11" and wanted in ("BOGOTA", "BOGOTA D C"):
            found = candidates[0]
        return found

    def municipios_of(self, departamento: Departamento) -> list[Municipio]:
        return [m for m in self.municipios if m.departamento == departamento]


_SAN_ANDRES = "ARCHIPIELAGO DE SAN ANDRES PROVIDENCIA Y SANTA CATALINA"


@functools.lru_cache(maxsize=1)
def load() -> Divipola:
    """The shipped DIVIPOLA list (read once per process)."""
    text = resources.files("minica").joinpath("data/divipola.csv").read_text(encoding="utf-8")
    lines = [line for line in text.splitlines() if line and not line.startswith("#")]
    departamentos: dict[str, Departamento] = {}
    municipios: list[Municipio] = []
    for row in csv.DictReader(io.StringIO("\n".join(lines))):
        dep = departamentos.setdefault(
            row["codigo_departamento"],
            Departamento(row["codigo_departamento"], row["departamento"]),
        )
        municipios.append(Municipio(row["codigo_municipio"], row["municipio"], dep))
    return Divipola(tuple(departamentos.values()), tuple(municipios))
