"""The local DIAN's web service: one SOAP request in, one SOAP reply out (run in a worker process).

:func:`handle_soap` parses the envelope (hardened parser, :data:`~minica.dian.soap.MAX_SOAP_BODY`),
checks WS-Security (:mod:`minica.dian.wssecurity`), and answers the operation: Sync operations
validate and record their document and return DIAN's DianResponse with the signed
ApplicationResponse; async ones record the ZIP and return its ZipKey, and :func:`process_zip`
validates it later; status and numbering-range queries read what was recorded. Everything received
stays in the home's database (:mod:`minica.dian.store`).
"""

from __future__ import annotations

import base64
import datetime as _dt
import re
import uuid
from dataclasses import dataclass, replace

from minica.ca.hierarchy import Authority
from minica.dian import store, testset
from minica.dian.application_response import signed_application_response
from minica.dian.dian_signer import dian_signer
from minica.dian.registration import registration_by_software_id, registration_by_test_set
from minica.dian.service_state import HomeState, RequestRevocation, home_state
from minica.dian.soap import (
    MOCKED,
    Operation,
    Record,
    Records,
    SoapFault,
    SoapRequest,
    fault_envelope,
    parse_request,
    reply_envelope,
)
from minica.dian.validation import PRECHECK, DocumentOutcome, Validator, precheck_failure
from minica.dian.wssecurity import verify_security
from minica.dian.zip_intake import ZipRefused, open_zip
from minica.environment import Environment
from minica.errors import MinicaError
from minica.signing.document import DocumentKind
from minica.storage.database import Database
from minica.storage.home import Home

