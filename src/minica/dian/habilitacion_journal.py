"""What ``minica dian habilitacion`` remembers of a test set between runs: ``journal.json`` in the run's
folder, rewritten atomically after every step, and a lock so two runs never send the same set at once.

Each document of the set has one entry and one state:

- ``signed``: generated and signed (the file is in the folder), not taken by DIAN. ``attempts``
  counts uploads that got no answer saying DIAN took it (a timeout, a fault, HTTP 500, …): such a
  document is asked about (GetStatus) before it is sent again, in case DIAN did receive it;
- ``sent``: DIAN took its ZIP and gave a ZipKey; its answer is awaited (GetStatusZip);
- ``accepted`` / ``rejected``: DIAN's answer (StatusCode, rules, the ApplicationResponse's file).

A document is marked ``sent`` only after DIAN's answer gave the ZipKey; a re-run polls what is
``sent``, asks about what is uncertain, and sends only what DIAN never took: nothing accepted is sent
twice.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
from collections.abc import Iterable, Iterator
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from minica.dian.registration import SoftwareRegistration
from minica.errors import InvalidInput, RefusedOperation
from minica.storage.files import atomic_write, private_dir

JOURNAL = "journal.json"
SIGNED, SENT, ACCEPTED, REJECTED = "signed", "sent", "accepted", "rejected"
KINDS = ("invoice", "creditnote", "debitnote")
#: The quota's key for each kind (as :class:`~minica.dian.registration.TestSetQuota` names them).
QUOTA_KEYS = {"invoice": "invoices", "creditnote": "credit_notes", "debitnote": "debit_notes"}
_VERSION = 1


@dataclass
class Entry:
    """One document of the test set and what DIAN made of it."""

    number: str
    kind: str
    file: str
    document_key: str
    references: str | None = None
    broken: str | None = None
    state: str = SIGNED
    zip_key: str | None = None
    attempts: int = 0
    status_code: str | None = None
    rules: list[dict[str, Any]] = field(default_factory=list)
    application_response: str | None = None

    @property
    def answered(self) -> bool:
        return self.state in (ACCEPTED, REJECTED)

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class Journal:
    """A test set's run: the registration it belongs to, its entries in order, and the set's state
    as DIAN's rule decides it from the answers, in the order they came."""

    folder: Path
    test_set_id: str
    software_id: str
    nit: str
    quota: dict[str, int]
    entries: list[Entry] = field(default_factory=list)
    state: str = "en_proceso"

    @property
    def path(self) -> Path:
        return self.folder / JOURNAL

    @classmethod
    def open(cls, folder: Path, registration: SoftwareRegistration) -> Journal:
        """The journal in ``folder``, or a new one for ``registration``'s test set."""
        path = folder / JOURNAL
        if not path.exists():
            return cls(folder, registration.test_set_id, registration.software_id, registration.nit_with_dv,
                       registration.quota.to_json())
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
            if data.get("version") != _VERSION:
                raise ValueError(f"version {data.get('version')!r}")
            journal = cls(folder, data["test_set_id"], data["software_id"], data["nit"], dict(data["quota"]),
                          [Entry(**entry) for entry in data["entries"]], data["state"])
        except (OSError, ValueError, KeyError, TypeError) as exc:
            raise InvalidInput(f"{path} is not a journal minica can read ({exc})",
                               "move the folder away to start this test set's run again") from None
        if journal.test_set_id != registration.test_set_id:
            raise RefusedOperation(f"{path} belongs to test set {journal.test_set_id}, not {registration.test_set_id}",
                                   "give another --out-dir")
        return journal

    def save(self) -> None:
        data = {"version": _VERSION, "test_set_id": self.test_set_id, "software_id": self.software_id,
                "nit": self.nit, "quota": self.quota, "state": self.state,
                "entries": [e.to_json() for e in self.entries]}
        atomic_write(self.path, json.dumps(data, indent=1, ensure_ascii=False).encode("utf-8"), mode=0o600)

    def count(self, state: str) -> dict[str, int]:
        """Entries in ``state`` per kind (``invoice``, ``creditnote``, ``debitnote``)."""
        return {kind: sum(1 for e in self.entries if e.kind == kind and e.state == state) for kind in KINDS}

    def answer(self, entry: Entry, *, accepted: bool) -> None:
        """Record DIAN's verdict on ``entry`` and apply DIAN's rule to the set: accepted once every
        kind reaches its quota, rejected at a rejection before that; decided once."""
        entry.state = ACCEPTED if accepted else REJECTED
        if self.state != "en_proceso":
            return
        done = self.count(ACCEPTED)
        if all(done[kind] >= self.quota[QUOTA_KEYS[kind]] for kind in KINDS):
            self.state = "aceptado"
        elif not accepted:
            self.state = "rechazado"

    def next_number(self, kind: str, prefix: str, first: int, *, also_used: Iterable[str] = ()) -> str:
        """The next number of ``kind`` after those of this journal and ``also_used`` (invoices in the
        range from ``first``, notes NC/ND from 1)."""
        numbers = [*(e.number for e in self.entries if e.kind == kind), *also_used]
        used = [int(n[len(prefix):]) for n in numbers if n.startswith(prefix) and n[len(prefix):].isdigit()]
        return f"{prefix}{max(used) + 1 if used else first}"

    def numbers_in_other_sets(self) -> list[str]:
        """Document numbers the same company used in the other test sets beside this one (the
        journals in the sibling folders). A credit or debit note's CUDE is keyed by the PIN, not by the
        test set: a note numbered as one DIAN already accepted would be "processed before" (rule 90)."""
        found: list[str] = []
        for path in sorted(self.folder.parent.glob(f"*/{JOURNAL}")):
            if path.parent == self.folder:
                continue
            try:
                data = json.loads(path.read_text(encoding="utf-8"))
                if data.get("nit") == self.nit:
                    found += [str(e["number"]) for e in data.get("entries", [])]
            except (OSError, ValueError, KeyError, TypeError):
                continue  # another run's folder we cannot read is not ours to judge
        return found


@contextlib.contextmanager
def locked(folder: Path) -> Iterator[None]:
    """Hold the folder's lock for one run; :class:`RefusedOperation` when another run holds it."""
    private_dir(folder)
    fd = os.open(folder / ".lock", os.O_RDWR | os.O_CREAT, 0o600)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise RefusedOperation(f"another 'minica dian habilitacion' is running on {folder}",
                                   "wait for it to finish (it would send the same documents)") from None
        yield
    finally:
        os.close(fd)
