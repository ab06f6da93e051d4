"""Sending signed documents to DIAN and following them: what ``minica dian send`` and ``minica dian
status`` do, as a library.

:func:`send_documents` zips each document alone and sends it with the operation its kind takes
(SendBillSync for invoices and notes, SendNominaSync for payroll, SendEventUpdateStatus for an
ApplicationResponse event), or, for a habilitación test set, zips them together (at most
:data:`~minica.dian.zip_intake.MAX_ENTRIES` per ZIP) with SendTestSetAsync and polls GetStatusZip
(:func:`wait_for_zip`, bounded). DIAN's ApplicationResponse of each answered document is written
beside it as ``NAME.application-response.xml``. A failure of the exchange stops the sending: the
documents answered so far are reported, the others are listed as not sent.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from minica.dian.client import DianClient, Parameters, content_parameters, file_parameters, zip_of
from minica.dian.client_errors import DianServiceError
from minica.dian.replies import DianResponse, UploadResult, dian_response
from minica.dian.soap import Operation
from minica.dian.zip_intake import MAX_ENTRIES
from minica.errors import InvalidInput
from minica.signing import namespaces as ns
from minica.signing.document import DocumentKind, UblDocument
from minica.storage.files import atomic_write, read_input

_BILLS = frozenset({DocumentKind.INVOICE, DocumentKind.CREDIT_NOTE, DocumentKind.DEBIT_NOTE})
_NOMINA = frozenset({DocumentKind.NOMINA_INDIVIDUAL, DocumentKind.NOMINA_INDIVIDUAL_DE_AJUSTE})
RESPONSE_SUFFIX = ".application-response.xml"
#: Polls of one batch at the most when the interval is 0 (tests).
MAX_POLLS = 100


@dataclass(frozen=True)
class Polling:
    """How GetStatusZip is polled while DIAN says "Batch en proceso de validación.": every
    ``interval`` seconds, for ``wait`` seconds at most (measured with ``monotonic``, a duration, not
    a time of day). ``sleep`` and ``monotonic`` are injectable so tests never wait."""

    interval: float = 2.0
    wait: float = 300.0
    sleep: Callable[[float], None] = field(default=time.sleep, compare=False)
    monotonic: Callable[[], float] = field(default=time.monotonic, compare=False)

    def __post_init__(self) -> None:
        if not 0 <= self.interval <= 3600 or not 0 <= self.wait <= 86400:
            raise InvalidInput("the poll interval or wait is out of range", "use 0–3600 s and 0–86400 s")

    @property
    def max_polls(self) -> int:
        return MAX_POLLS if self.interval == 0 else max(1, math.ceil(self.wait / self.interval) + 1)


def wait_for_zip(client: DianClient, zip_key: str, polling: Polling) -> list[DianResponse] | None:
    """GetStatusZip until DIAN answers the batch ``zip_key``: its DianResponses, or None when it is
    still being validated after ``polling.wait`` seconds."""
    start = polling.monotonic()
    for attempt in range(1, polling.max_polls + 1):
        responses = client.get_status_zip(zip_key)
        if not (len(responses) == 1 and responses[0].pending):
            return responses
        if attempt == polling.max_polls or polling.monotonic() - start + polling.interval > polling.wait:
            break
        polling.sleep(polling.interval)
    return None


def response_path(document: Path) -> Path:
    """Where DIAN's ApplicationResponse on ``document`` goes: ``NAME.application-response.xml`` beside
    it (``NAME.signed.xml`` gives ``NAME.application-response.xml`` too)."""
    stem = document.name[:-4] if document.name.lower().endswith(".xml") else document.name
    stem = stem[:-7] if stem.endswith(".signed") else stem
    return document.with_name(stem + RESPONSE_SUFFIX)


def save_application_response(document: Path, response: DianResponse) -> Path | None:
    """Write DIAN's ApplicationResponse beside ``document`` (atomically); its path, or None."""
    if response.application_response is None:
        return None
    target = response_path(document)
    atomic_write(target, response.application_response, mode=0o644)
    return target


