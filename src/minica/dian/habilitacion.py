"""Habilitación in one call: DIAN's test set generated, signed, sent and followed to its verdict.

:func:`run_habilitacion` does what ``minica dian habilitacion`` does:

1. registers the company's software with the local DIAN when it has none (or ``register=True``):
   software ID, PIN, TestSetId, numbering range and technical key (:mod:`minica.dian.registration`);
2. in the test set's folder (``<home>/habilitacion/<TestSetId>/``), resumes what an earlier run left
   (:mod:`minica.dian.habilitacion_journal`): polls the batches DIAN took, asks (GetStatus) about
   the documents whose upload got no clear answer;
3. generates the documents the quota still needs — invoices in the range, credit and debit notes
   referencing them — plus the broken ones asked for (:mod:`minica.dian.habilitacion_documents`),
   and signs each with the company's certificate from the habilitación store;
4. sends them with SendTestSetAsync in ZIPs of ``batch_size``, WS-Security signed with that
   certificate (:class:`~minica.dian.client.DianClient`), marking a document ``sent`` only once DIAN
   gave its batch a ZipKey;
5. polls GetStatusZip (bounded by ``polling``) and records each document's answer and DIAN's
   ApplicationResponse beside it.

The set's state is DIAN's rule applied to the answers (accepted when every kind reaches its quota,
rejected at a rejection before that); when the home holds the local DIAN's record of the set, that
record is reported too and decides. Broken documents are sent first, so the set is rejected the way
faulty software gets it rejected; a decided set stays decided (``register=True`` starts a new one).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from minica.clock import Clock
from minica.dian.client import DianClient, default_endpoint, home_credentials, zip_of
from minica.dian.client_errors import DianServiceError
from minica.dian.habilitacion_documents import BreakKind, DocumentMaker
from minica.dian.habilitacion_journal import (
    ACCEPTED,
    KINDS,
    QUOTA_KEYS,
    REJECTED,
    SENT,
    SIGNED,
    Entry,
    Journal,
    locked,
)
from minica.dian.references import InvoiceReference
from minica.dian.registration import (
    RegistrationRequest,
    SoftwareRegistration,
    TestSetQuota,
    list_registrations,
    load_registration,
    register_software,
)
from minica.dian.replies import DianResponse
from minica.dian.sending import RESPONSE_SUFFIX, Polling, upload_refusal, wait_for_zip
from minica.dian.testset import TestSetStatus, test_set_report
from minica.dian.transport import DEFAULT_TIMEOUT
from minica.dian.zip_intake import MAX_ENTRIES
from minica.environment import Environment
from minica.errors import InvalidInput, NotFound
from minica.identity import Nit
from minica.storage.files import atomic_write
from minica.storage.home import Home

HAB = Environment.HABILITACION
IN_PROGRESS = "en_proceso"
_NOTE_PREFIX = {"creditnote": "NC", "debitnote": "ND"}


class Progress(Protocol):
    """Where a run reports its long stages (the CLI draws a bar on a terminal)."""

    def stage(self, label: str, total: int) -> None: ...

    def advance(self, count: int = 1) -> None: ...

    def done(self) -> None: ...


class _Quiet:
    def stage(self, label: str, total: int) -> None:
        pass

    def advance(self, count: int = 1) -> None:
        pass

    def done(self) -> None:
        pass


@dataclass(frozen=True)
class HabilitacionRequest:
    """What to run. ``password`` opens the company's keystores; ``pin`` gives the software PIN, asked
    only when the software is registered now; ``ca_password`` opens the CA key, needed only to issue
    the already-expired certificate of ``--break expired-certificate``."""

    password: bytes = field(repr=False)
    nit: Nit | None = None
    pin: Callable[[], str] | None = field(default=None, repr=False)
    provider_nit: Nit | None = None
    quota: TestSetQuota = field(default_factory=TestSetQuota)
    register: bool = False
    url: str | None = None
    breaks: tuple[BreakKind, ...] = ()
    batch_size: int = 10
    timeout: float = DEFAULT_TIMEOUT
    polling: Polling = field(default_factory=Polling)
    out_dir: Path | None = None
    ca_password: bytes | None = field(default=None, repr=False)

    def __post_init__(self) -> None:
        if not 1 <= self.batch_size <= MAX_ENTRIES:
            raise InvalidInput(f"a batch of {self.batch_size} documents", f"send 1 to {MAX_ENTRIES} per ZIP")
        if len(set(self.breaks)) != len(self.breaks):
            raise InvalidInput("the same --break given twice", "give each kind once")


@dataclass
class HabilitacionReport:
    """What a run did and where the set stands."""

    folder: Path
    registration: SoftwareRegistration
    registered: bool
    url: str
    journal: Journal
    breaks: tuple[BreakKind, ...]
    dian_status: TestSetStatus | None = None
    pending: list[str] = field(default_factory=list)
    error: DianServiceError | None = None

    @property
    def state(self) -> str:
        """The set's state: the local DIAN's record when the home holds one, else DIAN's rule applied
        to the answers this run's journal holds."""
        if self.dian_status is not None:
            return self.dian_status.status
        return self.journal.state

    def count(self, *states: str) -> dict[str, int]:
        totals = {kind: 0 for kind in KINDS}
        for state in states:
            for kind, n in self.journal.count(state).items():
                totals[kind] += n
        return totals

    @property
    def ok(self) -> bool:
        """The set is accepted, nothing was broken on purpose, nothing failed or is still pending."""
        return self.state == "aceptado" and not self.breaks and self.error is None and not self.pending

    def to_json(self) -> dict[str, Any]:
        entries = [{**e.to_json(), "file": str(self.folder / e.file),
                    "application_response": str(self.folder / e.application_response)
                    if e.application_response else None} for e in self.journal.entries]
        return {
            "test_set_id": self.registration.test_set_id, "software_id": self.registration.software_id,
            "nit": self.registration.nit_with_dv, "registered": self.registered, "url": self.url,
            "folder": str(self.folder), "state": self.state, "breaks": [b.value for b in self.breaks],
            "required": self.journal.quota,
            "sent": self.count(SENT, ACCEPTED, REJECTED), "accepted": self.count(ACCEPTED),
            "rejected": self.count(REJECTED), "documents": entries, "pending": self.pending,
            "dian": self.dian_status.to_json() if self.dian_status is not None else None,
            "error": self.error.what if self.error else None, "hint": self.error.hint if self.error else None,
            "ok": self.ok,
        }


