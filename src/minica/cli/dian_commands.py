"""``minica dian …``: DIAN's side, locally. Each subcommand lives in its own module and is listed
in :data:`COMMANDS`, which the group imports only when that subcommand runs (see
:mod:`minica.cli.lazy`)."""

from __future__ import annotations

import click

from minica.cli.lazy import LazyCommands, LazyGroup

#: name → ("module:attribute", the one-line help ``minica dian --help`` shows: the first sentence
#: of the command's own help; a test keeps the two the same).
COMMANDS: LazyCommands = {
    "register": ("minica.cli.dian_service_commands:register",
                 "Register invoicing software: software ID, TestSetId, numbering range and technical key."),
    "documents": ("minica.cli.dian_service_commands:documents",
                  "What the local DIAN received (minica serve): documents, status codes and rules, newest first."),
    "testset": ("minica.cli.dian_service_commands:testset", "The habilitación test set: counters and state."),
    "generate": ("minica.cli.dian_generate_command:generate_command",
                 "Write an unsigned DIAN document: invoice, creditnote, debitnote or nomina."),
    "send": ("minica.cli.dian_client_commands:send",
             "Send signed documents to DIAN (WS-Security signed) and print DIAN's answers."),
    "status": ("minica.cli.dian_client_commands:status",
               "Ask DIAN about a document (its CUFE/CUDE/CUNE: GetStatus) or a batch (its ZipKey: GetStatusZip)."),
    "habilitacion": ("minica.cli.dian_habilitacion_command:habilitacion",
                     "Run DIAN's habilitación test set: register, generate, sign, send, follow to the verdict."),
}


@click.group(cls=LazyGroup, lazy=COMMANDS)
def dian() -> None:
    """DIAN's side, locally: register software, generate and send documents, the test set."""
