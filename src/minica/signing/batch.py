"""Signing many files: all cores, one failure never stops the others.

Each worker process opens the keystores once (the password reaches workers through the pool's
initializer, in memory only) and signs its share; every file is written atomically, so a failed
document leaves no output at all. Workers die with the command (:mod:`minica.children`), even when it
is killed with SIGKILL.

Ctrl-C (SIGINT, which the terminal sends to the workers too) is the parent's to handle: workers
ignore it and finish the documents they have started, no new one starts, and :func:`sign_many`
raises :class:`BatchInterrupted` with every outcome so far. A second Ctrl-C stops without waiting;
whatever a killed worker left half-written is removed by the next run (``remove_stale_temporaries``).
"""

from __future__ import annotations

import contextlib
import datetime as _dt
import os
from collections import deque
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, NamedTuple

from cryptography import x509
from cryptography.hazmat.primitives import serialization

from minica.errors import MinicaError
from minica.signing.document import UblDocument
from minica.signing.policy import DigestAlgorithm, SignerRole
from minica.signing.selection import HomeSigners, Selection
from minica.storage.files import FileWrite, atomic_write_all, temporary_target
from minica.storage.home import Home

if TYPE_CHECKING:
    from concurrent.futures import Future

#: Starting a pool of worker processes costs about what signing 50 small invoices in one process
#: does (importing ``concurrent.futures.process``, the forks, each worker opening the database and
#: the keystore: 40–55 ms on 2 cores, measured with ``minica sign DIR`` on 16, 32 and 64 invoices),
#: so a batch goes to the pool only when it is worth at least this many small invoices. On 2 cores
#: 16 invoices took 24 % longer in a pool, 64 took as long, 2,000 took 60–70 % as long.
POOL_MINIMUM = 64
#: What a document is worth in small invoices: one each, plus one per this many bytes (signing
#: costs about 1.4 ms a document plus 34 µs a kilobyte: 16 medium invoices of 145 KB are
#: worth 74 and took as long in a pool; two 6.9 MB invoices, worth 347, took a third less).
BYTES_PER_INVOICE = 40_000

# The records below are named tuples rather than dataclasses: a frozen dataclass costs about as
# much to define at import (its generated methods are compiled) as signing an invoice does.


class SignJob(NamedTuple):
    """Sign ``source`` into ``target``; an existing ``target`` is replaced only when ``replace``."""

    source: Path
    target: Path
    replace: bool = True


class BatchInterrupted(KeyboardInterrupt):
    """Ctrl-C stopped a batch: ``outcomes`` are the documents finished (signed or failed), in the
    jobs' order, out of ``total``; no other file was written or half-written."""

    def __init__(self, outcomes: list[SignOutcome], total: int) -> None:
        super().__init__(f"interrupted after {len(outcomes)} of {total} documents")
        self.outcomes = outcomes
        self.total = total


class SignOutcome(NamedTuple):
    job: SignJob
    error: str | None = None
    #: The CLI's exit status for this failure: 2 for bad input (unreadable, hostile, malformed),
    #: 1 for a refusal (expired certificate, wrong environment, …).
    exit_code: int = 0

    @property
    def ok(self) -> bool:
        return self.error is None


class SignSettings(NamedTuple):
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
    return write_group([(job, sign_bytes(job, settings, signers))])[0]


def sign_bytes(job: SignJob, settings: SignSettings, signers: HomeSigners) -> bytes | SignOutcome:
    """The signed document of ``job``'s source, or the outcome saying why there is none."""
    try:
        data = job.source.read_bytes()
    except OSError as exc:
        return SignOutcome(job, f"cannot read {job.source}: {exc.strerror}", 2)
    try:
        document = UblDocument.from_bytes(data)  # the one parse: it picks the signer and is signed
        signer = signers.for_document(document)
        return signer.sign(document, signing_time=settings.signing_time, role=settings.role,
                           digest=settings.digest, include_chain=settings.include_chain)
    except MinicaError as exc:
        return SignOutcome(job, str(exc), exc.exit_code)


def write_group(group: Sequence[tuple[SignJob, bytes | SignOutcome]]) -> list[SignOutcome]:
    """Write a group's signed documents, made durable together (:func:`atomic_write_all`); the
    outcomes of the whole group, in order (those that had failed already, as they were)."""
    writes = [(job, signed) for job, signed in group if not isinstance(signed, SignOutcome)]
    errors = iter(atomic_write_all([FileWrite(job.target, signed, 0o644, not job.replace) for job, signed in writes]))
    return [signed if isinstance(signed, SignOutcome) else _written(job, next(errors)) for job, signed in group]


