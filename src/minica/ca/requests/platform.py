"""The CA's platform: users and passwords, the form's sections, the uploaded documents.

The welcome e-mail gives a user and a temporary password; the first sign-in must replace it with a
password that meets the same policy as the keystore password. Platform passwords are kept only as
scrypt hashes. The form is saved one section at a time ("Guardar sección"); the last section is
the documents, uploaded as PDFs of at most 1 MB and stored under
``<home>/requests/<radicado>/documents/`` with their SHA-256.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import string
from pathlib import Path

from minica.ca.requests.form import REPRESENTATIVE_FIELDS, RequestForm
from minica.errors import InvalidInput
from minica.identity import PersonType
from minica.storage.home import Home

#: The form's sections, in the platform's order, and the form fields each one edits.
SECTIONS: dict[str, tuple[str, ...]] = {
    "solicitante": ("email", "telefono_movil"),
    "empresa": ("razon_social", "tipo_persona", "departamento", "ciudad"),
    "representante": REPRESENTATIVE_FIELDS + ("autoridad_certificacion",),
    "documentos": (),
}

#: Document kinds the platform accepts.
DOCUMENT_KINDS = {
    "rut": "RUT (Registro Único Tributario)",
    "camara_comercio": "certificado de existencia y representación legal (Cámara de Comercio)",
    "documento_identidad": "documento de identidad del representante legal",
    "otro": "otro documento de soporte",
}


def required_documents(form: RequestForm) -> tuple[str, ...]:
    """What the documents section needs: a company also shows its Cámara de Comercio record."""
    if form.tipo_persona is PersonType.JURIDICA:
        return ("rut", "camara_comercio", "documento_identidad")
    return ("rut", "documento_identidad")


def parse_section(text: str) -> str:
    name = text.strip().lower().replace("_", "-")
    aliases = {"applicant": "solicitante", "company": "empresa", "legal-representative": "representante",
               "representante-legal": "representante", "documents": "documentos"}  # fmt: skip
    name = aliases.get(name, name)
    if name not in SECTIONS:
        raise InvalidInput(f"unknown section '{text}'", "the sections are " + ", ".join(SECTIONS))
    return name


def parse_document_kind(text: str) -> str:
    kind = text.strip().lower().replace("-", "_")
    if kind not in DOCUMENT_KINDS:
        raise InvalidInput(f"unknown document kind '{text}'", "use one of " + ", ".join(DOCUMENT_KINDS))
    return kind


# --- users and passwords -------------------------------------------------------------------------

_SCRYPT = {"n": 2**14, "r": 8, "p": 1}


def hash_password(password: str) -> str:
    """``scrypt$n$r$p$salt$hash`` of a platform password (never the password itself)."""
    salt = secrets.token_bytes(16)
    digest = hashlib.scrypt(password.encode("utf-8"), salt=salt, dklen=32, **_SCRYPT)
    return f"scrypt${_SCRYPT['n']}${_SCRYPT['r']}${_SCRYPT['p']}${salt.hex()}${digest.hex()}"


def password_matches(password: str, stored: str) -> bool:
    scheme, n, r, p, salt, digest = stored.split("$")
    if scheme != "scrypt":  # pragma: no cover - the only scheme written
        return False
    candidate = hashlib.scrypt(
        password.encode("utf-8"), salt=bytes.fromhex(salt), dklen=32, n=int(n), r=int(r), p=int(p)
    )
    return hmac.compare_digest(candidate.hex(), digest)


def temporary_password() -> str:
    """A random 14-character temporary password (it meets the policy, though it must be changed)."""
    alphabet = string.ascii_letters + string.digits
    body = "".join(secrets.choice(alphabet) for _ in range(10))
    return f"T{body}-{secrets.randbelow(10)}{secrets.choice(string.ascii_lowercase)}"


def platform_user(nit_number: str, radicado: str) -> str:
    """The platform user of a request: the NIT and the radicado's first block (unique per request)."""
    return f"{nit_number}-{radicado.split('-')[0]}"


# --- documents -----------------------------------------------------------------------------------


def documents_dir(home: Home, radicado: str) -> Path:
    return home.requests_dir / radicado / "documents"
