"""Every command that changes the home survives ``kill -9`` at any point.

For each command: build the state before it, run it once uninterrupted (the state after it), then
run it again from the state before, killed with SIGKILL at chosen points (see ``killpoints``): every
file-changing step, and random other moments. After each kill, the next command's recovery runs and
the home must be consistent (SQLite integrity, every row has its file and every file its row, no
temporary files, every request in a state the process continues from) and exactly as before the
command or as after it; from "before", running the command again must finish the job.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import os
import random
import shutil
import sqlite3
import sys
import uuid
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

sys.path.insert(0, str(Path(__file__).parent))  # for ``killpoints``
sys.path.insert(0, str(Path(__file__).parents[1] / "requests"))  # for ``request_support``

import killpoints
from request_support import FORM, STORE_PASSWORD, T0, at, complete, filed_and_signed_in, temporary_password

from minica.ca.hierarchy import create_authority
from minica.ca.issuance import IssueRequest, issue_certificate
from minica.ca.requests import form as request_form
from minica.ca.requests import process
from minica.ca.requests.pdf import simple_pdf
from minica.ca.requests.records import Status
from minica.identity import Nit
from minica.signing import batch
from minica.storage.files import temporary_target
from minica.storage.home import Home
from minica.storage.recovery import STAGED_CA, journal_dir, recover

TESTDATA = Path(__file__).parents[2] / "testdata"
#: Kill points per command: every file-changing step up to this many, then random moments
#: ($MINICA_KILLS=1000 kills at every event of every command: minutes instead of seconds).
MAX_KILLS = int(os.environ.get("MINICA_KILLS", "8"))
#: The points are random but reproducible: the seed is in every failure message.
SEED = 20261201


@dataclass(frozen=True)
class Scenario:
    """A command and how to build the state before it, in a folder holding ``home/`` and inputs."""

    name: str
    prepare: Callable[[Path], list[str]]  # builds the folder, returns the command's arguments
    #: Whether running it again once it completed changes nothing (else it would issue, file, save
    #: or sign in a second time, each recorded: then only a run from "before" is retried).
    repeatable: bool = True


def _home(folder: Path) -> Home:
    return Home(folder / "home")


def _base(folder: Path, *, ca: bool = True) -> Home:
    home = _home(folder)
    (folder / "inputs").mkdir(parents=True)
    (folder / "inputs" / "password.txt").write_text(STORE_PASSWORD + "\n")
    if ca:
        create_authority(home, now=T0 - dt.timedelta(days=1), key_size=2048)
    return home


def _global(folder: Path, hours: float) -> list[str]:
    moment = at(hours=hours).now().isoformat()
    return ["--home", str(_home(folder).root), "--at", moment]


def _pdf(folder: Path) -> Path:
    path = folder / "inputs" / "rut.pdf"
    path.write_bytes(simple_pdf("RUT", ["Registro Único Tributario de prueba."]))
    return path


def _signed_in(folder: Path) -> tuple[Home, str]:
    home = _base(folder)
    filed = filed_and_signed_in(home, request_form.validate_form(FORM))
    return home, filed.radicado


def _complete(folder: Path) -> tuple[Home, str]:
    home, radicado = _signed_in(folder)
    complete(home, radicado, _pdf(folder))
    return home, radicado


def prepare_init(folder: Path) -> list[str]:
    _base(folder, ca=False)
    return [*_global(folder, 0), "init"]


def prepare_issue(folder: Path) -> list[str]:
    _base(folder)
    return [*_global(folder, 1), "issue", "--nit", "900373987-9", "--name", "EMPRESA DE PRUEBA S.A.S.",
            "--password-file", str(folder / "inputs" / "password.txt")]  # fmt: skip


def prepare_revoke(folder: Path) -> list[str]:
    home = _base(folder)
    issued = issue_certificate(home, IssueRequest(nit=Nit.parse("900373987-9"), name="EMPRESA S.A.S."),
                               store_password=STORE_PASSWORD.encode(), clock=at())  # fmt: skip
    return [*_global(folder, 1), "revoke", issued.serial_hex, "--reason", "keyCompromise"]


def prepare_request_new(folder: Path) -> list[str]:
    _base(folder)  # the first request of the home also creates its escrow key
    form = folder / "inputs" / "solicitud.json"
    form.write_text(json.dumps(FORM, ensure_ascii=False))
    return [*_global(folder, 0), "request", "new", "--from-file", str(form),
            "--password-file", str(folder / "inputs" / "password.txt")]  # fmt: skip


def prepare_login(folder: Path) -> list[str]:
    home = _base(folder)
    filed = process.file_request(home, at(), request_form.validate_form(FORM), STORE_PASSWORD)
    (folder / "inputs" / "temporary.txt").write_text(temporary_password(home, filed.radicado))
    (folder / "inputs" / "new.txt").write_text("Plataforma#2\n")
    return [*_global(folder, 1), "request", "login", filed.radicado, "--user", filed.platform_user,
            "--password-file", str(folder / "inputs" / "temporary.txt"),
            "--new-password-file", str(folder / "inputs" / "new.txt")]  # fmt: skip


def prepare_section(folder: Path) -> list[str]:
    _home_, radicado = _signed_in(folder)
    return [*_global(folder, 2), "request", "section", radicado, "empresa"]


def prepare_attach(folder: Path) -> list[str]:
    _home_, radicado = _signed_in(folder)
    return [*_global(folder, 2), "request", "attach", radicado, str(_pdf(folder)), "--kind", "rut"]


def prepare_finalize(folder: Path) -> list[str]:
    home, radicado = _signed_in(folder)
    pdf = _pdf(folder)
    for kind in ("rut", "camara_comercio", "documento_identidad"):
        process.attach(home, at(hours=2), radicado, kind, pdf)
    for name in ("solicitante", "empresa", "representante", "documentos"):
        process.save_section(home, at(hours=2), radicado, name)
    return [*_global(folder, 3), "request", "finalize", radicado]


def prepare_approve(folder: Path) -> list[str]:
    _home_, radicado = _complete(folder)
    return [*_global(folder, 5), "request", "approve", radicado]


def prepare_reject(folder: Path) -> list[str]:
    _home_, radicado = _complete(folder)
    return [*_global(folder, 5), "request", "reject", radicado, "--reason", "El RUT está ilegible"]


def prepare_tick(folder: Path) -> list[str]:
    home, radicado = _complete(folder)
    process.reject(home, at(hours=5), radicado, "El RUT está ilegible")
    return [*_global(folder, 8 * 24), "request", "tick"]  # reminders of day 3 and day 7 are due


def prepare_batch(folder: Path) -> list[str]:
    home = _base(folder)
    issue_certificate(home, IssueRequest(nit=Nit.parse("900373987-9"), name="EMPRESA S.A.S."),
                      store_password=STORE_PASSWORD.encode(), clock=at())  # fmt: skip
    lote = folder / "inputs" / "lote"
    lote.mkdir()
    invoice = (TESTDATA / "invoice-habilitacion.xml").read_bytes()
    for number in range(batch.POOL_MINIMUM):  # enough for the worker pool
        (lote / f"factura-{number:02d}.xml").write_bytes(invoice)
    return [*_global(folder, 1), "sign", str(lote), "--out-dir", str(folder / "firmadas"),
            "--password-file", str(folder / "inputs" / "password.txt")]  # fmt: skip


SCENARIOS = [
    Scenario("init", prepare_init, repeatable=False),
    Scenario("issue", prepare_issue, repeatable=False),
    Scenario("revoke", prepare_revoke),
    Scenario("request-new", prepare_request_new, repeatable=False),
    Scenario("request-login", prepare_login, repeatable=False),
    Scenario("request-section", prepare_section, repeatable=False),
    Scenario("request-attach", prepare_attach, repeatable=False),
    Scenario("request-finalize", prepare_finalize),
    Scenario("request-approve", prepare_approve),
    Scenario("request-reject", prepare_reject),
    Scenario("request-tick", prepare_tick),
]


# --- what a consistent home is ------------------------------------------------------------------


def _rows(home: Home, sql: str) -> list[tuple[Any, ...]]:
    """Rows of ``sql``; none while the database is missing or not yet migrated (an ``init``
    killed inside its first migration leaves an empty database file: the next command migrates)."""
    if not home.db_path.exists():
        return []
    with contextlib.closing(sqlite3.connect(home.db_path)) as conn:
        if not sql.startswith("PRAGMA") and not conn.execute("PRAGMA user_version").fetchone()[0]:
            return []
        return [tuple(r) for r in conn.execute(sql).fetchall()]


def state(home: Home) -> dict[str, Any]:
    """What a user can tell about the home (no random serials, ids or file names)."""
    files = Counter(
        (p.parent.relative_to(home.root).parts[:2], p.suffix)
        for p in home.root.rglob("*") if p.is_file() and not p.name.startswith("minica.db")
    )  # fmt: skip
    return {
        "ca": home.has_ca(),
        "authorities": _rows(home, "SELECT role FROM authorities ORDER BY role"),
        "certificates": _rows(home, "SELECT nit, status, revocation_reason FROM certificates ORDER BY 1, 2"),
        "stores": _rows(home, "SELECT environment FROM certificate_stores ORDER BY 1"),
        "requests": _rows(home, "SELECT status, sections, must_change_password, sealed_password IS NULL,"
                                " serial IS NULL, rejection_round FROM requests ORDER BY created_at"),
        "events": _rows(home, "SELECT kind FROM request_events ORDER BY id"),
        "documents": _rows(home, "SELECT kind, size FROM request_documents ORDER BY id"),
        "outbox": _rows(home, "SELECT kind FROM outbox ORDER BY id"),
        "audit": _rows(home, "SELECT action FROM audit_log ORDER BY id"),
        "files": sorted(files.items()),
    }


def assert_consistent(home: Home) -> None:
    """SQLite intact, rows and files in one-to-one correspondence, nothing half-written."""
    assert _rows(home, "PRAGMA integrity_check") in ([], [("ok",)])
    leftovers = [p for p in home.root.rglob("*") if temporary_target(p.name) is not None]
    assert not leftovers, f"temporary files left: {leftovers}"
    assert not (home.root / STAGED_CA).exists()
    assert not list(journal_dir(home).glob("*")) if journal_dir(home).exists() else True
    stored = {(env, Path(path).name) for env, path in _rows(home, "SELECT environment, path FROM certificate_stores")}
    on_disk = {(p.parent.name, p.name) for p in home.stores_root.glob("*/*")}
    assert stored == on_disk, "keystores and their rows differ"
    outbox = {Path(path).name for (path,) in _rows(home, "SELECT path FROM outbox")}
    assert outbox == {p.name for p in home.outbox_dir.glob("*")}, "outbox files and rows differ"
    uploads = {path for (path,) in _rows(home, "SELECT path FROM request_documents")}
    assert uploads == {p.relative_to(home.root).as_posix() for p in home.requests_dir.glob("*/documents/*")}
    for status, sealed_is_null, serial in _rows(home, "SELECT status, sealed_password IS NULL, serial FROM requests"):
        status = Status(status)  # a state the process knows
        if status is Status.APROBADA:
            assert serial and _rows(home, f"SELECT 1 FROM certificates WHERE serial = '{serial}'"), "approved, no cert"
        if status in (Status.RADICADA, Status.EN_DILIGENCIAMIENTO, Status.COMPLETA, Status.RECHAZADA):
            assert not sealed_is_null, f"a {status.value} request lost its sealed password: it could never be issued"
            assert (home.requests_dir / "escrow.key").exists()
    if home.has_ca():
        assert {role for (role,) in _rows(home, "SELECT role FROM authorities")} >= {"root", "issuing"}


# --- the test -----------------------------------------------------------------------------------


def _differences(now: dict[str, Any], before: dict[str, Any], after: dict[str, Any]) -> str:
    return "; ".join(f"{key}: {now[key]} (before {before[key]}, after {after[key]})"
                     for key in now if now[key] not in (before[key], after[key]))


def kill_points(outcome: killpoints.Outcome, rng: random.Random) -> list[int]:
    """Every file-changing step (evenly thinned to fit), then random moments, at most MAX_KILLS."""
    steps = [number for number, _ in outcome.mutations]
    if len(steps) > MAX_KILLS - 2:
        stride = len(steps) / (MAX_KILLS - 2)
        steps = sorted({steps[int(i * stride)] for i in range(MAX_KILLS - 2)} | {steps[-1]})
    others = [n for n in range(1, outcome.events + 1) if n not in steps]
    return sorted(set(steps) | set(rng.sample(others, min(len(others), MAX_KILLS - len(steps)))))


def _copy(source: Path, target: Path) -> Path:
    shutil.copytree(source, target, symlinks=True)
    return target


@pytest.mark.parametrize("scenario", SCENARIOS, ids=lambda s: s.name)
def test_killed_command_leaves_the_home_before_or_after(scenario: Scenario, tmp_path: Path) -> None:
    pre = tmp_path / "pre"
    pre.mkdir()
    args = scenario.prepare(pre)
    before = state(_home(pre))

    done = _copy(pre, tmp_path / "uninterrupted")
    relocate = lambda folder: [a.replace(str(pre), str(folder)) for a in args]  # noqa: E731
    clean = killpoints.run(relocate(done), tmp_path / "uninterrupted.log")
    assert clean.exit_code == 0, clean.output
    after = state(_home(done))
    assert after != before

    rng = random.Random(f"{SEED}-{scenario.name}")
    kills = 0
    for point in kill_points(clean, rng):
        where = f"{scenario.name} killed at event {point} of {clean.events} (seed {SEED})"
        folder = _copy(pre, tmp_path / f"kill-{point}")
        home = _home(folder)
        outcome = killpoints.run(relocate(folder), tmp_path / f"kill-{point}.log", kill_at=point)
        assert outcome.killed or outcome.exit_code == 0, f"{where}: {outcome.output}"
        kills += outcome.killed
        recover(home)  # what the next command does first
        assert_consistent(home)
        now = state(home)
        assert now in (before, after), f"{where}: the home is neither as before nor as after: " + _differences(
            now, before, after)
        if now == before or scenario.repeatable:
            retry = killpoints.run(relocate(folder), tmp_path / f"retry-{point}.log")
            finished = state(home)
            assert finished == after, f"{where}: running it again did not finish the job: {retry.output}"
            assert retry.exit_code == 0 or now == after, f"{where}: the retry failed: {retry.output}"
            assert_consistent(home)
    assert kills >= min(3, clean.events), f"{scenario.name}: too few kills landed"
    print(f"{scenario.name}: {kills} kills of {clean.events} events ({len(clean.mutations)} file steps)")


def test_killed_batch_signing_takes_its_workers_along(tmp_path: Path) -> None:
    """`minica sign DIR --out-dir` killed while its workers write: no worker survives it, every
    output is whole, and running it again with --skip-existing finishes the batch."""
    pre = tmp_path / "pre"
    pre.mkdir()
    args = prepare_batch(pre)
    before = state(_home(pre))
    for worker_step in (1, 3, 7):
        folder = _copy(pre, tmp_path / f"kill-{worker_step}")
        tag = uuid.uuid4().hex
        relocated = [a.replace(str(pre), str(folder)) for a in args]
        outcome = killpoints.run(relocated, tmp_path / f"kill-{worker_step}.log",
                                 kill_parent_at_worker_mutation=worker_step, tag=tag)  # fmt: skip
        assert outcome.killed, outcome.output
        survivors = killpoints.wait_gone(killpoints.tagged_processes(tag), timeout=20)
        assert not survivors, f"workers {survivors} outlived the killed command"
        assert state(_home(folder)) == before  # signing never changes the home
        signed_dir = folder / "firmadas"
        for output in signed_dir.glob("*.xml"):
            assert output.read_bytes().rstrip().endswith(b"</Invoice>"), f"{output.name} is half-written"
        retry = killpoints.run([*relocated, "--skip-existing"], tmp_path / f"retry-{worker_step}.log")
        assert retry.exit_code == 0, retry.output
        wanted = sorted(p.name for p in (folder / "inputs" / "lote").iterdir())
        assert sorted(p.name for p in signed_dir.iterdir()) == wanted  # all signed, no temporary file left
