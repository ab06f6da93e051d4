"""What the local DIAN keeps between requests changes no answer: a remembered WS-Security certificate
is still judged at each request's time and against the revocations of that moment, and what a
request committed is in the database file itself once the background checkpoint ran."""

from __future__ import annotations

import base64
import contextlib
import datetime as dt
import sqlite3
from collections.abc import Callable

import pytest
from dian_kit import unsigned_document
from support import NOW

from minica.ca.hierarchy import Authority
from minica.ca.revocation import Revocation
from minica.dian import service
from minica.dian.client import credentials_from_signer, zip_of
from minica.dian.registration import SoftwareRegistration
from minica.dian.request_signing import RequestCredentials, signed_request
from minica.dian.service_state import checkpoint
from minica.dian.soap import Operation, SoapFault, parse_request
from minica.dian.wssecurity import TokenPaths, verify_security
from minica.environment import Environment
from minica.signing.service import Signer
from minica.storage.home import Home

ENDPOINT = "http://127.0.0.1:9/dian/habilitacion/WcfDianCustomerServices.svc"


@pytest.fixture
def credentials(signer: Signer) -> RequestCredentials:
    return credentials_from_signer(signer, NOW)


def _status_request(credentials: RequestCredentials, now: dt.datetime) -> bytes:
    return signed_request(Operation.GET_STATUS, [("trackId", "a" * 96)], endpoint=ENDPOINT, credentials=credentials,
                          now=now)


def test_a_remembered_token_is_judged_again_at_each_request(credentials: RequestCredentials,
                                                            authority: Authority) -> None:
    tokens = TokenPaths([authority.root], [authority.issuing])
    revoked: list[Revocation] = []

    def check(now: dt.datetime) -> str | None:
        return verify_security(parse_request(_status_request(credentials, now)), endpoint=ENDPOINT, now=now,
                               tokens=tokens, revocation=lambda _c: revoked[0] if revoked else None).nit

    assert check(NOW) == "900373987"
    revoked.append(Revocation(NOW - dt.timedelta(hours=1), "keyCompromise"))
    with pytest.raises(SoapFault, match="was revoked"):
        check(NOW)
    revoked.clear()
    later = credentials.certificate.not_valid_after_utc + dt.timedelta(days=1)
    with pytest.raises(SoapFault, match="expired"):
        check(later)
    assert check(NOW) == "900373987"


def _rows_in_database_file(home: Home) -> int:
    """Documents in the database file alone, without its write-ahead log."""
    uri = f"file:{home.db_path}?immutable=1"
    with contextlib.closing(sqlite3.connect(uri, uri=True)) as conn:
        return int(conn.execute("SELECT count(*) FROM dian_documents").fetchone()[0])


def test_the_checkpoint_puts_what_requests_committed_into_the_database_file(
        home: Home, registration: SoftwareRegistration, credentials: RequestCredentials,
        sign: Callable[[bytes], bytes]) -> None:
    content = zip_of([("fv.xml", sign(unsigned_document(registration)))])
    body = signed_request(Operation.SEND_BILL_SYNC, [("fileName", "z.zip"),
                                                      ("contentFile", base64.b64encode(content).decode())],
                          endpoint=ENDPOINT, credentials=credentials, now=NOW)
    answer = service.handle_soap(home, Environment.HABILITACION, ENDPOINT, NOW, body, None)
    assert b"<b:StatusCode>00</b:StatusCode>" in answer.body
    assert _rows_in_database_file(home) == 0  # committed to the log, which the request did not copy
    checkpoint(home)
    assert _rows_in_database_file(home) == 1
