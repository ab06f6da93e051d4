"""The root ``minica`` group: global options and the one place errors become one line."""

from __future__ import annotations

import os
import sys
import traceback
from typing import Any

import click

from minica import __version__
from minica.cli.context import AppContext
from minica.clock import clock_for
from minica.errors import MinicaError, one_line
from minica.storage.home import resolve_home


class MinicaGroup(click.Group):
    """Turns every :class:`MinicaError` into ``error: what — what to do`` and its exit status."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except MinicaError as exc:
            _fail(ctx, f"error: {exc}", exc.exit_code)
        except (click.exceptions.Exit, click.ClickException, click.Abort):
            raise
        except BrokenPipeError:
            # The reader went away (e.g. '| head'): stop quietly, as Unix tools do.
            sys.stdout = open(os.devnull, "w")  # noqa: SIM115 - replaces the closed pipe for exit
            ctx.exit(141)
        except KeyboardInterrupt:
            _fail(ctx, "error: interrupted — nothing was left half-written", 130)
        except Exception as exc:  # noqa: BLE001 - the last line of defence
            _fail(
                ctx,
                f"error: unexpected {type(exc).__name__}: {exc} — rerun with --verbose and report it",
                1,
            )


def _verbose(ctx: click.Context) -> bool:
    obj = ctx.find_object(AppContext)
    return bool(obj and obj.verbose) or "--verbose" in sys.argv[1:]


def _fail(ctx: click.Context, message: str, code: int) -> None:
    if _verbose(ctx):
        traceback.print_exc()
    click.echo(one_line(message), err=True)
    ctx.exit(code)


@click.group(cls=MinicaGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.option(
    "--home", type=click.Path(file_okay=False), envvar="MINICA_HOME",
    help="The CA's folder (default $MINICA_HOME, else $XDG_DATA_HOME/minica).",
)
@click.option(
    "--at", "at", metavar="TIME", envvar="MINICA_NOW",
    help="Pretend it is TIME (ISO-8601; a bare date is Colombian time). Also $MINICA_NOW.",
)
@click.option("--json", "json_output", is_flag=True, help="Print machine-readable JSON.")
@click.option("--verbose", "-v", is_flag=True, help="Show tracebacks on errors.")
@click.version_option(__version__, prog_name="minica")
@click.pass_context
def cli(ctx: click.Context, home: str | None, at: str | None, json_output: bool, verbose: bool) -> None:
    """minica: a local mock CA, keystores and DIAN XAdES-EPES signing for Colombian e-invoicing."""
    ctx.obj = AppContext(home=resolve_home(home), clock=clock_for(at), json=json_output, verbose=verbose)


def _register() -> None:
    from minica.cli import (
        ca_commands,
        check_command,
        crl_command,
        dian_commands,
        quickstart_command,
        request,
        serve_command,
        sign_command,
        verify_command,
    )

    for command in (
        ca_commands.init,
        ca_commands.issue,
        ca_commands.certs,
        ca_commands.revoke,
        check_command.check,
        quickstart_command.quickstart,
        sign_command.sign,
        verify_command.verify,
        crl_command.crl,
        serve_command.serve,
        request.request,
        dian_commands.dian,
    ):
        cli.add_command(command)


_register()


def main() -> None:
    """Console-script entry point."""
    os.umask(0o077)  # everything minica creates is private unless it says otherwise
    cli(prog_name="minica")
