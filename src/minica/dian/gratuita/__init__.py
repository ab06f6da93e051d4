"""DIAN's "Solución Gratuita" as the mock keeps it: company users, their certificates, their inbox.

Everything lives in files under ``<home>/dian/solucion-gratuita/`` (JSON, 0600): no database table,
so the CA's schema is untouched. Passwords are kept only as scrypt hashes; an uploaded keystore's
password is used once to open it and never kept.
"""

from __future__ import annotations

from minica.storage.home import Home


def gratuita_dir(home: Home) -> str:
    """The folder (as text, for messages) that holds the free solution's files."""
    return str(home.root / "dian" / "solucion-gratuita")