def _written(job: SignJob, error: OSError | None) -> SignOutcome:
    if error is None:
        return SignOutcome(job)
    if isinstance(error, FileExistsError):
        return SignOutcome(job, f"{job.target} already exists — replace it with --force", 1)
    return SignOutcome(job, f"cannot write {job.target}: {error.strerror}", 1)


#: A group of documents written together: at most this many, or this many bytes.
GROUP_DOCUMENTS = 16
GROUP_BYTES = 8 << 20
#: Groups handed to the writer and not yet written, at most (bounds the memory they hold).
GROUPS_AHEAD = 2


def _sign_in_order(jobs: Sequence[SignJob], settings: SignSettings, done: Callable[[SignOutcome], None]) -> None:
    """Sign ``jobs`` in this process, writing them in a thread of its own, a group at a time: the
    disk's time (one flush per group) overlaps the signing of the next documents instead of adding
    to it. ``done`` has each outcome, in order, once its file is written; whatever stops the loop
    (Ctrl-C), the documents already signed are written and reported first, each once.

    Measured on 2,000 small invoices on a virtual disk: a flush per file cost about 0.6 ms of wall
    time and 0.35 ms of the kernel's CPU; one per group of 16, about a third of both.
    """
    from concurrent.futures import ThreadPoolExecutor  # only for batches: one file needs none

    signers = settings.signers()
    group: list[tuple[SignJob, bytes | SignOutcome]] = []
    size = 0
    # Groups handed to the writer, each with how many of its outcomes ``done`` has had: a group
    # leaves only when all of them are reported, so a Ctrl-C while waiting for it or inside
    # ``done`` loses none (the ``finally`` reports the rest).
    writing: deque[tuple[Future[list[SignOutcome]], list[int]]] = deque()

    def hand_over(writer: ThreadPoolExecutor) -> None:
        nonlocal group, size
        if group:
            handed, group, size = group, [], 0
            with _ctrl_c_held():  # a Ctrl-C between submit and append would write it unreported
                writing.append((writer.submit(write_group, handed), [0]))

    def report(ahead: int) -> None:
        """Report the groups written, and wait for the oldest while more than ``ahead`` are left."""
        while writing and (len(writing) > ahead or writing[0][0].done()):
            future, reported = writing[0]
            outcomes = future.result()
            while reported[0] < len(outcomes):
                reported[0] += 1
                done(outcomes[reported[0] - 1])
            writing.popleft()

    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="minica-write") as writer:
        try:
            for job in jobs:
                signed = sign_bytes(job, settings, signers)
                group.append((job, signed))
                size += len(signed) if isinstance(signed, bytes) else 0
                if len(group) >= GROUP_DOCUMENTS or size >= GROUP_BYTES:
                    hand_over(writer)
                report(GROUPS_AHEAD)
        finally:
            hand_over(writer)
            stopped: KeyboardInterrupt | None = None
            while True:  # even a Ctrl-C in the last reports leaves none of the written unreported
                try:
                    report(0)
                    break
                except KeyboardInterrupt as interrupt:
                    stopped = interrupt
            if stopped is not None:
                raise stopped


@contextlib.contextmanager
def _ctrl_c_held() -> Iterator[None]:
    """SIGINT held back (delivered on leaving) where the system can, around steps that must not be
    split."""
    import signal

    if not hasattr(signal, "pthread_sigmask"):  # pragma: no cover - Windows
        yield
        return
    blocked = signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT})
    try:
        yield
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, blocked)


# Per-process state of pool workers.
_worker: tuple[SignSettings, HomeSigners] | None = None


def _init_worker(settings: SignSettings, parent_pid: int) -> None:
    global _worker
    import signal  # here, as below: one file never pays for importing it

    from minica.children import die_with_parent  # here: one file never loads ctypes

    die_with_parent(parent_pid)  # a killed `minica sign DIR` must not leave workers holding its keys
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the parent's: it decides what stops
    signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGINT})  # blocked while the pool forked us
    _worker = (settings, settings.signers())


#: A job as it travels to a worker (plain strings pickle faster than paths), and its result back.
_PlainJob = tuple[str, str, bool]
_PlainResult = tuple["str | None", int]


