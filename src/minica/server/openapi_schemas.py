"""The response bodies of ``minica serve``'s JSON API, as OpenAPI 3.1 (JSON Schema 2020-12) schemas.

Each schema names the keys a client may rely on (``required``) with their types; objects stay open
to new keys (``additionalProperties`` is not closed) so that adding a field is not a breaking
change. Times are ISO-8601 strings in Colombian time (``-05:00``), except where a schema says
otherwise. ``tests/server/test_openapi_responses.py`` validates real answers of every endpoint
against these schemas.
"""

from __future__ import annotations

from typing import Any

_S: dict[str, Any] = {"type": "string"}
_INT: dict[str, Any] = {"type": "integer"}
_BOOL: dict[str, Any] = {"type": "boolean"}
_TIME: dict[str, Any] = {"type": "string", "format": "date-time", "description": "ISO-8601, Colombian time"}


def nullable(schema: dict[str, Any]) -> dict[str, Any]:
    return {"anyOf": [schema, {"type": "null"}]}


def obj(required: list[str], /, **props: dict[str, Any]) -> dict[str, Any]:
    return {"type": "object", "required": required, "properties": props}


def array(items: dict[str, Any]) -> dict[str, Any]:
    return {"type": "array", "items": items}


def ref(name: str) -> dict[str, Any]:
    return {"$ref": f"#/components/schemas/{name}"}


def every(schema: dict[str, Any]) -> dict[str, Any]:
    """An object with all of ``schema``'s properties required."""
    return {**schema, "required": list(schema["properties"])}


_CERTIFICATE = every(obj(
    [], serial=_S, nit={"type": "string", "description": "NIT-DV"}, name=_S,
    person={"enum": ["juridica", "natural"]}, profile={"enum": ["gse", "andes", "certicamara"]}, subject=_S,
    email=nullable(_S), not_before=_TIME, not_after=_TIME, fingerprint_sha256=_S,
    p12_profile={"enum": ["compat", "modern", "legacy"]}, revoked_at=nullable(_TIME),
    revocation_reason=nullable(_S), issued_at=_TIME,
    environments=array({"enum": ["habilitacion", "produccion"]}),
    status={"enum": ["valid", "expired", "not_yet_valid", "revoked"]},
))
_CERTIFICATE["properties"]["certificate_pem"] = {"type": "string", "description": "when one certificate is shown"}

_REPORT = every(obj(
    [], source=_S, status={"enum": ["valid", "expiring", "expired", "not_yet_valid", "revoked", "untrusted",
                                    "unreadable"]},
    detail=_S, subject=nullable(_S), nit=nullable({"type": "string", "description": "NIT-DV"}), nits=array(_S),
    issuer=nullable(_S), serial=nullable(_S), not_before=nullable(_TIME), not_after=nullable(_TIME),
    days_left=nullable({"type": "integer", "description": "calendar days in Colombia; negative once expired"}),
    fingerprint_sha256=nullable(_S), environments=array(_S),
))

_CHECK = obj(["rule", "status", "message"], rule=_S, status={"enum": ["pass", "fail", "warn", "skip"]},
             message=_S, cause=nullable(_S))
_VERIFICATION = obj(
    ["valid", "intact", "signature_valid", "profile", "trusted", "signer", "signing_time", "checks"],
    valid=_BOOL, intact=_BOOL, signature_valid=_BOOL, profile=_BOOL, trusted=_BOOL,
    signer=nullable(obj(["subject", "issuer", "serial", "not_before", "not_after"], subject=_S, issuer=_S,
                        serial=_S, not_before=_TIME, not_after=_TIME)),
    signing_time=nullable({"type": "string", "description": "xades:SigningTime, in Colombian time (-05:00)"}),
    policy=nullable(_S), checks=array(_CHECK),
)

