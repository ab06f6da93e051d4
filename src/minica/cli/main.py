"""The root ``minica`` group: global options and the one place errors become one line.

Subcommands are imported when they run (:mod:`minica.cli.lazy`), from :data:`COMMANDS`: ``minica
--help`` and ``--version`` import none of them, and ``minica sign`` only the signing stack.
"""

from __future__ import annotations

import gc
import os
import sys
from typing import Any

import click
from click.exceptions import NoArgsIsHelpError

from minica import __version__
from minica.cli.context import AppContext
from minica.cli.lazy import LazyCommands, LazyGroup
from minica.clock import clock_for
from minica.errors import MinicaError, one_line
from minica.storage.home import resolve_home

#: Every subcommand: name → ("module:attribute", the one-line help ``minica --help`` shows, which
#: is the first sentence of the command's own help; a test keeps the two the same).
COMMANDS: LazyCommands = {
    "init": ("minica.cli.ca_commands:init", "Create the root CA and the issuing CA in the home."),
    "issue": ("minica.cli.ca_commands:issue", "Issue a signing certificate into the environments' keystores."),
    "certs": ("minica.cli.ca_commands:certs", "What this CA issued."),
    "revoke": ("minica.cli.ca_commands:revoke", "Revoke a certificate (recorded with the current time)."),
    "check": ("minica.cli.check_command:check",
              "Validity and expiry of the stores, or of .p12/.pfx, PEM/DER or signed XML files."),
    "quickstart": ("minica.cli.quickstart_command:quickstart",
                   "Set everything up in seconds and show where the files are."),
    "sign": ("minica.cli.sign_command:sign", "Sign UBL documents (files or folders) with DIAN's XAdES-EPES profile."),
    "verify": ("minica.cli.verify_command:verify",
               "Verify signed DIAN documents and report every check with its rule code."),
    "crl": ("minica.cli.crl_command:crl",
            "Sign and write the current CRL (increasing CRL number, reason codes, nextUpdate)."),
    "serve": ("minica.cli.serve_command:serve",
              "Serve CA certificates, CRLs, OCSP and the JSON API (/api/v1/openapi.json) until Ctrl-C."),
    "request": ("minica.cli.request:request",
                "The certificate request process: form, CA platform, review, e-mails, vendor loans."),
    "dian": ("minica.cli.dian_commands:dian",
             "DIAN's side, locally: register software, generate and send documents, the test set."),
}


class MinicaGroup(LazyGroup):
    """Turns every :class:`MinicaError` into ``error: what — what to do`` and its exit status,
    and click's usage errors (unknown option, missing argument, bad value) into the same one line
    with status 2, instead of click's usage block."""

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        try:
            return super().parse_args(ctx, args)
        except click.UsageError as exc:
            _usage_fail(ctx, exc)
            raise  # not reached: _usage_fail exits

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except MinicaError as exc:
            _fail(ctx, f"error: {exc}", exc.exit_code)
        except click.UsageError as exc:  # a subcommand's arguments, parsed inside this call
            _usage_fail(ctx, exc)
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


def _usage_fail(ctx: click.Context, exc: click.UsageError) -> None:
    if isinstance(exc, NoArgsIsHelpError):  # a bare group ('minica', 'minica dian'): its help
        exc.show()
        ctx.exit(exc.exit_code)
    command = exc.ctx.command_path if exc.ctx is not None else ctx.command_path
    message = exc.format_message().rstrip(".")
    _fail(ctx, f"error: {message} — see '{command} --help'", exc.exit_code)


def _fail(ctx: click.Context, message: str, code: int) -> None:
    if _verbose(ctx):
        import traceback  # only here: with linecache and tokenize it would slow every command's start

        traceback.print_exc()
    click.echo(one_line(message), err=True)
    ctx.exit(code)


@click.group(cls=MinicaGroup, lazy=COMMANDS, context_settings={"help_option_names": ["-h", "--help"]})
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
    _collect_garbage()
    ctx.obj = AppContext(home=resolve_home(home), clock=clock_for(at), json=json_output, verbose=verbose)


def _collect_garbage() -> None:
    """Turn the cycle collector back on once the command is imported (see :func:`main`), with
    what start-up made set aside for good: it lives as long as the process, so no collection has
    to walk it again (nor, after a fork, touch the pages a worker shares with its parent)."""
    if not gc.isenabled():
        gc.freeze()
        gc.enable()


def main() -> None:
    """Console-script entry point."""
    os.umask(0o077)  # everything minica creates is private unless it says otherwise
    # Until the command runs, the process only imports modules: objects that live as long as it
    # does. Collecting cycles meanwhile would walk them all again and again and find nothing.
    gc.disable()
    cli(prog_name="minica")
