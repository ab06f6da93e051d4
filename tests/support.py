"""Helpers shared by the tests (importable as ``support``): the fixed moment, the CLI runner."""

from __future__ import annotations

import datetime as dt
import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

from click.testing import CliRunner, Result

from minica.clock import COLOMBIA
from minica.storage.home import Home

#: The moment every test lives in unless it travels: 22 Nov 2026, 09:00 in Bogotá.
NOW = dt.datetime(2026, 11, 22, 9, 0, tzinfo=COLOMBIA)
PASSWORD = "Factura#2026"

#: A valid DIAN request form (every rule met), as the CLI's request.json and the API's body take it.
REQUEST_FORM: dict[str, str] = {
    "razon_social": "ACME COMERCIALIZADORA S.A.S.",
    "nit": "900373987-9",
    "tipo_persona": "juridica",
    "departamento": "Antioquia",
    "ciudad": "Medellín",
    "email": "facturacion@acme.example.co",
    "telefono_movil": "+57 310 123 4567",
    "representante_nombres": "María José",
    "representante_apellidos": "Pérez Gómez",
    "representante_tipo_documento": "CC",
    "representante_numero_documento": "1020304050",
    "autoridad_certificacion": "andes",
}


@dataclass
class Cli:
    """Runs ``minica`` in-process against one home at a fixed time (unless ``at`` is given)."""

    home: Home
    at: str | None = NOW.isoformat()

    def __call__(self, *args: str, at: str | None = "default", env: dict[str, str] | None = None,
                 input: str | None = None) -> Result:
        from minica.cli.main import cli

        when = self.at if at == "default" else at
        base = ["--home", str(self.home.root)] + (["--at", when] if when else [])
        return CliRunner().invoke(cli, base + list(args), env=env, input=input, catch_exceptions=False)


def minica_process(
    *args: str, env: dict[str, str] | None = None, timeout: float = 60
) -> subprocess.CompletedProcess[str]:
    """Run the real console script (a separate process), as a user would."""
    full_env = {**os.environ, **(env or {})}
    return subprocess.run(
        [sys.executable, "-m", "minica", *args], capture_output=True, text=True, errors="backslashreplace",
        env=full_env, timeout=timeout, check=False,
    )


def at_instant(moment: dt.datetime = NOW) -> list[str]:
    """The prefix that runs a tool (openssl, …) as if it were ``moment``, via libfaketime.

    Tools that read the wall clock without an option to set it (``openssl req -x509`` makes a
    certificate valid from *now*; ``openssl ocsp`` judges thisUpdate/nextUpdate against *now*) must
    live at the test's instant too, or the test depends on the day it runs.
    """
    utc = moment.astimezone(dt.timezone.utc).strftime("%Y-%m-%d %H:%M:%S")
    return ["env", "TZ=UTC", "faketime", "-f", f"@{utc}"]


def files_under(path: Path) -> set[Path]:
    return {p for p in path.rglob("*") if p.is_file()} if path.exists() else set()



#: xmlsec1 must be told which attributes are Ids (XAdES SignedProperties and the KeyInfo).
XMLSEC_IDS = ("--id-attr:Id", "http://uri.etsi.org/01903/v1.3.2#:SignedProperties",
              "--id-attr:Id", "http://www.w3.org/2000/09/xmldsig#:KeyInfo")


def xmlsec1_verify(document: Path, *, trusted: Path, untrusted: Path, at: str) -> subprocess.CompletedProcess[str]:
    """Verify a signed document with xmlsec1 (an independent verifier), trusting only ``trusted``
    and checking validity at ``at`` ("YYYY-MM-DD HH:MM:SS", UTC); never ``--insecure``."""
    return subprocess.run(
        ["xmlsec1", "--verify", "--trusted-pem", str(trusted), "--untrusted-pem", str(untrusted),
         "--verification-time", at, *XMLSEC_IDS, str(document)],
        capture_output=True, text=True, timeout=60,
    )  # fmt: skip