_SUMMARY = every(obj(
    [], radicado={"type": "string", "format": "uuid"}, status=_S, channel={"enum": ["dian", "vendor"]},
    nit=_S, razon_social=_S, progress={"type": "string", "description": "sections saved/total"},
    created_at=_TIME, updated_at=_TIME,
))
_STEP = {**_SUMMARY, "properties": {
    **_SUMMARY["properties"], "password_changed": _BOOL, "pending_sections": array(_S),
    "loan": obj(["start", "end"], start=_TIME, end=_TIME)}}
_DOCUMENT = every(obj([], kind=_S, filename=_S, size=_INT, sha256=_S, uploaded_at=_TIME))
_OUTBOX_ENTRY = every(obj([], id=_INT, at=_TIME, kind=_S, radicado=nullable(_S), to=_S, subject=_S, delivered=_BOOL))
_MESSAGE = {**_OUTBOX_ENTRY, "required": [*_OUTBOX_ENTRY["required"], "from", "message_id", "text"],
            "properties": {**_OUTBOX_ENTRY["properties"], "from": _S, "message_id": _S,
                           "text": {"type": "string", "description": "the plain-text body, decoded"}}}
_REQUEST = obj(
    ["radicado", "status", "final", "channel", "form", "platform_user", "must_change_password", "locked",
     "sections", "progress", "required_documents", "documents", "finalized_at", "keystore_password_sealed",
     "serial", "created_at", "updated_at", "history", "emails"],
    radicado=_S, status=_S, final=_BOOL, channel={"enum": ["dian", "vendor"]},
    form={"type": "object", "description": "the form's keys (see POST /api/v1/requests), codes resolved"},
    platform_user=_S, must_change_password=_BOOL, locked=_BOOL,
    sections=array(obj(["name", "done", "saved_at", "fields"], name=_S, done=_BOOL, saved_at=nullable(_TIME),
                       fields=array(_S))),
    progress=every(obj([], done=_INT, total=_INT, percent=_INT, bar=_S)),
    required_documents=array(every(obj([], kind=_S, label=_S, uploaded=_BOOL))),
    documents=array(_DOCUMENT), finalized_at=nullable(_TIME), keystore_password_sealed=_BOOL,
    serial=nullable(_S), created_at=_TIME, updated_at=_TIME,
    history=array(obj(["at", "event", "detail"], at=_TIME, event=_S, detail={"type": "object"})),
    emails=array(ref("OutboxEntry")),
    rejection=obj(["round", "reason", "rejected_at", "expires_at", "schedule"], round=_INT, reason=_S,
                  rejected_at=_TIME, expires_at=_TIME,
                  schedule=array(every(obj([], at=_TIME, kind=_S, done=_BOOL)))),
    vendor={"type": "object", "description": "the vendor variant: price, payment, loan"},
)
_CAUGHT_UP = {"caught_up": array(_S), "delivery_problems": array(_S)}

_REGISTRATION = obj(
    ["nit", "software_id", "test_set_id", "environment", "numbering_range"], nit=_S, name=_S,
    provider_nit=nullable(_S), software_id=_S, test_set_id=_S, environment={"enum": ["habilitacion", "produccion"]},
    numbering_range=obj(["prefix", "from_number", "to_number", "technical_key"], prefix=_S, from_number=_INT,
                        to_number=_INT, resolution_number=_S, resolution_date=_S, valid_from=_S, valid_to=_S,
                        technical_key=_S),
    test_set_quota={"type": "object", "additionalProperties": _INT}, registered_at=nullable(_S),
)
_RECEIVED = obj(
    ["id", "operation", "environment", "status_code", "is_valid", "rules", "received_at"], id=_INT,
    operation=_S, environment=_S, file_name=_S, document_key=nullable(_S), status_code=_S, is_valid=_BOOL,
    status_description=_S, status_message=_S, rules=array({"type": "object"}), received_at=_S,
)
_TEST_SET = obj(
    ["test_set_id", "software_id", "nit", "status", "required", "accepted", "rejected"], test_set_id=_S,
    software_id=_S, nit=_S, status=_S, required={"type": "object", "additionalProperties": _INT},
    accepted={"type": "object", "additionalProperties": _INT},
    rejected={"type": "object", "additionalProperties": _INT}, decided_at=nullable(_S),
    total_accepted=_INT, total_rejected=_INT,
)