def company_nit(home: Home, nit: Nit | None) -> Nit:
    """``nit``, else the only company registered in habilitación, else the only company with a
    certificate in the habilitación store; :class:`InvalidInput` when that is not one."""
    if nit is not None:
        return nit
    registered = sorted({r.nit_with_dv for r in list_registrations(home) if r.environment is HAB})
    if len(registered) == 1:
        return Nit.parse(registered[0])
    if not registered:
        from minica.ca.registry import list_certificates

        holders = sorted({f"{r.nit}-{r.dv}" for r in list_certificates(home) if HAB in r.stores})
        if len(holders) == 1:
            return Nit.parse(holders[0])
        registered = holders
    raise InvalidInput(f"{len(registered) or 'no'} companies in this home could run the test set",
                       "give --nit (issue a certificate first: minica issue --nit … --name …)")


def ensure_registration(home: Home, clock: Clock, request: HabilitacionRequest) -> tuple[SoftwareRegistration, bool]:
    """The company's software registration in habilitación, registered now if it has none (or when
    ``request.register``); and whether it was registered now."""
    nit = company_nit(home, request.nit)
    if not request.register:
        try:
            return load_registration(home, nit, environment=HAB), False
        except NotFound:
            pass
    if request.pin is None:
        raise InvalidInput(f"no software is registered for NIT {nit.with_dv} and no PIN was given",
                           "give the software PIN (--pin-file or $MINICA_DIAN_PIN) to register it")
    return register_software(home, clock, RegistrationRequest(
        nit=nit, pin=request.pin(), provider_nit=request.provider_nit, quota=request.quota)), True


