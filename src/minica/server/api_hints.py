"""The API's words for a library error: endpoints and fields instead of CLI commands and flags,
and no server paths.

The library's errors are written for the person at the command line (``give --reference``,
``minica request section RADICADO NAME``); a client of the HTTP API can do nothing with a flag or
with the server's absolute keystore path. :func:`for_api` rewrites an error's text for the API:
known CLI phrases become the endpoint and field that do the same, paths inside the server's home
become relative to it (a keystore is named ``stores/habilitacion/….p12``), other absolute paths
lose their folders, and a hint that still names a CLI command or flag is replaced by a pointer to
the endpoint's description.
"""

from __future__ import annotations

import re
from pathlib import Path

_REQUEST = "/api/v1/requests/{radicado}"

#: (CLI phrase, API phrase), tried in order. Patterns, so quoted parts can be carried over.
_PHRASES: tuple[tuple[str, str], ...] = (
    (r"`minica request section RADICADO NAME`", f"POST {_REQUEST}/sections/{{section}}"),
    (r"`minica request attach RADICADO --kind KIND FILE\.pdf`",
     f"POST {_REQUEST}/documents with kind, filename and content_base64"),
    (r"`minica request finalize`", f"POST {_REQUEST}/finalize"),
    (r"`minica request pay`", f"POST {_REQUEST}/payment"),
    (r"`minica request loan start`", f"POST {_REQUEST}/loan"),
    (r"`minica request loan upload`", f"POST {_REQUEST}/loan/letter"),
    (r"`minica request loan certificate`", "POST /api/v1/vendor/certificate"),
    (r"`minica request login`", f"POST {_REQUEST}/login"),
    (r"`minica request outbox`", "GET /api/v1/outbox"),
    (r"`minica request list`", "GET /api/v1/requests"),
    (r"`(?:minica )?request (?:pay|loan start) --help`", "/api/v1/openapi.json"),
    (r"`minica certs show SERIAL`", "GET /api/v1/certificates/{serial}"),
    (r"'minica certs list'", "GET /api/v1/certificates"),
    (r"\(--password-file, \$MINICA_STORE_PASSWORD or the prompt\)", "(the field 'password')"),
    (r"--new-password-file, or answer the prompt", "the field 'new_password'"),
    (r"--reason '([^']*)'", r"the field 'reason', e.g. '\1'"),
    (r"give --reference", "give the field 'reference'"),
    (r"--nit, --serial or --store", "the field 'nit' or 'serial'"),
    (r"--serial, --nit and --store", "'serial' and 'nit'"),
    (r"\(--env (\w+), or leave --env out\)", r"(the field 'environment': '\1', or leave it out)"),
    (r"choose with --env", "choose with the field 'environment'"),
    (r"or choose with --store", "or choose another with the field 'serial'"),
    (r"\('minica issue[^)]*\)", "(POST /api/v1/certificates)"),
    (r"set \$MINICA_CA_PASSWORD or pass --ca-password-file|check \$MINICA_CA_PASSWORD / --ca-password-file"
     r"|set \$MINICA_CA_PASSWORD \(or --ca-password-file\) to the CA password",
     "the server holds no (right) CA password: its operator restarts it with $MINICA_CA_PASSWORD"),
)

#: What still reads as a CLI instruction after the rewriting: a backquoted command, ``minica X``
#: in quotes, or a ``--flag``.
_CLI_LEFT = re.compile(r"`minica |'minica [a-z]|(?:^|[\s(])--[a-z]")
_ABSOLUTE = re.compile(r"(?<![\w.:/])/(?:[^\s/'\"(),;]+/)+([^\s/'\"(),;]+)")


def _paths(text: str, home: Path | None) -> str:
    if home is not None:
        text = text.replace(f"{home}/", "").replace(str(home), "the server's home")
    return _ABSOLUTE.sub(lambda m: m.group(1), text)


def for_api(what: str, hint: str, *, method: str, path: str, home: Path | None) -> tuple[str, str]:
    """The error ``what`` and ``hint`` as the API says them, for a request ``method path``."""
    what, hint = _paths(what, home), _paths(hint, home)  # before the endpoints come in
    for pattern, replacement in _PHRASES:
        hint = re.sub(pattern, replacement, hint)
        what = re.sub(pattern, replacement, what)
    if _CLI_LEFT.search(hint):
        hint = f"see {method} {path} in /api/v1/openapi.json for the fields to send"
    return what, hint