#: ``components.schemas`` of the document (``Error`` is added by :mod:`minica.server.openapi`).
SCHEMAS: dict[str, Any] = {
    "Certificate": _CERTIFICATE,
    "CheckReport": _REPORT,
    "Verification": _VERIFICATION,
    "RequestSummary": _SUMMARY,
    "RequestStep": _STEP,
    "Request": _REQUEST,
    "Document": _DOCUMENT,
    "OutboxEntry": _OUTBOX_ENTRY,
    "Message": _MESSAGE,
    "Registration": _REGISTRATION,
    "ReceivedDocument": _RECEIVED,
    "TestSet": _TEST_SET,
}

#: Each JSON operation's success body, by (method, path).
BODIES: dict[tuple[str, str], dict[str, Any]] = {
    ("get", "/api/v1/openapi.json"): obj(["openapi", "info", "paths", "components"], openapi=_S,
                                         info={"type": "object"}, paths={"type": "object"},
                                         components={"type": "object"}),
    ("get", "/api/v1/certificates"): obj(["certificates"], certificates=array(ref("Certificate"))),
    ("post", "/api/v1/certificates"): ref("Certificate"),
    ("get", "/api/v1/certificates/{serial}"): ref("Certificate"),
    ("post", "/api/v1/certificates/{serial}/revoke"): ref("Certificate"),
    ("get", "/api/v1/check"): obj(["reports"], reports=array(ref("CheckReport"))),
    ("post", "/api/v1/check"): ref("CheckReport"),
    ("post", "/api/v1/sign"): obj(["serial", "signing_time", "document_base64"], serial=_S,
                                  signing_time={**_TIME, "description": "the xades:SigningTime written"},
                                  document_base64={"type": "string", "description": "the signed document's bytes"}),
    ("post", "/api/v1/verify"): ref("Verification"),
    ("get", "/api/v1/requests"): obj(["requests"], requests=array(ref("RequestSummary"))),
    ("post", "/api/v1/requests"): obj(["radicado", "status", "platform_user"], radicado=_S, status=_S,
                                      platform_user=_S, **_CAUGHT_UP),
    ("post", "/api/v1/requests/tick"): obj(["applied", "delivery_problems"], applied=array(_S),
                                           delivery_problems=array(_S)),
    ("get", "/api/v1/requests/{radicado}"): ref("Request"),
    ("post", "/api/v1/requests/{radicado}/documents"): ref("Document"),
    ("post", "/api/v1/requests/{radicado}/approve"): obj(["radicado", "status", "certificate"], radicado=_S,
                                                         status={"const": "aprobada"},
                                                         certificate=ref("Certificate")),
    ("get", "/api/v1/outbox"): obj(["emails"], emails=array(ref("OutboxEntry"))),
    ("get", "/api/v1/outbox/{id}"): ref("Message"),
    ("post", "/api/v1/vendor/certificate"): ref("Certificate"),
    ("get", "/api/v1/vendor/settings"): every(obj([], loan_days=_INT, price_cop=_INT, vendor_nit=nullable(_S),
                                                  vendor_serial=nullable(_S))),
    ("post", "/api/v1/vendor/settings"): every(obj([], loan_days=_INT, price_cop=_INT, vendor_nit=nullable(_S),
                                                   vendor_serial=nullable(_S))),
    ("get", "/api/v1/dian/software"): obj(["software"], software=array(ref("Registration"))),
    ("post", "/api/v1/dian/software"): ref("Registration"),
    ("get", "/api/v1/dian/documents"): obj(["documents"], documents=array(ref("ReceivedDocument"))),
    ("get", "/api/v1/dian/testsets/{test_set_id}"): ref("TestSet"),
}

#: The request-process steps that answer the request's short view (with what the step adds).
STEP = ref("RequestStep")
