"""minica's exceptions: one root, each failure with a message a person can act on.

Every error carries *what is wrong* and *what to do*; the CLI prints them as one line,
``error: <what> — <what to do>``. Bad input also subclasses :class:`ValueError` (exit status 2);
an operation that was refused (expired certificate, existing CA, …) exits with status 1.
"""

from __future__ import annotations


def one_line(text: str) -> str:
    """``text`` as one printable line: line breaks and tabs become spaces, other control and
    bidirectional-override characters are shown escaped (a message may quote what a user typed
    or what a parser said, and must not break a log or a terminal)."""
    out = []
    for char in text:
        if char in "\r\n\t\v\f":
            out.append(" ")
        elif not char.isprintable() or char in "\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069":
            out.append(char.encode("unicode_escape").decode("ascii"))
        else:
            out.append(char)
    return "".join(out).strip()


class MinicaError(Exception):
    """Root of every error minica raises on purpose."""

    exit_code = 1

    def __init__(self, what: str, hint: str = "") -> None:
        what, hint = one_line(what), one_line(hint)
        super().__init__(what)
        self.what = what
        self.hint = hint

    def __str__(self) -> str:
        return f"{self.what} — {self.hint}" if self.hint else self.what


class InvalidInput(MinicaError, ValueError):
    """The user gave something malformed: a bad NIT, a weak password, unreadable XML, …"""

    exit_code = 2


class InvalidNit(InvalidInput):
    """A NIT that is not digits or whose check digit (DV) is wrong."""


class WeakPassword(InvalidInput):
    """A keystore or platform password that breaks the password policy."""


class HostileXml(InvalidInput):
    """XML with a DTD, entities, external references or beyond the size limit."""


class MalformedXml(InvalidInput):
    """XML that does not parse, or is not a document minica knows."""


class UnreadableKeystore(InvalidInput):
    """A PKCS#12/PEM/DER file that cannot be opened: wrong password or corrupt bytes."""


class WrongPassword(UnreadableKeystore):
    """The keystore exists and looks sound, but the password does not open it."""


class NotFound(InvalidInput):
    """A serial, NIT, radicado or file that does not exist."""


class RefusedOperation(MinicaError):
    """A well-formed request that minica refuses (exit status 1)."""


class CaMissing(RefusedOperation):
    """No CA in this home yet."""


class CaExists(RefusedOperation):
    """``init`` on a home that already has a CA."""


class CertificateNotUsable(RefusedOperation):
    """A certificate that may not sign: expired, not yet valid, revoked, wrong usage, untrusted."""


class RequestStateError(RefusedOperation):
    """A request-process action not allowed in the request's current state."""


class WrongCredentials(RefusedOperation):
    """A wrong user or password for the CA's request platform."""


class PasswordChangeRequired(RefusedOperation):
    """The right credentials, on a first sign-in: the temporary password must be changed first."""
