"""Command groups whose subcommands are imported only when one of them runs.

A process per command is how much invoicing software calls ``minica`` (a PHP, .NET or Java program
shells out per invoice), so ``minica sign`` must not pay for importing the server, the request
process or the DIAN service, and ``minica --help`` or ``--version`` for anything at all. A
:class:`LazyGroup` knows its subcommands from a table, name → (``"package.module:attribute"``,
one-line help): listing them (``--help``) imports nothing; running one imports its module only.
"""

from __future__ import annotations

import importlib
from collections.abc import Mapping
from typing import Any

import click

#: name → ("package.module:attribute", the one-line help shown by the group's --help).
LazyCommands = Mapping[str, tuple[str, str]]


def load_command(target: str) -> click.Command:
    """Import ``"package.module:attribute"`` and return that command."""
    module, _, attribute = target.partition(":")
    command = getattr(importlib.import_module(module), attribute)
    if not isinstance(command, click.Command):
        raise TypeError(f"{target} is not a click command")
    return command


class LazyGroup(click.Group):
    """A click group that imports each subcommand of ``lazy`` on first use (commands added with
    ``add_command`` work as usual)."""

    def __init__(self, *args: Any, lazy: LazyCommands | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.lazy: dict[str, tuple[str, str]] = dict(lazy or {})

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted({*super().list_commands(ctx), *self.lazy})

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name not in self.commands and cmd_name in self.lazy:
            self.add_command(load_command(self.lazy[cmd_name][0]), cmd_name)
        return super().get_command(ctx, cmd_name)

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        """The commands and their one-line help, from the table for those not imported yet."""
        rows: list[tuple[str, click.Command]] = []
        for name in self.list_commands(ctx):
            if name not in self.commands and name in self.lazy:
                rows.append((name, click.Command(name, help=self.lazy[name][1])))  # a stand-in for its help
                continue
            command = self.get_command(ctx, name)
            if command is not None and not command.hidden:
                rows.append((name, command))
        if not rows:
            return
        limit = formatter.width - 6 - max(len(name) for name, _ in rows)
        with formatter.section("Commands"):
            formatter.write_dl([(name, command.get_short_help_str(limit)) for name, command in rows])