def run_habilitacion(home: Home, clock: Clock, request: HabilitacionRequest,
                     progress: Progress | None = None) -> HabilitacionReport:
    """Run the test set (see the module's docstring). Raises :class:`~minica.errors.MinicaError` for
    what stops it before anything is sent (no certificate, bad input, another run in the folder); a
    failure of the exchange with DIAN is the report's ``error``, after the journal is saved."""
    registration, registered = ensure_registration(home, clock, request)
    folder = request.out_dir or home.root / "habilitacion" / registration.test_set_id
    url = request.url or default_endpoint(home, HAB)
    now = clock.now()
    with locked(folder):
        journal = Journal.open(folder, registration)
        report = HabilitacionReport(folder, registration, registered, url, journal, request.breaks)
        credentials = home_credentials(home, request.password, HAB, at=now, nit=Nit(registration.nit))
        run = _Run(home, request, journal, DianClient(url, credentials, clock, request.timeout), report,
                   progress or _Quiet(),
                   DocumentMaker(home, registration, request.password, now, request.ca_password))
        try:
            run.resume()
            run.prepare()
            run.send()
            run.collect()
        except DianServiceError as exc:
            report.error = exc
        finally:
            journal.save()
        report.dian_status = _dian_record(home, registration)
    return report


def _dian_record(home: Home, registration: SoftwareRegistration) -> TestSetStatus | None:
    """The local DIAN's record of the set, when this home's DIAN received documents for it."""
    try:
        status = test_set_report(home, test_set_id=registration.test_set_id)
    except (NotFound, InvalidInput):
        return None
    return status if sum(status.accepted.values()) + sum(status.rejected.values()) else None


