"""A client of DIAN's web service ``WcfDianCustomerServices``: the Python API.

:class:`DianClient` sends each operation as a SOAP 1.2 request signed with WS-Security by minica's
own code (:mod:`minica.dian.request_signing`), posts it (:mod:`minica.dian.transport`) and reads the
answer (:mod:`minica.dian.replies`). The default URL is the local DIAN of a home (``minica serve``);
any other URL works the same way::

    from minica.dian.client import DianClient, default_endpoint, home_credentials

    credentials = home_credentials(home, password, Environment.HABILITACION, at=clock.now(), nit=nit)
    client = DianClient(default_endpoint(home, Environment.HABILITACION), credentials, clock)
    response = client.send_bill_sync("fv.zip", zip_of([("fv.xml", signed_invoice)]))
    print(response.status_code, [rule.text for rule in response.rules])

Only a valid stored certificate signs a request: :func:`home_credentials` chooses it as ``minica
sign`` does (:mod:`minica.signing.selection`) and refuses, with the reason, one that is expired, not
yet valid, revoked, without signing key usage or not chaining to the home's CA. Every failure of the
exchange is a :class:`~minica.dian.client_errors.DianServiceError` saying what happened; none of them
means DIAN received anything.
"""

from __future__ import annotations

import base64
import datetime as _dt
import io
import zipfile
from collections.abc import Sequence
from dataclasses import dataclass

from lxml import etree

from minica.clock import Clock
from minica.dian.replies import (
    DianResponse,
    UploadResult,
    dian_response,
    dian_responses,
    operation_result,
    upload_result,
)
from minica.dian.request_signing import RequestCredentials, signed_request
from minica.dian.soap import Operation
from minica.dian.transport import DEFAULT_TIMEOUT, check_url, post_soap
from minica.environment import Environment
from minica.errors import InvalidInput
from minica.identity import Nit
from minica.signing.selection import HomeSigners, Selection
from minica.signing.service import Signer
from minica.storage.home import Home

#: Where ``minica serve`` answers as DIAN, under the home's base URL (``minica init --base-url``).
SERVICE_PATH = "/dian/{environment}/WcfDianCustomerServices.svc"


def default_endpoint(home: Home, environment: Environment) -> str:
    """The local DIAN of ``home`` for ``environment``: ``minica serve`` at the home's base URL."""
    from minica.ca.hierarchy import configured_base_url

    return configured_base_url(home) + SERVICE_PATH.format(environment=environment.value)


def credentials_from_signer(signer: Signer, at: _dt.datetime) -> RequestCredentials:
    """The keystore of ``signer`` for WS-Security, once minica's rules allow it to sign at ``at``
    (:class:`~minica.errors.CertificateNotUsable` with the reason otherwise)."""
    signer.check(at)
    return RequestCredentials(signer.keystore.certificate, signer.keystore.key)


def home_credentials(home: Home, password: bytes, environment: Environment, *, at: _dt.datetime,
                     nit: Nit | None = None, selection: Selection | None = None) -> RequestCredentials:
    """The WS-Security certificate from ``home``'s ``environment`` store: the one ``selection``
    names (--nit/--serial/--store), else ``nit``'s newest usable one, checked as for signing."""
    signers = HomeSigners(home, password, selection or Selection(), at)
    return credentials_from_signer(signers.for_environment(environment, nit), at)


def request_signer_nit(home: Home, environment: Environment, at: _dt.datetime) -> Nit:
    """The company whose certificate signs a request about no document of its own (GetStatus, say):
    the only NIT with a certificate in ``environment``'s store that may sign at ``at``;
    :class:`InvalidInput` naming the candidates when that is not one."""
    from minica.ca.registry import list_certificates

    usable = sorted({record.nit_with_dv for record in list_certificates(home)
                     if environment in record.stores and record.status != "revoked" and record.key_usage_ok
                     and record.not_before <= at <= record.not_after})
    if len(usable) == 1:
        return Nit.parse(usable[0])
    store = f"the {environment.value} store"
    if not usable:
        raise InvalidInput(f"no certificate in {store} may sign now",
                           "issue one: minica issue --nit … --name … (or choose one with --serial or --store)")
    raise InvalidInput(f"{len(usable)} companies have a certificate in {store} ({', '.join(usable)})",
                       "give --nit: whose certificate signs the request")


