"""Signing many files: all cores, one failure never stops the others.

Each worker process opens the keystores once (the password reaches workers through the pool's
initializer, in memory only) and signs its share; every file is written atomically, so a failed
document leaves no output at all. Workers die with the command (:mod:`minica.children`), even when it
is killed with SIGKILL.
"""

from __future__ import annotations

import contextlib
import datetime as _dt
import os
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import serialization

from minica.children import die_with_parent
from minica.errors import MinicaError
from minica.signing.document import UblDocument
from minica.signing.policy import DigestAlgorithm, SignerRole
from minica.signing.selection import HomeSigners, Selection
from minica.storage.files import atomic_write, temporary_target
from minica.storage.home import Home

#: Below this many files a process pool costs more than it saves.
PARALLEL_THRESHOLD = 8


@dataclass(frozen=True)
class SignJob:
    source: Path
    target: Path


@dataclass(frozen=True)
class SignOutcome:
    job: SignJob
    error: str | None = None
    #: The CLI's exit status for this failure: 2 for bad input (unreadable, hostile, malformed),
    #: 1 for a refusal (expired certificate, wrong environment, …).
    exit_code: int = 0

    @property
    def ok(self) -> bool:
        return self.error is None


@dataclass(frozen=True)
class SignSettings:
    """Everything a worker needs, picklable (certificates travel as PEM)."""

    home_root: Path
    password: bytes
    selection: Selection
    signing_time: _dt.datetime
    role: SignerRole
    digest: DigestAlgorithm
    trust_pem: tuple[bytes, ...] = ()
    include_chain: bool = False

    def signers(self) -> HomeSigners:
        trust = tuple(x509.load_pem_x509_certificate(p) for p in self.trust_pem)
        return HomeSigners(Home(self.home_root), self.password, self.selection, self.signing_time, trust)


def pem_of(certificates: Sequence[x509.Certificate]) -> tuple[bytes, ...]:
    return tuple(c.public_bytes(serialization.Encoding.PEM) for c in certificates)


def sign_one(job: SignJob, settings: SignSettings, signers: HomeSigners) -> SignOutcome:
    """Sign one file; any minica error becomes the outcome's message."""
    try:
        data = job.source.read_bytes()
    except OSError as exc:
        return SignOutcome(job, f"cannot read {job.source}: {exc.strerror}", 2)
    try:
        signer = signers.for_document(UblDocument.from_bytes(data))
        signed = signer.sign(data, signing_time=settings.signing_time, role=settings.role,
                             digest=settings.digest, include_chain=settings.include_chain)
        atomic_write(job.target, signed, mode=0o644)
    except MinicaError as exc:
        return SignOutcome(job, str(exc), exc.exit_code)
    except OSError as exc:
        return SignOutcome(job, f"cannot write {job.target}: {exc.strerror}", 1)
    return SignOutcome(job)


# Per-process state of pool workers.
_worker: tuple[SignSettings, HomeSigners] | None = None


def _init_worker(settings: SignSettings, parent_pid: int) -> None:
    global _worker
    die_with_parent(parent_pid)  # a killed `minica sign DIR` must not leave workers holding its keys
    _worker = (settings, settings.signers())


def _work(job: SignJob) -> SignOutcome:
    assert _worker is not None
    return sign_one(job, *_worker)


def sign_many(
    jobs: Sequence[SignJob],
    settings: SignSettings,
    *,
    workers: int | None = None,
    on_done: Callable[[SignOutcome], None] | None = None,
) -> list[SignOutcome]:
    """Sign ``jobs``, in parallel when there are many; outcomes in the jobs' order."""
    count = workers or os.cpu_count() or 1
    remove_stale_temporaries(jobs)
    outcomes: list[SignOutcome] = []
    for outcome in _run(jobs, settings, count):
        outcomes.append(outcome)
        if on_done:
            on_done(outcome)
    return outcomes


def remove_stale_temporaries(jobs: Sequence[SignJob]) -> None:
    """Remove what a killed earlier run left half-written for these targets."""
    by_folder: dict[Path, set[str]] = {}
    for job in jobs:
        by_folder.setdefault(job.target.parent, set()).add(job.target.name)
    for folder, names in by_folder.items():
        try:
            entries = list(os.scandir(folder))
        except OSError:
            continue
        for entry in entries:
            if temporary_target(entry.name) in names and entry.is_file(follow_symlinks=False):
                with contextlib.suppress(FileNotFoundError):
                    os.unlink(entry.path)


def _run(jobs: Sequence[SignJob], settings: SignSettings, workers: int) -> Iterator[SignOutcome]:
    if workers <= 1 or len(jobs) < PARALLEL_THRESHOLD:
        signers = settings.signers()
        for job in jobs:
            yield sign_one(job, settings, signers)
        return
    chunk = max(1, min(64, len(jobs) // (workers * 8)))
    with ProcessPoolExecutor(max_workers=workers, initializer=_init_worker,
                             initargs=(settings, os.getpid())) as pool:
        yield from pool.map(_work, jobs, chunksize=chunk)