@dataclass
class _Run:
    home: Home
    request: HabilitacionRequest
    journal: Journal
    client: DianClient
    report: HabilitacionReport
    progress: Progress
    maker: DocumentMaker

    def resume(self) -> None:
        """Ask about documents whose upload got no clear answer; drop broken ones never taken."""
        for entry in [e for e in self.journal.entries if e.state == SIGNED and e.attempts]:
            response = self.client.get_status(entry.document_key)
            if response.status_code in ("00", "99"):
                self._answer(entry, response)
        for entry in [e for e in self.journal.entries if e.state == SIGNED and e.broken]:
            self.journal.entries.remove(entry)
            (self.journal.folder / entry.file).unlink(missing_ok=True)
        self.journal.save()

    def _decided(self) -> bool:
        record = _dian_record(self.home, self.report.registration)
        return self.journal.state != IN_PROGRESS or (record is not None and record.status != IN_PROGRESS)

    def prepare(self) -> None:
        """Generate and sign the broken documents asked for and what the quota still needs."""
        planned: list[tuple[str, BreakKind | None]] = [(k, b) for b in self.request.breaks for k in b.kinds]
        if not self._decided():
            quota, have = self.journal.quota, self.journal.count
            waiting = {k: sum(1 for e in self.journal.entries if e.kind == k and e.state == SIGNED) for k in KINDS}
            for kind in KINDS:
                missing = (quota[QUOTA_KEYS[kind]] - have(ACCEPTED)[kind] - have(SENT)[kind] - waiting[kind])
                planned += [(kind, None)] * max(0, missing)
        if any(k != "invoice" for k, _ in planned) and not self._invoices() and not any(
                k == "invoice" and b is None for k, b in planned):
            planned.insert(0, ("invoice", None))  # notes need an invoice to reference
        planned.sort(key=lambda item: KINDS.index(item[0]))  # invoices before the notes that cite them
        if not planned:
            return
        self.progress.stage("signing", len(planned))
        numbering = self.report.registration.numbering
        elsewhere = self.journal.numbers_in_other_sets()
        for count, (kind, broken) in enumerate(planned):
            if kind == "invoice":
                number = self.journal.next_number(kind, numbering.prefix, numbering.from_number)
                made = self.maker.make(kind, number, broken=broken)
                reference = None
            else:
                number = self.journal.next_number(kind, _NOTE_PREFIX[kind], 1, also_used=elsewhere)
                cited = self._invoices()[count % len(self._invoices())]
                made = self.maker.make(kind, number, invoice=InvoiceReference.of_invoice(
                    (self.journal.folder / cited.file).read_bytes()), broken=broken)
                reference = cited.number
            atomic_write(self.journal.folder / f"{number}.xml", made.data, mode=0o644)
            self.journal.entries.append(Entry(number, kind, f"{number}.xml", made.key, reference,
                                              broken.value if broken else None))
            self.journal.save()
            self.progress.advance()
        self.progress.done()

    def _invoices(self) -> list[Entry]:
        return [e for e in self.journal.entries if e.kind == "invoice" and not e.broken and e.state != REJECTED]

    def send(self) -> None:
        """SendTestSetAsync in batches, broken documents first; ``sent`` once DIAN gives a ZipKey."""
        waiting = sorted((e for e in self.journal.entries if e.state == SIGNED), key=lambda e: e.broken is None)
        size = self.request.batch_size
        for start in range(0, len(waiting), size):
            batch = waiting[start:start + size]
            content = zip_of([(e.file, (self.journal.folder / e.file).read_bytes()) for e in batch])
            try:
                upload = self.client.send_test_set_async(f"z{self.journal.nit.split('-')[0]}{batch[0].number}.zip",
                                                         content, self.journal.test_set_id)
            except BaseException:  # a failed exchange, or Ctrl-C while DIAN may be reading the ZIP
                for entry in batch:
                    entry.attempts += 1  # DIAN may have it: asked about (GetStatus) before it is sent again
                raise
            problem = upload_refusal(upload)
            if problem is not None:
                raise DianServiceError(f"DIAN refused the test set's batch ({len(batch)} documents): {problem}",
                                       "nothing of it was taken; fix what it says and run the command again")
            for entry in batch:
                entry.state, entry.zip_key = SENT, upload.zip_key
            self.journal.save()

    def collect(self) -> None:
        """GetStatusZip for every batch awaiting its answer (bounded), recording each document's."""
        sent = [e for e in self.journal.entries if e.state == SENT]
        if not sent:
            return
        self.progress.stage("DIAN validating", len(sent))
        try:
            for zip_key in dict.fromkeys(e.zip_key for e in sent if e.zip_key):
                responses = wait_for_zip(self.client, zip_key, self.request.polling)
                if responses is None:
                    self.report.pending.append(zip_key)
                    continue
                batch = {e.document_key: e for e in sent if e.zip_key == zip_key}
                for response in responses:
                    entry = batch.get((response.document_key or "").lower())
                    if entry is not None and entry.state == SENT:
                        self._answer(entry, response)
                        self.progress.advance()
                self.journal.save()
        finally:
            self.progress.done()

    def _answer(self, entry: Entry, response: DianResponse) -> None:
        entry.status_code = response.status_code
        entry.rules = [r.to_json() for r in response.rules]
        if response.application_response is not None:
            name = entry.file[:-4] + RESPONSE_SUFFIX
            atomic_write(self.journal.folder / name, response.application_response, mode=0o644)
            entry.application_response = name
        self.journal.answer(entry, accepted=response.is_valid)


__all__ = ["BreakKind", "HabilitacionReport", "HabilitacionRequest", "Polling", "Progress", "company_nit",
           "ensure_registration", "run_habilitacion"]
