"""The process's notifications: real RFC 5322 messages, in Spanish, dated by the clock.

Each notice is built with :class:`email.message.EmailMessage` (UTF-8 text, ``Date`` from the
process's clock in Colombian time, a ``Message-ID`` that reads no clock) and names the radicado in
its body and in an ``X-Minica-Radicado`` header. The sender and every link use the reserved
``.invalid`` domain: nothing here can reach a real person by mistake.
"""

from __future__ import annotations

import datetime as _dt
import email.utils
import uuid
from dataclasses import dataclass
from email.message import EmailMessage
from typing import Any

from minica.clock import colombian

SENDER_NAME = "MINICA Autoridad de Certificación de prueba"
SENDER_ADDRESS = "notificaciones@minica.invalid"
SUPPORT = (
    "correo soporte@minica.invalid, línea de atención (601) 000 0000 de lunes a viernes de 7:00 a"
    " 19:00, o el chat de la plataforma"
)
#: Where ``minica serve`` shows the CA's platform (its sign-in page), under the CA's base URL.
PLATFORM_PATH = "/plataforma"
#: The platform of a CA with the default base URL (``minica init`` without ``--base-url``).
DEFAULT_PLATFORM_URL = "http://127.0.0.1:8765" + PLATFORM_PATH

_FOOTER = (
    "\n\n--\nEste mensaje lo envía minica, una autoridad de certificación de PRUEBA: sus"
    " certificados no son válidos ante la DIAN en producción.\nNo responda a este correo."
)


@dataclass(frozen=True)
class Notice:
    """One notification, before it is dated and addressed."""

    kind: str
    subject: str
    body: str


def _fecha(when: _dt.datetime) -> str:
    local = colombian(when)
    return local.strftime("%Y-%m-%d %H:%M") + " (hora de Colombia)"


def notice(kind: str, radicado: str, razon_social: str, **data: Any) -> Notice:
    """The text of a notice of ``kind`` (see the kinds below) for one request."""
    hello = f"Señores {razon_social}:\n\n"
    ref = f"Radicado de la solicitud: {radicado}\n"
    if kind == "bienvenida":
        return Notice(kind, "Bienvenido a la plataforma de la autoridad de certificación", hello
            + "Recibimos su solicitud de certificado digital radicada en la DIAN.\n\n" + ref
            + f"\nPara continuar, ingrese a la plataforma:\n  Enlace: {data['link']}\n"
            f"  Usuario: {data['user']}\n  Contraseña temporal: {data['temporary_password']}\n\n"
            "En el primer ingreso debe cambiar la contraseña. Luego diligencie cada sección del"
            " formulario y cargue los documentos en PDF (máximo 1 MB cada uno).")  # fmt: skip
    if kind == "completa":
        return Notice(kind, "Solicitud completa: en revisión", hello + ref
            + "\nSu formulario fue finalizado y quedó bloqueado. Nuestro equipo revisará los"
            " documentos y la identidad del representante legal.")  # fmt: skip
    if kind == "emitido":
        return Notice(kind, "Su certificado digital fue emitido", hello + ref
            + f"\nSu certificado digital fue emitido y cargado en los ambientes de habilitación y"
            f" producción.\n  Serial: {data['serial']}\n  Vigencia: desde {_fecha(data['not_before'])}"
            f" hasta {_fecha(data['not_after'])}\n\nEl almacén (PKCS#12) está protegido con la"
            " contraseña que usted definió en el formulario de la DIAN.")  # fmt: skip
    if kind == "rechazo":
        return Notice(kind, "Documentos rechazados: corrija su solicitud", hello + ref
            + f"\nLos documentos de su solicitud fueron rechazados por el siguiente motivo:\n  {data['reason']}\n\n"
            "El formulario quedó habilitado de nuevo: corrija lo indicado y pulse Finalizar."
            f" Si no lo hace antes de {_fecha(data['expires_at'])}, la solicitud caducará y deberá"
            " iniciar el proceso desde el primer paso.")  # fmt: skip
    if kind in ("recordatorio_dia_3", "recordatorio_dia_7"):
        day = kind.rsplit("_", 1)[1]
        return Notice(kind, f"Recordatorio: su solicitud tiene correcciones pendientes (día {day})",
            hello + ref + f"\nHan pasado {day} días desde el rechazo de sus documentos y aún no"
            f" recibimos la corrección.\nMotivo del rechazo: {data['reason']}\n\nCorrija y pulse"
            f" Finalizar antes de {_fecha(data['expires_at'])}.")  # fmt: skip
    if kind == "aviso_caducidad":
        return Notice(kind, "Aviso: su solicitud está próxima a caducar", hello + ref
            + "\nHan pasado 13 días desde el rechazo de sus documentos. Si no corrige la"
            f" solicitud antes de {_fecha(data['expires_at'])}, el proceso caducará y deberá"
            " radicar una nueva solicitud en la DIAN.")  # fmt: skip
    if kind == "caducada":
        return Notice(kind, "Su solicitud caducó", hello + ref
            + "\nEl plazo de 15 días para corregir los documentos venció y el proceso caducó. Esta"
            " solicitud no puede reanudarse: radique una nueva solicitud en la DIAN desde el"
            " primer paso.")  # fmt: skip
    if kind == "identidad_fallida":
        return Notice(kind, "No fue posible validar la identidad del solicitante", hello + ref
            + "\nLa validación de identidad del representante legal no fue exitosa y la"
            f" solicitud terminó.\n\nPara más información comuníquese con soporte: {SUPPORT}.")  # fmt: skip
    if kind == "pago_registrado":
        return Notice(kind, "Pago del certificado registrado", hello + ref
            + f"\nRegistramos su pago (referencia {data['reference']}, valor $"
            + f"{data['amount']:,}".replace(",", ".") + " COP) de un certificado digital con"
            " vigencia de un año. Recibirá el correo de bienvenida a la plataforma.")  # fmt: skip
    if kind == "prestamo_activo":
        return Notice(kind, "Préstamo del certificado del proveedor activo", hello + ref
            + f"\nRecibimos la carta de exoneración firmada. Puede firmar con el certificado del"
            f" proveedor (serial {data['serial']}) desde {_fecha(data['start'])} hasta"
            f" {_fecha(data['end'])}.\nDespués de esa fecha debe tener su propio certificado digital."
            "\nSiguiente paso: envíe el set de pruebas en el ambiente de habilitación.")  # fmt: skip
    if kind == "prestamo_vencido":
        return Notice(kind, "Terminó el préstamo del certificado del proveedor", hello + ref
            + f"\nEl préstamo del certificado del proveedor terminó el {_fecha(data['end'])}. Para"
            " seguir firmando debe obtener su propio certificado digital.")  # fmt: skip
    raise ValueError(f"unknown notice kind {kind!r}")


def compose(
    note: Notice, *, radicado: str, to: str, when: _dt.datetime, sender: str | None = None
) -> EmailMessage:
    """The RFC 5322 message for ``note``, dated ``when`` (shown in Colombian time)."""
    message = EmailMessage()
    message["From"] = sender or email.utils.formataddr((SENDER_NAME, SENDER_ADDRESS))
    message["To"] = to
    message["Subject"] = note.subject
    message["Date"] = email.utils.format_datetime(colombian(when))
    # make_msgid() would read the wall clock; a UUID does not.
    message["Message-ID"] = f"<{radicado}.{note.kind}.{uuid.uuid4().hex}@minica.invalid>"
    message["X-Minica-Radicado"] = radicado
    message["X-Minica-Notice"] = note.kind
    message.set_content(note.body + _FOOTER, charset="utf-8")
    return message
