"""The local DIAN in the JSON API (``/api/v1/dian/…``): registration like ``minica dian register``,
the documents received, behind the token; and ``minica dian documents`` for people."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from collections.abc import Callable
from typing import Any

from dian_kit import Served, answer, unsigned_document, zipped
from support import Cli

from minica.dian.registration import SoftwareRegistration, load_registration
from minica.storage.home import Home

TOKEN = "test-token-0123456789abcdef"


def _call(served: Served, path: str, body: dict[str, Any] | None = None, token: str | None = TOKEN) -> tuple[int, Any]:
    headers = {"Content-Type": "application/json"} | ({"Authorization": f"Bearer {token}"} if token else {})
    request = urllib.request.Request(served.base + path, data=json.dumps(body).encode() if body else None,
                                     headers=headers, method="POST" if body else "GET")
    try:
        with urllib.request.urlopen(request, timeout=30) as reply:
            return reply.status, json.loads(reply.read())
    except urllib.error.HTTPError as exc:
        return exc.code, json.loads(exc.read())


def test_register_over_the_api_needs_the_token(served: Served, home: Home) -> None:
    body = {"nit": "900373987-9", "pin": "54321", "provider_nit": "830095213", "test_set_quota": "3/1/1"}
    assert _call(served, "/api/v1/dian/software", body, token=None)[0] == 401
    status, data = _call(served, "/api/v1/dian/software", body)
    assert status == 201, data
    assert data["test_set_quota"] == {"invoices": 3, "credit_notes": 1, "debit_notes": 1} and "pin" not in data
    assert load_registration(home, "900373987").pin == "54321"
    status, listed = _call(served, "/api/v1/dian/software")
    assert [s["software_id"] for s in listed["software"]] == [data["software_id"]]
    bad = _call(served, "/api/v1/dian/software", {"nit": "900373987-8", "pin": "54321"})
    assert bad[0] in (400, 422) and "check digit" in bad[1]["error"]


def test_received_documents_are_listed(served: Served, client, registration: SoftwareRegistration,  # type: ignore[no-untyped-def]
                                       sign: Callable[[bytes], bytes], run: Cli) -> None:
    sent = answer(client.service.SendBillSync(fileName="z.zip", contentFile=zipped((
        "fv.xml", sign(unsigned_document(registration))))))
    status, data = _call(served, "/api/v1/dian/documents?environment=habilitacion&with_xml=1")
    assert status == 200
    (document,) = data["documents"]
    assert (document["document_key"], document["status_code"], document["number"]) == (sent.key, "00",
                                                                                        "SETP990000000")
    assert document["application_response_base64"]
    assert _call(served, "/api/v1/dian/documents", token=None)[0] == 401
    listed = run("dian", "documents")
    assert listed.exit_code == 0 and "SETP990000000" in listed.output and " 00 " in listed.output
