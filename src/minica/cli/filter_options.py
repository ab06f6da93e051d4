"""The options ``check`` and ``certs list`` share to choose certificates (see ``minica.ca.filters``)."""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterable
from typing import Any

import click

from minica.ca.filters import CertificateFilter


def filter_options(statuses: Iterable[str]) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """``--nit``, ``--env``, ``--status``, ``--exclude-status`` and ``--skip-scenarios``; the command
    receives them as one keyword argument ``only`` (a :class:`CertificateFilter`)."""
    known = tuple(statuses)

    def decorate(func: Callable[..., Any]) -> Callable[..., Any]:
        @functools.wraps(func)
        def wrapper(*args: Any, nits: tuple[str, ...], envs: tuple[str, ...], statuses: tuple[str, ...],
                    excluded: tuple[str, ...], skip_scenarios: bool, **kwargs: Any) -> Any:
            only = CertificateFilter.parse(nits=nits, environments=envs, statuses=statuses,
                                           excluded_statuses=excluded, skip_scenarios=skip_scenarios,
                                           known_statuses=known)  # fmt: skip
            return func(*args, only=only, **kwargs)

        options = [
            click.option("--nit", "nits", multiple=True, metavar="NIT",
                         help="Only this NIT's certificates (with or without DV; repeat for more)."),
            click.option("--env", "envs", multiple=True, metavar="ENV",
                         help="Only certificates stored in this environment (habilitacion, produccion)."),
            click.option("--status", "statuses", multiple=True, metavar="STATUS",
                         help=f"Only these statuses ({', '.join(known)}; repeat or separate with commas)."),
            click.option("--exclude-status", "excluded", multiple=True, metavar="STATUS",
                         help="Leave out these statuses."),
            click.option("--skip-scenarios", is_flag=True,
                         help="Leave out certificates made to test refusals: revoked, issued already expired or"
                              " not yet valid, or unable to sign. Certificates issued for use stay, expired or not."),
        ]
        decorated: Callable[..., Any] = wrapper
        for option in reversed(options):
            decorated = option(decorated)
        return decorated

    return decorate