@dataclass(frozen=True)
class Outgoing:
    """A document read for sending: where it came from, its bytes, kind and CUFE/CUDE/CUNE."""

    path: Path
    data: bytes = field(repr=False)
    kind: DocumentKind
    key: str | None
    supplier_nit: str | None
    environment_id: str | None

    @classmethod
    def read(cls, path: Path) -> Outgoing:
        data = read_input(path, "document")
        document = UblDocument.from_bytes(data)
        return cls(path, data, document.kind, document_key(document), document.supplier_nit,
                   document.profile_execution_id)

    @property
    def entry_name(self) -> str:
        return self.path.name if self.path.name.lower().endswith(".xml") else self.path.name + ".xml"


def document_key(document: UblDocument) -> str | None:
    """The CUFE/CUDE (``cbc:UUID``) or CUNE of a document, lower-case, or None."""
    root, kind = document.root, document.kind
    if kind.is_nomina:
        general = root.find(f"{{{kind.namespace}}}InformacionGeneral")
        value = general.get("CUNE") if general is not None else None
    else:
        value = root.findtext(f"{{{ns.CBC}}}UUID")
    return (value or "").strip().lower() or None


@dataclass(frozen=True)
class Answered:
    """A document and DIAN's answer on it (``application_response``: where it was saved)."""

    document: Path
    response: DianResponse
    application_response: Path | None

    def to_json(self) -> dict[str, Any]:
        return {"file": str(self.document), **self.response.to_json(),
                "application_response": str(self.application_response) if self.application_response else None}


@dataclass
class SendReport:
    """What a send did: the documents DIAN answered; the batches DIAN took (ZipKeys) and those still
    being validated; the documents DIAN did not take (``not_sent``: never sent, or sent without an
    answer that says DIAN has them); the error that stopped the sending, if one did."""

    answered: list[Answered] = field(default_factory=list)
    zip_keys: list[str] = field(default_factory=list)
    pending: list[str] = field(default_factory=list)
    taken: list[Path] = field(default_factory=list)
    not_sent: list[Path] = field(default_factory=list)
    error: DianServiceError | None = None

    @property
    def all_accepted(self) -> bool:
        return (not self.pending and not self.not_sent and self.error is None
                and all(a.response.is_valid for a in self.answered))

    def to_json(self) -> dict[str, Any]:
        return {
            "documents": [a.to_json() for a in self.answered], "zip_keys": self.zip_keys, "pending": self.pending,
            "not_sent": [str(p) for p in self.not_sent],
            "error": self.error.what if self.error else None, "hint": self.error.hint if self.error else None,
            "all_accepted": self.all_accepted,
        }


def read_documents(files: Sequence[Path], *, test_set: bool = False) -> list[Outgoing]:
    """Read every document before sending any: one that is unreadable or that the operation does
    not take (``test_set``: only invoices, credit and debit notes) is refused before anything is sent."""
    if not files:
        raise InvalidInput("no documents to send", "give the signed XML files")
    documents = [Outgoing.read(path) for path in files]
    takes = _BILLS if test_set else _BILLS | _NOMINA | {DocumentKind.APPLICATION_RESPONSE}
    for document in documents:
        if document.kind not in takes:
            raise InvalidInput(f"{document.path} is a {document.kind.value}: "
                               + ("the test set takes invoices, credit and debit notes" if test_set else
                                  "DIAN's web service takes invoices, notes, nómina and ApplicationResponse events"),
                               "send it without --test-set" if test_set else "send a DIAN document")
    if test_set:
        for batch in batches(documents):
            check_unique_names(batch)
    return documents


def send_documents(client: DianClient, documents: Sequence[Outgoing], *, test_set_id: str | None = None,
                   polling: Polling | None = None,
                   on_answer: Callable[[Answered], None] | None = None) -> SendReport:
    """Send ``documents`` (see the module's docstring); never raises for a failed exchange: the
    report's ``error`` says what stopped it."""
    report = SendReport()
    try:
        if test_set_id is not None:
            _send_test_set(client, documents, test_set_id, polling or Polling(), report, on_answer)
        else:
            _send_each(client, documents, report, on_answer)
    except DianServiceError as exc:
        report.error = exc
    report.not_sent = [d.path for d in documents if d.path not in report.taken]
    return report


