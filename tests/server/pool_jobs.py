"""Jobs for the worker-pool tests, run inside worker processes (importable as ``pool_jobs``:
workers get the test process's ``sys.path``). No heavy imports: a worker starts fast."""

from __future__ import annotations

import os
import threading

from minica.ca.requests.form import InvalidRequestForm
from minica.errors import WeakPassword


def pid() -> int:
    return os.getpid()


def echo(value: object) -> object:
    return value


def never_ends() -> None:
    """Waits on an event nobody can set: only the pool's kill ends it."""
    threading.Event().wait()


def refuse_password() -> None:
    raise WeakPassword("the password is too short", "use at least 8 characters")


def refuse_form() -> None:
    raise InvalidRequestForm({"nit": "the check digit is wrong", "email": "not an e-mail"})


def bug() -> None:
    {}["missing"]  # noqa: B018 - a KeyError, as a bug would raise


def crash() -> None:
    os._exit(3)
