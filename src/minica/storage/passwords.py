"""The keystore password policy of DIAN's request form, and reading secrets.

DIAN's rule: at least 8 characters with upper-case letters, digits and special characters. minica
adds one: printable ASCII only, because Java's keytool and Node's forge cannot open a PKCS#12 whose
password has non-ASCII characters (each derives the PKCS#12 key from the password differently).
"""

from __future__ import annotations

import string

from minica.errors import WeakPassword

MIN_LENGTH = 8
_SPECIAL = set(string.punctuation + " ")


def password_problems(password: str) -> list[str]:
    """Every rule ``password`` breaks (empty when it is acceptable)."""
    problems: list[str] = []
    if len(password) < MIN_LENGTH:
        problems.append(f"has {len(password)} characters, needs at least {MIN_LENGTH}")
    if not any(c.isascii() and c.isupper() for c in password):
        problems.append("needs an upper-case letter")
    if not any(c.isascii() and c.isdigit() for c in password):
        problems.append("needs a digit")
    if not any(c in _SPECIAL for c in password):
        problems.append("needs a special character such as ! # $ % * -")
    outside = sorted({c for c in password if not (c.isascii() and c.isprintable())})
    if outside:
        shown = " ".join(repr(c) for c in outside[:5])
        problems.append(
            f"must use printable ASCII only (found {shown}; Java keytool and Node cannot open"
            " such a keystore)"
        )
    return problems


def require_strong_password(password: str) -> bytes:
    """The password as UTF-8 bytes, or :class:`WeakPassword` naming every broken rule."""
    problems = password_problems(password)
    if problems:
        raise WeakPassword(
            "the password " + "; ".join(problems),
            "choose one with at least 8 characters, upper-case letters, digits and special"
            " characters, in plain ASCII",
        )
    return password.encode("ascii")