def sync_request(document: Outgoing) -> tuple[Operation, Parameters]:
    """The operation that takes ``document`` alone, and its parameters: the document in a ZIP of its own."""
    content = zip_of([(document.entry_name, document.data)])
    if document.kind in _BILLS:
        return Operation.SEND_BILL_SYNC, file_parameters(document.path.stem + ".zip", content)
    if document.kind in _NOMINA:
        return Operation.SEND_NOMINA_SYNC, content_parameters(content)
    return Operation.SEND_EVENT_UPDATE_STATUS, content_parameters(content)


def _sync(client: DianClient, document: Outgoing) -> DianResponse:
    operation, parameters = sync_request(document)
    return dian_response(client.call(operation, parameters), client.url)


def _record(report: SendReport, document: Path, response: DianResponse,
            on_answer: Callable[[Answered], None] | None) -> None:
    answered = Answered(document, response, save_application_response(document, response))
    report.answered.append(answered)
    if on_answer is not None:
        on_answer(answered)


def _send_each(client: DianClient, documents: Sequence[Outgoing], report: SendReport,
               on_answer: Callable[[Answered], None] | None) -> None:
    for document in documents:
        response = _sync(client, document)
        report.taken.append(document.path)
        _record(report, document.path, response, on_answer)


def batches(documents: Sequence[Outgoing], size: int = MAX_ENTRIES) -> list[list[Outgoing]]:
    """``documents`` in ZIPs of ``size`` at most, each entry name unique within its ZIP."""
    if not 1 <= size <= MAX_ENTRIES:
        raise InvalidInput(f"a batch of {size} documents", f"send 1 to {MAX_ENTRIES} per ZIP")
    return [list(documents[i:i + size]) for i in range(0, len(documents), size)]


def check_unique_names(batch: Sequence[Outgoing]) -> None:
    names = [d.entry_name for d in batch]
    repeated = sorted({n for n in names if names.count(n) > 1})
    if repeated:
        raise InvalidInput(f"two documents named {repeated[0]} would go in one ZIP", "rename one of them")


def match_responses(batch: Sequence[Outgoing],
                    responses: Sequence[DianResponse]) -> list[tuple[Outgoing, DianResponse]]:
    """Each response with the document it answers: by CUFE/CUDE/CUNE, else by file name."""
    pairs = []
    for response in responses:
        key = (response.document_key or "").lower()
        name = (response.file_name or "").lower()
        found = next((d for d in batch if key and d.key == key), None) or next(
            (d for d in batch if name and d.entry_name.lower() in (name, name + ".xml")), None)
        if found is not None:
            pairs.append((found, response))
    return pairs


def upload_refusal(upload: UploadResult) -> str | None:
    """Why DIAN refused an upload (no ZipKey), or None when it took it."""
    if upload.zip_key:
        return None
    return "; ".join(p.message for p in upload.problems if p.message) or "no ZipKey in the answer"


def _send_test_set(client: DianClient, documents: Sequence[Outgoing], test_set_id: str, polling: Polling,
                   report: SendReport, on_answer: Callable[[Answered], None] | None) -> None:
    sent: list[tuple[str, list[Outgoing]]] = []
    for number, batch in enumerate(batches(documents), 1):
        upload = client.send_test_set_async(f"testset-{number}.zip", zip_of([(d.entry_name, d.data) for d in batch]),
                                            test_set_id)
        problem = upload_refusal(upload)
        if problem is not None:
            raise DianServiceError(f"DIAN refused the test-set batch: {problem}",
                                   "check --test-set (the TestSetId of the registered software) and --env")
        assert upload.zip_key is not None
        report.zip_keys.append(upload.zip_key)
        report.pending.append(upload.zip_key)
        report.taken.extend(d.path for d in batch)
        sent.append((upload.zip_key, batch))
    for zip_key, batch in sent:
        responses = wait_for_zip(client, zip_key, polling)
        if responses is None:
            continue
        report.pending.remove(zip_key)
        for document, response in match_responses(batch, responses):
            _record(report, document.path, response, on_answer)