def zip_of(files: Sequence[tuple[str, bytes]]) -> bytes:
    """A ZIP (deflated) holding ``files`` (name, bytes) in order, as DIAN takes documents."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in files:
            archive.writestr(zipfile.ZipInfo(name, date_time=(1980, 1, 1, 0, 0, 0)), data,
                             compress_type=zipfile.ZIP_DEFLATED)
    return buffer.getvalue()


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


#: An operation's parameters (name, text), in the order DIAN's WSDL gives them.
Parameters = tuple[tuple[str, str], ...]


def file_parameters(file_name: str, content: bytes) -> Parameters:
    """SendBillSync's and SendBillAsync's: the ZIP's name and its bytes."""
    return (("fileName", file_name), ("contentFile", _b64(content)))


def content_parameters(content: bytes) -> Parameters:
    """SendNominaSync's and SendEventUpdateStatus's: the ZIP's bytes."""
    return (("contentFile", _b64(content)),)


@dataclass(frozen=True)
class DianClient:
    """One endpoint of DIAN's web service (``url``), requests signed with ``credentials`` at the
    ``clock``'s time, each exchange bounded by ``timeout`` seconds."""

    url: str
    credentials: RequestCredentials
    clock: Clock
    timeout: float = DEFAULT_TIMEOUT

    def __post_init__(self) -> None:
        check_url(self.url)
        if not isinstance(self.credentials, RequestCredentials):
            raise TypeError("DianClient.credentials must be RequestCredentials")
        if not 0 < self.timeout <= 3600:
            raise ValueError("DianClient.timeout must be between 0 and 3600 seconds")

    def envelope(self, operation: Operation, parameters: Sequence[tuple[str, str]]) -> bytes:
        """The signed SOAP request :meth:`call` would post now (its Timestamp fresh for five minutes):
        to post with another tool, curl say."""
        return signed_request(operation, parameters, endpoint=self.url, credentials=self.credentials,
                              now=self.clock.now())

    def call(self, operation: Operation, parameters: Sequence[tuple[str, str]]) -> etree._Element:
        """Send one request; the operation's result element (see :func:`~minica.dian.replies.operation_result`)."""
        reply = post_soap(self.url, self.envelope(operation, parameters), action=operation.action,
                          timeout=self.timeout)
        return operation_result(reply, operation, self.url)

    def send_bill_sync(self, file_name: str, content: bytes) -> DianResponse:
        """SendBillSync: one invoice, credit or debit note in a ZIP, validated at once."""
        return dian_response(self.call(Operation.SEND_BILL_SYNC, file_parameters(file_name, content)), self.url)

    def send_nomina_sync(self, content: bytes) -> DianResponse:
        """SendNominaSync: one payroll document in a ZIP."""
        return dian_response(self.call(Operation.SEND_NOMINA_SYNC, content_parameters(content)), self.url)

    def send_event(self, content: bytes) -> DianResponse:
        """SendEventUpdateStatus: one signed ApplicationResponse event in a ZIP."""
        return dian_response(self.call(Operation.SEND_EVENT_UPDATE_STATUS, content_parameters(content)), self.url)

    def send_bill_async(self, file_name: str, content: bytes) -> UploadResult:
        """SendBillAsync: a ZIP of documents; its ZipKey for :meth:`get_status_zip`."""
        return upload_result(self.call(Operation.SEND_BILL_ASYNC, file_parameters(file_name, content)))

    def send_test_set_async(self, file_name: str, content: bytes, test_set_id: str) -> UploadResult:
        """SendTestSetAsync: a ZIP of documents for the habilitación test set ``test_set_id``."""
        return upload_result(self.call(Operation.SEND_TEST_SET_ASYNC, (
            ("fileName", file_name), ("contentFile", _b64(content)), ("testSetId", test_set_id))))

    def get_status(self, track_id: str) -> DianResponse:
        """GetStatus: DIAN's answer on the document whose CUFE/CUDE/CUNE is ``track_id``."""
        return dian_response(self.call(Operation.GET_STATUS, (("trackId", track_id),)), self.url)

    def get_status_zip(self, zip_key: str) -> list[DianResponse]:
        """GetStatusZip: one DianResponse per document of the ZIP, or one StatusCode 98 while the
        batch is being validated."""
        return dian_responses(self.call(Operation.GET_STATUS_ZIP, (("trackId", zip_key),)), self.url)
