"""Async sending and the habilitación test set (issue 12 §6, §7): SendTestSetAsync returns a ZipKey,
GetStatusZip says "Batch en proceso de validación." until the batch is processed (a server restart
loses nothing), then one DianResponse per document; the test set is accepted after the required
documents and rejected by DIAN's rule; counters in ``minica dian testset status`` and the API."""

from __future__ import annotations

import json
import urllib.request
from collections.abc import Callable

import pytest
from dian_kit import DianSignature, Served, answer, pem_pair, zeep_client, zipped
from support import NOW, Cli

from minica.clock import FixedClock
from minica.dian.generator import generate_credit_note, generate_debit_note, generate_invoice
from minica.dian.registration import RegistrationRequest, SoftwareRegistration, TestSetQuota, register_software
from minica.identity import Nit
from minica.signing.service import Signer
from minica.storage.home import Home

TOKEN = "test-token-0123456789abcdef"


@pytest.fixture
def small_set(home: Home, clock: FixedClock, company) -> SoftwareRegistration:  # type: ignore[no-untyped-def]
    """A software whose test set needs 2 invoices, 1 credit note and 1 debit note."""
    return register_software(home, clock, RegistrationRequest(Nit.parse("900373987-9"), pin="12345",
                                                              quota=TestSetQuota(2, 1, 1)))


def _batch(registration: SoftwareRegistration, sign: Callable[[bytes], bytes], *, broken: bool = False) -> bytes:
    first = generate_invoice(registration, "SETP990000001", NOW)
    second = generate_invoice(registration, "SETP990000002", NOW)
    if broken:
        second = sign(second).replace(b"<cbc:Note>", b"<cbc:Note>X", 1)
    else:
        second = sign(second)
    return zipped(("fv1.xml", sign(first)), ("fv2.xml", second),
                  ("nc1.xml", sign(generate_credit_note(registration, "NC1", NOW, invoice=first))),
                  ("nd1.xml", sign(generate_debit_note(registration, "ND1", NOW, invoice=first))))


def _results(client, zip_key: str) -> list:  # type: ignore[no-untyped-def, type-arg]
    """GetStatusZip until the batch is processed (the server waits for it; the loop is a hang detector)."""
    for _ in range(60):
        results = [answer(r) for r in client.service.GetStatusZip(trackId=zip_key)]
        if [r.status_code for r in results] != ["98"]:
            return results
    raise AssertionError("the batch was never processed")


def test_the_test_set_is_accepted_after_the_required_documents(client, small_set: SoftwareRegistration,  # type: ignore[no-untyped-def]
                                                               sign: Callable[[bytes], bytes], run: Cli,
                                                               served: Served) -> None:
    upload = client.service.SendTestSetAsync(fileName="set.zip", contentFile=_batch(small_set, sign),
                                             testSetId=small_set.test_set_id)
    assert upload.ZipKey and not upload.ErrorMessageList
    results = _results(client, upload.ZipKey)
    assert [(r.status_code, r.errors) for r in results] == [("00", [])] * 4
    assert all(r.application_response for r in results)

    status = run("--json", "dian", "testset", "status", "--nit", "900373987")
    assert status.exit_code == 0, status.output
    data = json.loads(status.output)
    assert data["status"] == "aceptado"
    assert data["accepted"] == {"invoices": 2, "credit_notes": 1, "debit_notes": 1}
    assert data["total_rejected"] == 0

    request = urllib.request.Request(f"{served.base}/api/v1/dian/testsets/{small_set.test_set_id}",
                                     headers={"Authorization": f"Bearer {TOKEN}"})
    with urllib.request.urlopen(request, timeout=30) as reply:
        assert json.loads(reply.read())["status"] == "aceptado"
    listed = run("--json", "dian", "documents", "--test-set-id", small_set.test_set_id)
    assert [d["number"] for d in json.loads(listed.output)["documents"]] == ["ND1", "NC1", "SETP990000002",
                                                                             "SETP990000001"]


def test_the_test_set_is_rejected_by_the_rule(client, small_set: SoftwareRegistration,  # type: ignore[no-untyped-def]
                                              sign: Callable[[bytes], bytes], run: Cli) -> None:
    upload = client.service.SendTestSetAsync(fileName="set.zip", contentFile=_batch(small_set, sign, broken=True),
                                             testSetId=small_set.test_set_id)
    results = _results(client, upload.ZipKey)
    assert [r.status_code for r in results] == ["00", "99", "00", "00"]
    assert any(e.startswith("Regla: ZE02, Rechazo:") for e in results[1].errors)
    data = json.loads(run("--json", "dian", "testset", "status", "--test-set-id", small_set.test_set_id).output)
    assert (data["status"], data["rejected"]["invoices"], data["accepted"]["invoices"]) == ("rechazado", 1, 1)


def test_a_pending_batch_survives_a_restart(serve, small_set: SoftwareRegistration, signer: Signer, stamp,  # type: ignore[no-untyped-def]
                                            sign: Callable[[bytes], bytes]) -> None:
    slow = serve(dian_batch_delay=3600)  # DIAN takes its time: the batch stays pending
    client = zeep_client(slow, DianSignature(*pem_pair(signer), stamp))
    upload = client.service.SendTestSetAsync(fileName="set.zip", contentFile=_batch(small_set, sign),
                                             testSetId=small_set.test_set_id)
    (pending,) = [answer(r) for r in client.service.GetStatusZip(trackId=upload.ZipKey)]
    assert (pending.status_code, pending.raw.StatusMessage) == ("98", "Batch en proceso de validación.")
    slow.stop()

    again = serve()  # a new server over the same home: the batch is still there, and gets processed
    results = _results(zeep_client(again, DianSignature(*pem_pair(signer), stamp)), upload.ZipKey)
    assert [r.status_code for r in results] == ["00"] * 4


def test_send_bill_async_returns_a_zip_key_and_results(client, registration: SoftwareRegistration,  # type: ignore[no-untyped-def]
                                                       sign: Callable[[bytes], bytes]) -> None:
    invoice = sign(generate_invoice(registration, "SETP990000010", NOW))
    upload = client.service.SendBillAsync(fileName="z.zip", contentFile=zipped(("fv.xml", invoice)))
    (result,) = _results(client, upload.ZipKey)
    assert (result.status_code, result.errors) == ("00", [])
    assert [r.status_code for r in _results(client, "6f4a1a3c-0000-4000-8000-000000000000")] == ["66"]
    assert [r.status_code for r in _results(client, "not-a-guid")] == ["89"]


def test_send_test_set_async_is_refused_in_produccion_and_without_a_known_set(
        served: Served, small_set: SoftwareRegistration, signer: Signer, stamp, client,  # type: ignore[no-untyped-def]
        sign: Callable[[bytes], bytes]) -> None:
    production = zeep_client(served, DianSignature(*pem_pair(signer), stamp), "produccion")
    upload = production.service.SendTestSetAsync(fileName="set.zip", contentFile=_batch(small_set, sign),
                                                 testSetId=small_set.test_set_id)
    assert upload.ZipKey is None
    assert upload.ErrorMessageList.XmlParamsResponseTrackId[0].ProcessedMessage == "Acción no disponible en producción."
    unknown = client.service.SendTestSetAsync(fileName="set.zip", contentFile=_batch(small_set, sign),
                                              testSetId="6f4a1a3c-0000-4000-8000-000000000000")
    assert unknown.ZipKey is None
    assert "no existe" in unknown.ErrorMessageList.XmlParamsResponseTrackId[0].ProcessedMessage