def _work(jobs: Sequence[_PlainJob]) -> list[_PlainResult]:
    assert _worker is not None
    settings, signers = _worker
    chunk = [SignJob(Path(source), Path(target), replace) for source, target, replace in jobs]
    # Signed, then written together: a writer thread would overlap nothing (the chunk's outcomes
    # wait for its files) and only add GIL hand-offs.
    outcomes = write_group([(job, sign_bytes(job, settings, signers)) for job in chunk])
    return [(outcome.error, outcome.exit_code) for outcome in outcomes]


def sign_many(
    jobs: Sequence[SignJob],
    settings: SignSettings,
    *,
    workers: int | None = None,
    on_done: Callable[[SignOutcome], None] | None = None,
) -> list[SignOutcome]:
    """Sign ``jobs``, in worker processes when that pays (:func:`pool_pays`); outcomes in the jobs' order.

    ``on_done`` sees each outcome as it comes (in order). Raises :class:`BatchInterrupted` on
    Ctrl-C, after the documents in progress are finished.
    """
    count = workers or os.cpu_count() or 1
    remove_stale_temporaries(jobs)
    outcomes: list[SignOutcome] = []

    def done(outcome: SignOutcome) -> None:
        outcomes.append(outcome)
        if on_done:
            on_done(outcome)

    try:
        if len(jobs) == 1:
            done(sign_one(jobs[0], settings, settings.signers()))
        elif count <= 1 or not pool_pays(jobs):
            _sign_in_order(jobs, settings, done)
        else:
            _sign_in_pool(jobs, settings, count, done)
    except KeyboardInterrupt:
        raise BatchInterrupted(outcomes, len(jobs)) from None
    return outcomes


def pool_pays(jobs: Sequence[SignJob]) -> bool:
    """Whether signing ``jobs`` in worker processes is faster than in this one
    (:data:`POOL_MINIMUM`): many documents, or a few large ones."""
    if len(jobs) >= POOL_MINIMUM:
        return True
    size = 0
    for job in jobs:
        with contextlib.suppress(OSError):  # an unreadable file is reported when its turn comes
            size += os.stat(job.source).st_size
    return len(jobs) + size / BYTES_PER_INVOICE >= POOL_MINIMUM


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


def _sign_in_pool(
    jobs: Sequence[SignJob], settings: SignSettings, workers: int, done: Callable[[SignOutcome], None]
) -> None:
    """Sign in ``workers`` processes, chunk by chunk, reporting outcomes in order to ``done``."""
    from concurrent.futures import ProcessPoolExecutor  # here: one file never pays for importing it

    # Small chunks: the last one decides when the batch ends, and a worker with nothing left idles
    # meanwhile (a chunk costs a pickle and a pipe message, far less than one document).
    size = max(1, min(16, len(jobs) // (workers * 8)))
    pool = ProcessPoolExecutor(max_workers=workers, initializer=_init_worker, initargs=(settings, os.getpid()))
    chunks = [jobs[i : i + size] for i in range(0, len(jobs), size)]
    futures: list[Future[list[_PlainResult]]] = []
    reported = [0] * len(chunks)  # outcomes of each chunk handed to done()
    wait = True
    try:
        # The workers are forked inside submit(): with SIGINT held back, so none dies of a Ctrl-C
        # before its initializer ignores it. A Ctrl-C meanwhile comes here on leaving.
        with _ctrl_c_held():
            futures += (pool.submit(_work, [(str(j.source), str(j.target), j.replace) for j in chunk])
                        for chunk in chunks)
        _report(chunks, futures, reported, done)
    except KeyboardInterrupt:
        for future in futures:  # chunks not started never start
            future.cancel()
        try:
            _report(chunks, futures, reported, done)  # the documents in progress, finished meanwhile
        except KeyboardInterrupt:  # a second Ctrl-C: stop now (the workers die with us)
            wait = False
        raise
    finally:
        pool.shutdown(wait=wait, cancel_futures=True)


def _report(
    chunks: Sequence[Sequence[SignJob]],
    futures: Sequence[Future[list[_PlainResult]]],
    reported: list[int],
    done: Callable[[SignOutcome], None],
) -> None:
    """Hand ``done`` the outcomes of each chunk in order, those it has not had yet; cancelled
    chunks (never started) have none."""
    for index, (chunk, future) in enumerate(zip(chunks, futures, strict=False)):
        if future.cancelled():
            continue
        results = future.result()
        for job, (error, exit_code) in list(zip(chunk, results, strict=True))[reported[index] :]:
            reported[index] += 1
            done(SignOutcome(job, error, exit_code))