_BILLS = frozenset({DocumentKind.INVOICE, DocumentKind.CREDIT_NOTE, DocumentKind.DEBIT_NOTE})
_KINDS = {
    Operation.SEND_BILL_SYNC: _BILLS, Operation.SEND_BILL_ASYNC: _BILLS, Operation.SEND_TEST_SET_ASYNC: _BILLS,
    Operation.SEND_NOMINA_SYNC: frozenset({DocumentKind.NOMINA_INDIVIDUAL, DocumentKind.NOMINA_INDIVIDUAL_DE_AJUSTE}),
    Operation.SEND_EVENT_UPDATE_STATUS: frozenset({DocumentKind.APPLICATION_RESPONSE}),
}
_GUID = re.compile(r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")
#: DIAN refuses trackIds shorter than this (a CUFE is 96 hex characters).
MIN_TRACK_ID = 20
PENDING_MESSAGE = "Batch en proceso de validación."


@dataclass(frozen=True)
class SoapAnswer:
    """The reply's HTTP status and bytes; ``zip_key`` names a ZIP to process in the background,
    ``pending`` one that GetStatusZip found still waiting."""

    status: int
    body: bytes
    zip_key: str | None = None
    pending: str | None = None


@dataclass
class _Context:
    home: Home
    environment: Environment
    now: _dt.datetime
    ca_password: bytes | None
    sender_nit: str
    state: HomeState
    authority: Authority
    revocation: RequestRevocation

    def validator(self) -> Validator:
        return Validator(self.home, self.environment, self.now, [self.authority.root], [self.authority.issuing],
                         self.revocation)


def _database(home: Home) -> Database:
    return home_state(home).db


def handle_soap(home: Home, environment: Environment, endpoint: str, now: _dt.datetime, body: bytes,
                ca_password: bytes | None) -> SoapAnswer:
    """Answer one SOAP request to ``environment``'s endpoint (whose URL is ``endpoint``) at ``now``."""
    relates_to = None
    try:
        request = parse_request(body)
        relates_to = request.message_id
        state = home_state(home)
        authority = state.current_authority()
        revocation = RequestRevocation(state.db.connection)
        sender = verify_security(request, endpoint=endpoint, now=now, tokens=state.token_paths(),
                                 revocation=revocation.revocation_of)
        if request.operation not in MOCKED:
            raise SoapFault(f"la operación {request.operation.value} no está simulada por minica (servicio DIAN "
                            "local de pruebas)", code="Receiver")
        if sender.nit is None:
            outcome = precheck_failure("", "NIT de la empresa no informado en el certificado.")
            return _reply(request, _no_nit_result(request.operation, outcome), now)
        context = _Context(home, environment, now, ca_password, sender.nit, state, authority, revocation)
        return _HANDLERS[request.operation](context, request)
    except SoapFault as fault:
        return SoapAnswer(500, fault_envelope(fault, now, relates_to))


def _reply(request: SoapRequest, result: Record | Records, now: _dt.datetime, **extra: str | None) -> SoapAnswer:
    return SoapAnswer(200, reply_envelope(request.operation, result, now, request.message_id), **extra)


def _no_nit_result(operation: Operation, outcome: DocumentOutcome) -> Record | Records:
    if operation in (Operation.SEND_BILL_ASYNC, Operation.SEND_TEST_SET_ASYNC):
        return _upload_refused(outcome.message)
    if operation is Operation.GET_STATUS_ZIP:
        return Records("DianResponse", "DianResponse", (_dian_response(outcome),))
    if operation is Operation.GET_NUMBERING_RANGE:
        return _numbering(None, outcome.message)
    if operation is Operation.GET_XML_BY_DOCUMENT_KEY:
        return _event_response("89", outcome.message, None, None)
    return _dian_response(outcome)


# --- DianResponse and friends ---------------------------------------------------------------------

def _dian_response(outcome: DocumentOutcome, application_response: bytes | None = None) -> Record:
    name = outcome.file_name[:-4] if outcome.file_name.lower().endswith(".xml") else outcome.file_name
    return Record("DianResponse", (
        ("ErrorMessage", [r.text for r in outcome.rules]), ("IsValid", outcome.is_valid),
        ("StatusCode", outcome.status_code), ("StatusDescription", outcome.description),
        ("StatusMessage", outcome.message), ("XmlBase64Bytes", application_response), ("XmlBytes", None),
        ("XmlDocumentKey", outcome.document_key), ("XmlFileName", name or None),
    ))


def _status_only(code: str, description: str, message: str) -> Record:
    return Record("DianResponse", (
        ("ErrorMessage", []), ("IsValid", False), ("StatusCode", code), ("StatusDescription", description),
        ("StatusMessage", message), ("XmlBase64Bytes", None), ("XmlBytes", None), ("XmlDocumentKey", None),
        ("XmlFileName", None),
    ))


def _stored_response(document: store.StoredDocument) -> Record:
    outcome = DocumentOutcome(document.file_name, document.status_code, document.rules,
                              document_key=document.document_key, kind=document.kind, number=document.number)
    record = _dian_response(outcome, document.application_response)
    return replace(record, fields=tuple(
        (n, document.status_message if n == "StatusMessage" else v) for n, v in record.fields))


def _upload_refused(message: str, file_name: str | None = None) -> Record:
    item = Record("XmlParamsResponseTrackId", (("DocumentKey", None), ("ProcessedMessage", message),
                                               ("SenderCode", None), ("Success", False), ("XmlFileName", file_name)))
    return Record("UploadDocumentResponse", (
        ("ErrorMessageList", Records("XmlParamsResponseTrackId", "XmlParamsResponseTrackId", (item,))),
        ("ZipKey", None)))


def _numbering(found: object, message: str) -> Record:
    from minica.dian.registration import SoftwareRegistration

    items: tuple[Record, ...] = ()
    if isinstance(found, SoftwareRegistration):
        numbering = found.numbering
        items = (Record("NumberRangeResponse", (
            ("FromNumber", numbering.from_number), ("Prefix", numbering.prefix),
            ("ResolutionDate", numbering.resolution_date.isoformat()),
            ("ResolutionNumber", numbering.resolution_number), ("TechnicalKey", numbering.technical_key),
            ("ToNumber", numbering.to_number), ("ValidDateFrom", numbering.valid_from.isoformat()),
            ("ValidDateTo", numbering.valid_to.isoformat()))),)
    return Record("NumberRangeResponseList", (
        ("OperationCode", "100" if items else "301"), ("OperationDescription", message),
        ("ResponseList", Records("NumberRangeResponse", "NumberRangeResponse", items))))


def _event_response(code: str, message: str, when: str | None, xml: bytes | None) -> Record:
    return Record("EventResponse", (("Code", code), ("Message", message), ("ValidationDate", when),
                                    ("XmlBytesBase64", base64.b64encode(xml).decode("ascii") if xml else None)))


# --- the operations -------------------------------------------------------------------------------

def _validate_and_record(context: _Context, operation: Operation, name: str, data: bytes, *, zip_key: str | None,
                         test_set_id: str | None, validator: Validator) -> tuple[DocumentOutcome, bytes | None]:
    """Validate one document, record it with its signed ApplicationResponse; both.

    The answer is signed before the write lock is taken (signing is most of the writing's time);
    should another worker accept the same document meanwhile, the duplicate check inside the write
    changes the outcome and the answer is signed again.
    """
    state = context.state
    outcome = validator.validate(name, data, sender_nit=context.sender_nit, kinds=_KINDS[operation],
                                 conn=state.db.connection)
    signer = None if outcome.status_code == PRECHECK else dian_signer(
        context.home, now=context.now, ca_password=context.ca_password, authority=context.authority)

    def answer_to(final: DocumentOutcome) -> bytes | None:
        return None if signer is None else signed_application_response(final, context.environment,
                                                                        context.now, signer)

    expected = store.with_duplicate_check(state.db.connection, outcome, context.environment)
    answer = answer_to(expected)
    with state.write() as conn:
        outcome = store.with_duplicate_check(conn, outcome, context.environment)
        if outcome != expected:
            answer = answer_to(outcome)
        store.record_document(conn, outcome, operation=operation.value, environment=context.environment, data=data,
                              application_response=answer, sender_nit=context.sender_nit, zip_key=zip_key,
                              test_set_id=test_set_id, now=context.now)
        if test_set_id is not None and outcome.registration is not None:
            testset.decide(conn, outcome.registration, context.now)
    return outcome, answer


def _send_sync(context: _Context, request: SoapRequest) -> SoapAnswer:
    try:
        content = request.binary("contentFile")
        entries = open_zip(content, single=True)
    except (ZipRefused, MinicaError) as exc:
        return _reply(request, _dian_response(precheck_failure(request.text("fileName"), exc.what)), context.now)
    entry = entries[0]
    outcome, answer = _validate_and_record(context, request.operation, entry.name, entry.data, zip_key=None,
                                           test_set_id=None, validator=context.validator())
    return _reply(request, _dian_response(outcome, answer), context.now)


def _send_async(context: _Context, request: SoapRequest) -> SoapAnswer:
    file_name = request.text("fileName")
    test_set_id = None
    if request.operation is Operation.SEND_TEST_SET_ASYNC:
        if context.environment is Environment.PRODUCCION:
            return _reply(request, _upload_refused("Acción no disponible en producción.", file_name), context.now)
        registration = registration_by_test_set(context.home, request.text("testSetId"),
                                                conn=_database(context.home).connection)
        if registration is None:
            return _reply(request, _upload_refused(f"El testSetId '{request.text('testSetId')[:60]}' no existe.",
                                                   file_name), context.now)
        if not registration.authorises(context.sender_nit):
            return _reply(request, _upload_refused(f"El NIT {context.sender_nit} del certificado no está autorizado"
                                                   f" para el set de pruebas {registration.test_set_id}.",
                                                   file_name), context.now)
        test_set_id = registration.test_set_id
    try:
        content = request.binary("contentFile")
        open_zip(content, single=False)
    except (ZipRefused, MinicaError) as exc:
        return _reply(request, _upload_refused(exc.what, file_name), context.now)
    zip_key = str(uuid.uuid4())
    with context.state.write() as conn:
        store.record_zip(conn, zip_key=zip_key, operation=request.operation.value, environment=context.environment,
                         file_name=file_name, sender_nit=context.sender_nit, test_set_id=test_set_id,
                         content=content, now=context.now)
    result = Record("UploadDocumentResponse", (
        ("ErrorMessageList", Records("XmlParamsResponseTrackId", "XmlParamsResponseTrackId", ())),
        ("ZipKey", zip_key)))
    return _reply(request, result, context.now, zip_key=zip_key)


def process_zip(home: Home, zip_key: str, now: _dt.datetime, ca_password: bytes | None) -> int:
    """Validate and record every document of a pending ZIP (once); the number of documents."""
    db = _database(home)
    found = store.get_zip(db.connection, zip_key)
    if found is None or found.status != "pending":
        return 0
    state = home_state(home)
    context = _Context(home, found.environment, now, ca_password, found.sender_nit, state,
                       state.current_authority(), RequestRevocation(db.connection))
    validator = context.validator()
    try:
        entries = open_zip(found.content, single=False)
    except ZipRefused:
        entries = []
    for entry in entries:
        _validate_and_record(context, Operation(found.operation), entry.name, entry.data, zip_key=zip_key,
                             test_set_id=found.test_set_id, validator=validator)
    with state.write() as conn:
        store.mark_zip_done(conn, zip_key, now)
    return len(entries)


def pending_zips(home: Home) -> list[str]:
    """ZipKeys received but not processed yet (after a restart, say)."""
    if not home.db_path.exists():
        return []
    with Database.open(home) as db:
        return store.pending_zip_keys(db.connection)


def _get_status(context: _Context, request: SoapRequest) -> SoapAnswer:
    track = request.text("trackId").strip()
    if len(track) < MIN_TRACK_ID:
        result = _dian_response(precheck_failure("", f"El trackId '{track[:40]}' no es válido: es muy corto."))
        return _reply(request, result, context.now)
    found = store.document_by_key(_database(context.home).connection, context.environment, track)
    if found is None:
        return _reply(request, _status_only("66", "TrackId no existe en los registros de la DIAN.",
                                            "TrackId no encontrado."), context.now)
    return _reply(request, _stored_response(found), context.now)


def _get_status_zip(context: _Context, request: SoapRequest) -> SoapAnswer:
    track = request.text("trackId").strip()

    def answer(*items: Record, pending: str | None = None) -> SoapAnswer:
        return _reply(request, Records("DianResponse", "DianResponse", items), context.now, pending=pending)

    if not _GUID.match(track):
        return answer(_dian_response(precheck_failure("", f"El ZipKey '{track[:40]}' no es un GUID.")))
    conn = _database(context.home).connection
    found = store.get_zip(conn, track.lower())
    if found is None or found.environment is not context.environment:
        return answer(_status_only("66", "TrackId no existe en los registros de la DIAN.", "ZipKey no encontrado."))
    if found.status == "pending":
        return answer(_status_only("98", "En Proceso", PENDING_MESSAGE), pending=found.zip_key)
    documents = store.documents_of_zip(conn, found.zip_key)
    return answer(*(_stored_response(d) for d in documents))


def _get_numbering_range(context: _Context, request: SoapRequest) -> SoapAnswer:
    account, provider = request.text("accountCode").strip(), request.text("accountCodeT").strip()
    found = registration_by_software_id(context.home, request.text("softwareCode"),
                                        conn=_database(context.home).connection)
    digits = "".join(c for c in account if c.isdigit())
    if found is None or found.nit != digits or "".join(c for c in provider if c.isdigit()) != found.provider_nit:
        return _reply(request, _numbering(None, "No se encontraron rangos de numeración para el software, el NIT y "
                                                "el proveedor dados."), context.now)
    if not found.authorises(context.sender_nit):
        return _reply(request, _numbering(None, f"El NIT {context.sender_nit} del certificado no está autorizado "
                                                f"para consultar los rangos de {found.nit_with_dv}."), context.now)
    return _reply(request, _numbering(found, "Acción completada OK."), context.now)


def _get_xml_by_document_key(context: _Context, request: SoapRequest) -> SoapAnswer:
    track = request.text("trackId").strip()
    found = store.document_by_key(_database(context.home).connection, context.environment, track) \
        if len(track) >= MIN_TRACK_ID else None
    if found is None:
        return _reply(request, _event_response("404", "El documento no existe.", None, None), context.now)
    return _reply(request, _event_response("100", "Accion completada OK.", found.received_at, found.document),
                  context.now)


_HANDLERS = {
    Operation.SEND_BILL_SYNC: _send_sync,
    Operation.SEND_NOMINA_SYNC: _send_sync,
    Operation.SEND_EVENT_UPDATE_STATUS: _send_sync,
    Operation.SEND_BILL_ASYNC: _send_async,
    Operation.SEND_TEST_SET_ASYNC: _send_async,
    Operation.GET_STATUS: _get_status,
    Operation.GET_STATUS_ZIP: _get_status_zip,
    Operation.GET_NUMBERING_RANGE: _get_numbering_range,
    Operation.GET_XML_BY_DOCUMENT_KEY: _get_xml_by_document_key,
}
