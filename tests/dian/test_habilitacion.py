"""``minica dian habilitacion``: a fresh home (init, issue, serve on loopback) to an accepted test set in
one command, the set's counters equal to what was sent; an interrupted run resumed without sending
anything twice; ``--break`` answered with DIAN's rule codes; a rejected set not sent to again."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from dian_kit import Served
from support import NOW, Cli

from minica.clock import FixedClock
from minica.dian.habilitacion_documents import BreakKind
from minica.dian.habilitacion_journal import locked
from minica.dian.registration import RegistrationRequest, SoftwareRegistration, TestSetQuota, register_software
from minica.identity import Nit
from minica.server.app import ServerSettings, create_app
from minica.storage.home import Home

NIT = "900373987-9"
FAST = ("--poll-interval", "0")


@pytest.fixture
def start(home: Home) -> Iterator[Callable[..., Served]]:
    """Start a real ``minica serve`` of ``home`` on loopback at NOW (several, one after another)."""
    started: list[Served] = []

    def go(**changes: object) -> Served:
        app = create_app(ServerSettings(**{"home": home, "clock": FixedClock(NOW), "token": "t" * 24, "workers": 2,
                                           **changes}))
        app.pool.start(warm=True)
        started.append(Served(app))
        return started[-1]

    yield go
    for served in started:
        if served.thread.is_alive():
            served.stop()


@pytest.fixture
def pin_file(tmp_path: Path) -> Path:
    path = tmp_path / "pin.txt"
    path.write_text("12345\n")
    return path


def _received(run: Cli, test_set_id: str) -> list[dict[str, object]]:
    listed = run("--json", "dian", "documents", "--test-set-id", test_set_id, "--limit", "1000")
    assert listed.exit_code == 0, listed.output
    return list(json.loads(listed.stdout)["documents"])


def test_one_command_takes_a_fresh_home_to_an_accepted_test_set(run: Cli, start: Callable[..., Served],
                                                                password_file: Path, pin_file: Path,
                                                                home: Home) -> None:
    assert run("init").exit_code == 0
    issued = run("issue", "--nit", NIT, "--name", "MI EMPRESA S.A.S.", "--password-file", str(password_file))
    assert issued.exit_code == 0, issued.output
    served = start()

    result = run("--json", "dian", "habilitacion", "--url", served.endpoint(), "--password-file",
                 str(password_file), "--pin-file", str(pin_file), *FAST)
    assert result.exit_code == 0, result.output
    assert result.stderr == ""  # no progress bar when not on a terminal
    report = json.loads(result.stdout)
    assert (report["state"], report["registered"], report["ok"], report["error"]) == ("aceptado", True, True, None)
    assert report["required"] == {"invoices": 30, "credit_notes": 10, "debit_notes": 10}
    assert report["sent"] == report["accepted"] == {"invoice": 30, "creditnote": 10, "debitnote": 10}
    assert report["rejected"] == {"invoice": 0, "creditnote": 0, "debitnote": 0}

    status = run("--json", "dian", "testset", "status", "--nit", NIT)
    counters = json.loads(status.stdout)
    assert counters["test_set_id"] == report["test_set_id"]
    assert (counters["status"], counters["total_rejected"]) == ("aceptado", 0)
    assert counters["accepted"] == {"invoices": 30, "credit_notes": 10, "debit_notes": 10} == report["dian"]["accepted"]
    received = _received(run, report["test_set_id"])
    assert sorted(str(d["number"]) for d in received) == sorted(d["number"] for d in report["documents"])
    assert {d["status_code"] for d in received} == {"00"}

    documents = report["documents"]
    assert [d["number"] for d in documents[:2]] == ["SETP990000000", "SETP990000001"]
    assert all(Path(d["file"]).is_file() and Path(d["application_response"]).is_file() for d in documents)
    notes = [d for d in documents if d["kind"] != "invoice"]
    assert all(d["references"] and d["references"].startswith("SETP99") for d in notes)

    again = run("dian", "habilitacion", "--url", served.endpoint(), "--password-file", str(password_file), *FAST)
    assert again.exit_code == 0, again.output
    assert "aceptado" in again.stdout
    assert len(_received(run, report["test_set_id"])) == 50  # nothing sent twice


@pytest.fixture
def small_set(home: Home, clock: FixedClock, company: object) -> SoftwareRegistration:
    return register_software(home, clock, RegistrationRequest(Nit.parse(NIT), pin="12345",
                                                              quota=TestSetQuota(3, 2, 2)))


def test_an_interrupted_run_resumes_without_sending_twice(run: Cli, start: Callable[..., Served],
                                                          small_set: SoftwareRegistration,
                                                          password_file: Path) -> None:
    slow = start(dian_batch_delay=3600.0)  # DIAN keeps validating for an hour
    options = ("--password-file", str(password_file), "--batch-size", "3", *FAST)
    first = run("--json", "dian", "habilitacion", "--url", slow.endpoint(), "--wait", "0", *options)
    assert first.exit_code == 1
    report = json.loads(first.stdout)
    assert report["state"] == "en_proceso" and len(report["pending"]) == 3
    assert {d["state"] for d in report["documents"]} == {"sent"}
    slow.stop()

    served = start()  # restarted: it finishes the batches it holds
    second = run("--json", "dian", "habilitacion", "--url", served.endpoint(), *options)
    assert second.exit_code == 0, second.output
    finished = json.loads(second.stdout)
    assert finished["state"] == "aceptado" and finished["pending"] == []
    assert {d["zip_key"] for d in finished["documents"]} == set(report["pending"])
    received = _received(run, small_set.test_set_id)
    assert len(received) == 7 and {d["zip_key"] for d in received} == set(report["pending"])
    assert finished["dian"]["total_accepted"] == 7


def test_break_shows_dians_rejections_and_a_rejected_set_is_not_sent_again(run: Cli, start: Callable[..., Served],
                                                                          small_set: SoftwareRegistration,
                                                                          password_file: Path,
                                                                          pin_file: Path) -> None:
    served = start()
    options = ("--url", served.endpoint(), "--password-file", str(password_file), *FAST)
    breaks = [arg for kind in BreakKind for arg in ("--break", kind.value)]
    broken = run("--json", "dian", "habilitacion", *breaks, *options)
    assert broken.exit_code == 1, broken.output
    report = json.loads(broken.stdout)
    assert report["state"] == "rechazado" and report["breaks"] == [k.value for k in BreakKind]
    found: dict[tuple[str, str], set[str]] = {}
    for document in report["documents"]:
        if document["broken"]:
            assert (document["state"], document["status_code"]) == ("rejected", "99")
            found[document["broken"], document["kind"]] = {r["rule"] for r in document["rules"]}
        else:
            assert document["state"] == "accepted", document
    # DIAN's codes, written here (not read from BreakKind): the amount changed after signing also breaks the CUFE
    assert found == {("cufe", "invoice"): {"FAD06"}, ("cufe", "creditnote"): {"CAD06"},
                     ("cufe", "debitnote"): {"DAD06"}, ("amount", "invoice"): {"ZE02", "FAD06"},
                     ("expired-certificate", "invoice"): {"ZD07"},
                     ("environment", "invoice"): {"MINICA-AMBIENTE"}}, found
    sent = len(_received(run, small_set.test_set_id))

    refused = run("dian", "habilitacion", *options)
    assert refused.exit_code == 1
    assert "rechazado" in refused.stdout and "--register" in refused.stdout
    assert len(_received(run, small_set.test_set_id)) == sent  # nothing more sent to a rejected set

    fresh = run("--json", "dian", "habilitacion", "--register", "--pin-file", str(pin_file),
                "--test-set-quota", "3/2/2", *options)
    assert fresh.exit_code == 0, fresh.output
    accepted = json.loads(fresh.stdout)
    assert accepted["state"] == "aceptado" and accepted["test_set_id"] != small_set.test_set_id
    numbers = {d["number"] for d in report["documents"] if d["kind"] != "invoice"}
    assert not numbers & {d["number"] for d in accepted["documents"] if d["kind"] != "invoice"}


def test_two_runs_never_send_the_same_set_at_once(run: Cli, small_set: SoftwareRegistration,
                                                  password_file: Path, home: Home) -> None:
    with locked(home.root / "habilitacion" / small_set.test_set_id):
        second = run("dian", "habilitacion", "--password-file", str(password_file), *FAST)
    assert second.exit_code == 1
    assert "another 'minica dian habilitacion' is running" in second.stderr
