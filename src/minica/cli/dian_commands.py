"""``minica dian …``: DIAN's side, locally. Each subcommand lives in its own module and is added
to the group in :func:`_register`."""

from __future__ import annotations

import click


@click.group()
def dian() -> None:
    """DIAN's side, locally: register software, generate and send documents, the test set."""


def _register() -> None:
    from minica.cli import dian_generate_command, dian_service_commands

    commands: list[click.Command] = [
        dian_service_commands.register,
        dian_service_commands.documents,
        dian_service_commands.testset,
        dian_generate_command.generate_command,
    ]  # e.g. dian_generate_command.generate
    for command in commands:
        dian.add_command(command)


_register()
