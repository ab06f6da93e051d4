"""Choosing which certificates ``check`` and ``certs list`` report: by NIT, environment, status,
and leaving out the scenario certificates made to test refusals.

A home used for tests soon holds expired and revoked certificates made on purpose; without a
filter, a cron job that runs ``minica check`` would exit 2 forever. ``--skip-scenarios`` leaves
out exactly those (see :attr:`~minica.ca.registry.CertificateRecord.scenario`) and keeps every
certificate issued for use, so its own expiry is still reported.
"""

from __future__ import annotations

import datetime as _dt
from collections.abc import Iterable
from dataclasses import dataclass

from minica.ca.registry import CertificateRecord
from minica.ca.status import CertificateReport, Status
from minica.environment import Environment
from minica.errors import InvalidInput
from minica.identity import Nit

#: The statuses ``certs list`` knows (a record's :meth:`~CertificateRecord.state`).
RECORD_STATES = ("valid", "expired", "not_yet_valid", "revoked")


def _split(values: Iterable[str]) -> list[str]:
    """``--status expired,revoked --status valid`` → ``[expired, revoked, valid]``."""
    return [part.strip() for value in values for part in value.split(",") if part.strip()]


@dataclass(frozen=True)
class CertificateFilter:
    """What to keep. Empty tuples keep everything; each given criterion must hold."""

    nits: tuple[str, ...] = ()
    environments: tuple[Environment, ...] = ()
    statuses: tuple[str, ...] = ()
    excluded_statuses: tuple[str, ...] = ()
    skip_scenarios: bool = False

    @classmethod
    def parse(
        cls,
        *,
        nits: Iterable[str] = (),
        environments: Iterable[str] = (),
        statuses: Iterable[str] = (),
        excluded_statuses: Iterable[str] = (),
        skip_scenarios: bool = False,
        known_statuses: Iterable[str] = tuple(s.value for s in Status),
    ) -> CertificateFilter:
        """Read the options as typed (a NIT with or without DV, accents in environments, lists
        separated by commas); raises :class:`~minica.errors.InvalidInput` naming a wrong value."""
        known = tuple(known_statuses)

        def status(text: str) -> str:
            value = text.lower().replace("-", "_")
            if value not in known:
                raise InvalidInput(f"unknown status '{text}'", f"use one of {', '.join(known)}")
            return value

        return cls(
            nits=tuple(Nit.parse(n).number for n in _split(nits)),
            environments=tuple(Environment.parse(e) for e in _split(environments)),
            statuses=tuple(status(s) for s in _split(statuses)),
            excluded_statuses=tuple(status(s) for s in _split(excluded_statuses)),
            skip_scenarios=skip_scenarios,
        )

    def _status_kept(self, value: str) -> bool:
        return (not self.statuses or value in self.statuses) and value not in self.excluded_statuses

    def _nit_kept(self, nits: Iterable[str]) -> bool:
        return not self.nits or any(n.split("-")[0] in self.nits for n in nits)

    def keeps_record(self, record: CertificateRecord, now: _dt.datetime | None = None) -> bool:
        """Whether a certificate of the home passes the NIT, environment and scenario criteria,
        and (given ``now``) the status ones."""
        if self.skip_scenarios and record.scenario:
            return False
        if self.environments and not set(self.environments) & set(record.stores):
            return False
        if not self._nit_kept([record.nit]):
            return False
        return now is None or self._status_kept(record.state(now))

    def keeps_report(self, report: CertificateReport) -> bool:
        """Whether ``check``'s verdict on one certificate passes the NIT and status criteria (a
        target that could not be read has no NIT to judge: only its status counts)."""
        unreadable = report.status is Status.UNREADABLE
        return (unreadable or self._nit_kept(report.nits)) and self._status_kept(report.status.value)

    @property
    def about_stores_only(self) -> bool:
        """Criteria that only the home's certificates have (files given on the command line have
        no environment and no issuance record)."""
        return bool(self.environments) or self.skip_scenarios
