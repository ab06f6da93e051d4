"""What every command shares: the home, the clock, output mode, and reading secrets.

Secrets come from a file (``--password-file``), else an environment variable, else a prompt on a
terminal; never from a plain command-line argument (it would land in shell history and ``ps``).
"""

from __future__ import annotations

import functools
import os
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import click

from minica.clock import Clock, clock_for
from minica.errors import InvalidInput
from minica.storage.home import Home

STORE_PASSWORD_ENV = "MINICA_STORE_PASSWORD"
CA_PASSWORD_ENV = "MINICA_CA_PASSWORD"
#: The invoicing software's PIN (``dian`` commands, ``verify``'s CUDE/CUNE), beside ``--pin-file``.
DIAN_PIN_ENV = "MINICA_DIAN_PIN"

F = TypeVar("F", bound=Callable[..., Any])


class AppContext:
    """The global options, as every command sees them (a subcommand's --json, --at or --verbose
    updates them)."""

    def __init__(self, home: Home, clock: Clock, json: bool = False, verbose: bool = False) -> None:
        self.home, self.clock, self.json, self.verbose = home, clock, json, verbose

    def emit(self, data: Any, human: Callable[[], None]) -> None:
        """Print ``data`` as JSON when ``--json`` was given, else run ``human``."""
        if self.json:
            import json  # here: most runs print for people, and each run is a process

            click.echo(json.dumps(data, indent=2, ensure_ascii=False, default=str))
        else:
            human()


def app(ctx: click.Context) -> AppContext:
    obj = ctx.find_object(AppContext)
    if obj is None:  # pragma: no cover - the root group always sets it
        raise click.UsageError("internal: no application context")
    return obj


def json_option(func: F) -> F:
    """``--json`` on a subcommand, same as the global flag."""

    def set_json(ctx: click.Context, _param: click.Parameter, value: bool) -> None:
        if value:
            app(ctx).json = True

    return click.option(
        "--json", "json_output", is_flag=True, expose_value=False, callback=set_json,
        help="Print machine-readable JSON.",
    )(func)


def verbose_option(help_text: str) -> Callable[[F], F]:
    """``--verbose``/``-v`` on a subcommand, same as the global flag; ``help_text`` says what it
    shows there."""

    def set_verbose(ctx: click.Context, _param: click.Parameter, value: bool) -> None:
        if value:
            app(ctx).verbose = True

    def decorate(func: F) -> F:
        return click.option(
            "--verbose", "-v", "verbose", is_flag=True, expose_value=False, callback=set_verbose, help=help_text,
        )(func)

    return decorate


def interactive() -> bool:
    """Whether a person is at the keyboard (a prompt makes sense)."""
    return sys.stdin.isatty()


def at_option(func: F) -> F:
    """``--at TIME`` on a subcommand, same as the global option."""

    def set_clock(ctx: click.Context, _param: click.Parameter, value: str | None) -> None:
        if value:
            app(ctx).clock = clock_for(value)

    return click.option(
        "--at", "at_time", metavar="TIME", expose_value=False, callback=set_clock, is_eager=True,
        help="Pretend it is TIME (ISO-8601), same as the global --at.",
    )(func)


def _read_secret_file(path: Path, what: str) -> str:
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise InvalidInput(f"{what} file {path} does not exist", "check the path") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise InvalidInput(f"cannot read {what} file {path}: {exc}", "check the file") from None
    # Only the final line break is not part of the password (editors add one).
    return text[:-1] if text.endswith("\n") else text


def password_from(
    password_file: Path | None, env_name: str, *, what: str, confirm: bool, required: bool = True,
    file_option: str = "--password-file", prompt: bool = True,
) -> str | None:
    """The secret from ``password_file``, else ``$env_name``, else a (confirmed) prompt on a
    terminal when ``prompt``; ``file_option`` is the option the hint names for the file."""
    if password_file is not None:
        return _read_secret_file(password_file, what).rstrip("\r")
    if os.environ.get(env_name):
        return os.environ[env_name]
    if prompt and interactive():
        return str(click.prompt(what.capitalize(), hide_input=True, confirmation_prompt=confirm))
    if not required:
        return None
    raise InvalidInput(
        f"no {what} given",
        f"use {file_option} FILE, set ${env_name}, or run in a terminal to be asked",
    )


def store_password(password_file: Path | None, *, confirm: bool) -> str:
    value = password_from(password_file, STORE_PASSWORD_ENV, what="keystore password", confirm=confirm)
    assert value is not None
    return value


def ca_password(ca_password_file: Path | None) -> bytes | None:
    """The CA key password, when one is configured (optional by design)."""
    if ca_password_file is not None:
        return _read_secret_file(ca_password_file, "CA password").encode("utf-8")
    value = os.environ.get(CA_PASSWORD_ENV)
    return value.encode("utf-8") if value else None


def password_file_option(func: F) -> F:
    return click.option(
        "--password-file", type=click.Path(dir_okay=False, path_type=Path),
        help=f"File holding the keystore password (else ${STORE_PASSWORD_ENV}, else a prompt).",
    )(func)


def ca_password_option(func: F) -> F:
    return click.option(
        "--ca-password-file", type=click.Path(dir_okay=False, path_type=Path),
        help=f"File holding the CA key password (else ${CA_PASSWORD_ENV}).",
    )(func)


def pass_app(func: Callable[..., Any]) -> Callable[..., Any]:
    """Give a command the :class:`AppContext` as its first argument."""

    @click.pass_context
    @functools.wraps(func)
    def wrapper(ctx: click.Context, *args: Any, **kwargs: Any) -> Any:
        return func(app(ctx), *args, **kwargs)

    return wrapper
