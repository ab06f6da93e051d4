"""The OpenAPI 3.1 description of ``minica serve`` (served at ``/api/v1/openapi.json``).

Every response has a described body: JSON success bodies come from
:mod:`minica.server.openapi_schemas` (a JSON operation without one there is an error when the
document is built, so none is left as a bare object), refusals are ``Error``. Status codes: 400 a
request that cannot be read (not JSON, empty, a bad header), 401 the bearer token, 403 a password
in the body, 404 something named that does not exist, 408 a body that arrived too slowly, 409 the
state forbids it, 413 too large, 422 any value the client sent that is wrong (a NIT's check digit,
a weak password, a form's rule, a document that is not XML), 503 the server's limits.
"""

from __future__ import annotations

from typing import Any

from minica import __version__
from minica.ca.requests.form import FIELDS, REPRESENTATIVE_FIELDS
from minica.ca.requests.platform import DOCUMENT_KINDS, SECTIONS
from minica.server.openapi_schemas import BODIES, SCHEMAS, STEP

_ERROR = {"description": "refused: {error, hint}", "content": {"application/json": {
    "schema": {"$ref": "#/components/schemas/Error"}}}}
#: Filled in by :func:`_describe` with the operation's body schema from ``BODIES``.
_JSON = {"application/json": {"schema": "described in openapi_schemas.BODIES"}}
_PEM = {"application/x-pem-file": {"schema": {"type": "string", "description": "PEM text"}}}
#: Any request may meet the server's limits (``minica serve --request-timeout``, ``--workers``,
#: ``--max-connections``): work that ran too long and was stopped, no free worker in time, too
#: many connections, or the server stopping. A body that arrives too slowly gets a 408.
_LIMIT = {"description": "the server's limits: the work took longer than the request timeout and was stopped,"
                         " no worker was free in time (Retry-After), too many connections, or the server is"
                         " stopping: {error, hint}",
          "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}}


def _op(summary: str, *, body: dict[str, Any] | None = None, auth: bool = False, ok: str = "200",
        errors: tuple[str, ...] = ("400", "413", "422"), params: list[dict[str, Any]] | None = None,
        content: dict[str, Any] | None = None, body_required: bool = True) -> dict[str, Any]:
    op: dict[str, Any] = {"summary": summary, "responses": {ok: {"description": "ok", "content": content or _JSON}}}
    for code in errors + (("401",) if auth else ()) + (("408",) if body is not None else ()):
        op["responses"][code] = _ERROR
    op["responses"]["503"] = _LIMIT
    if body is not None:
        op["requestBody"] = {"required": body_required, "content": {"application/json": {"schema": body}}}
    if auth:
        op["security"] = [{"bearer": []}]
    if params:
        op["parameters"] = params
    return op


def _obj(required: list[str], **props: dict[str, Any]) -> dict[str, Any]:
    return {"type": "object", "required": required, "properties": props}


_S = {"type": "string"}
_SERIAL = [{"name": "serial", "in": "path", "required": True, "schema": _S, "description": "hex serial"}]
_DOC = {"document": {"type": "string", "description": "the XML as text (UTF-8)"},
        "document_base64": {"type": "string", "description": "the XML's exact bytes, base64 (use one)"}}
_BINARY = {"type": "string", "format": "binary"}
_DER = {"application/pkix-cert": {"schema": _BINARY}}
_CRL = {"application/pkix-crl": {"schema": {"type": "string", "format": "binary"}}}
_OCSP = {"application/ocsp-response": {"schema": {"type": "string", "format": "binary"}}}


_RADICADO = [{"name": "radicado", "in": "path", "required": True, "schema": {"type": "string", "format": "uuid"},
              "description": "the request's filing number"}]
_FORM = {key: _S for key in FIELDS}
_REPRESENTATIVE = {key: _S for key in REPRESENTATIVE_FIELDS}
_UPLOAD = {"filename": _S, "content_base64": {"type": "string", "description": "the PDF's bytes (at most 1 MB)"}}
_STEP_ERRORS = ("400", "404", "409", "413", "422")
_ID = {"name": "id", "in": "path", "required": True, "schema": {"type": "integer"}}


def _step(summary: str, body: dict[str, Any] | None = None, errors: tuple[str, ...] = _STEP_ERRORS,
          ok: str = "200", body_required: bool = True) -> dict[str, Any]:
    """A request-process operation: token, the radicado in the path, 409 when the state forbids it."""
    return _op(summary, auth=True, params=_RADICADO, body=body, errors=errors, ok=ok, body_required=body_required)


def request_paths() -> dict[str, Any]:
    """The request process of DIAN's guides (``minica request …``) under ``/api/v1/requests``."""
    one = "/api/v1/requests/{radicado}"
    section = [*_RADICADO, {"name": "section", "in": "path", "required": True, "schema": _S,
                            "description": "one of " + ", ".join(SECTIONS)}]
    settings = _obj([], loan_days={"type": "integer"}, price_cop={"type": "integer"})
    return {
        "/api/v1/requests": {
            "get": _op("every request, in filing order (short view)", auth=True, errors=()),
            "post": _op(
                "file DIAN's request form (radicar); 422 lists every broken rule in 'problems'", auth=True,
                ok="201", errors=("400", "409", "413", "422"),
                body=_obj(["password"], **_FORM, channel={"enum": ["dian", "vendor"]},
                          password={"type": "string", "description": "the keystore password (policy applies);"
                                    " sealed until approval, never stored"},
                          password_confirmation=_S)),
        },
        "/api/v1/requests/tick": {"post": _op("apply every reminder, expiry and loan end due by now", auth=True,
                                              errors=())},
        one: {"get": _op("one request: status, sections, progress, documents, history, e-mails", auth=True,
                         errors=("404",), params=_RADICADO)},
        one + "/login": {"post": _step(
            "sign in to the CA's platform; the first sign-in must set new_password (403: wrong user or password)",
            _obj(["user", "password"], user=_S, password=_S, new_password=_S), _STEP_ERRORS + ("403",))},
        one + "/sections/{section}": {"post": {**_step(
            "save a section (Guardar sección), optionally changing its fields",
            _obj([], fields={"type": "object", "additionalProperties": _S}), body_required=False),
            "parameters": section}},
        one + "/documents": {"post": _step("upload a document (PDF, at most 1 MB)", _obj(
            ["kind", "filename", "content_base64"], kind={"enum": list(DOCUMENT_KINDS)}, **_UPLOAD), ok="201")},
        one + "/finalize": {"post": _step("Finalizar: lock the form and send it to review")},
        one + "/approve": {"post": _step("approve: issue the certificate into both environments' stores")},
        one + "/reject": {"post": _step("reject the documents: the form reopens and the reminders start",
                                        _obj(["reason"], reason=_S))},
        one + "/identity-failed": {"post": _step("identity validation failed: the request ends",
                                                 _obj([], detail=_S), body_required=False)},
        one + "/payment": {"post": _step("vendor: record the payment of a one-year certificate", _obj(
            ["reference"], reference=_S, amount_cop={"type": "integer", "minimum": 0, "maximum": 10**12},
            **_REPRESENTATIVE,
            autoridad_certificacion={"enum": ["gse", "andes", "certicamara"]}))},
        one + "/loan": {"post": _step("vendor: use the vendor's loaned certificate", _obj([], **_REPRESENTATIVE),
                                      body_required=False)},
        one + "/loan/letter": {
            "get": _op("vendor: the exoneration letter to sign (PDF)", auth=True, params=_RADICADO,
                       errors=("400", "404", "409"), content={"application/pdf": {"schema": _BINARY}}),
            "post": _step("vendor: upload the signed letter; the first upload starts the loan", _obj(
                ["filename", "content_base64"], **_UPLOAD)),
        },
        "/api/v1/outbox": {"get": _op("the e-mails sent (the welcome e-mail holds the temporary password)",
                                      auth=True, errors=("404",), params=[{"name": "radicado", "in": "query",
                                                                     "schema": _S}])},
        "/api/v1/outbox/{id}": {"get": _op("one e-mail: headers and plain-text body", auth=True, errors=("404",),
                                           params=[_ID])},
        "/api/v1/outbox/{id}.eml": {"get": _op("one e-mail exactly as sent (RFC 5322)", auth=True, errors=("404",),
                                               params=[_ID], content={"message/rfc822": {"schema": _S}})},
        "/api/v1/vendor/certificate": {"post": _op(
            "vendor: issue the certificate companies borrow (once per home)", auth=True, ok="201",
            errors=("400", "409", "413", "422"), body=_obj(["password"], password=_S, nit=_S, name=_S))},
        "/api/v1/vendor/settings": {
            "get": _op("vendor: loan period, price and certificate", auth=True, errors=()),
            "post": _op("vendor: change the loan period or the price", auth=True, body=settings),
        },
    }


def dian_paths() -> dict[str, Any]:
    """The local DIAN's JSON side (its SOAP endpoints are /dian/{environment}/WcfDianCustomerServices.svc)."""
    envelope = {"application/soap+xml": {"schema": {"type": "string", "description": "a SOAP 1.2 Envelope"}}}
    fault = {"description": "a SOAP 1.2 Fault, as DIAN's service answers: 500 what the service refused (not an"
                            " Envelope, WS-Security, an operation it does not know), 413 too large, 503 the"
                            " server's limits", "content": envelope}
    soap_op = _op("DIAN's SOAP 1.2 web service (WS-Security); GET with ?wsdl for the WSDL", errors=(),
                  content=envelope)
    soap_op["responses"].update({"408": _ERROR, "413": fault, "500": fault, "503": fault})
    soap = {"post": {**soap_op,
                     "parameters": [{"name": "environment", "in": "path", "required": True,
                                     "schema": {"enum": ["habilitacion", "produccion"]}}]}}
    return {
        "/dian/{environment}/WcfDianCustomerServices.svc": soap,
        "/api/v1/dian/software": {
            "get": _op("registered software (no PIN)", auth=True, errors=()),
            "post": _op("register software: software ID, TestSetId, numbering range, technical key", auth=True,
                        ok="201", errors=("400", "413", "422"),
                        body=_obj(["nit", "pin"], nit=_S, pin=_S, provider_nit=_S, name=_S,
                                  environment={"enum": ["habilitacion", "produccion"]}, prefix=_S,
                                  from_number={"type": "integer"}, to_number={"type": "integer"},
                                  test_set_quota={"type": "string", "description": "e.g. 30/10/10"})),
        },
        "/api/v1/dian/documents": {"get": _op(
            "what the local DIAN received, newest first, with status codes and rules", auth=True, errors=("400",),
            params=[{"name": n, "in": "query", "schema": _S} for n in ("environment", "test_set_id", "limit",
                                                                        "with_xml")])},
        "/api/v1/dian/testsets/{test_set_id}": {"get": _op(
            "a test set's counters and state", auth=True, errors=("400", "404"),
            params=[{"name": "test_set_id", "in": "path", "required": True, "schema": _S}])},
    }


def _describe(paths: dict[str, Any]) -> dict[str, Any]:
    """Put each JSON operation's success body in place: ``BODIES``, or for a step of the request
    process (a POST under ``/api/v1/requests/{radicado}/``) the request's short view."""
    for path, operations in paths.items():
        for method, op in operations.items():
            if method == "parameters":
                continue
            for response in op["responses"].values():
                json_body = response.get("content", {}).get("application/json")
                if json_body is None or json_body is not _JSON["application/json"]:
                    continue
                step = method == "post" and path.startswith("/api/v1/requests/{radicado}/")
                schema = BODIES.get((method, path), STEP if step else None)
                if schema is None:
                    raise KeyError(f"no response body described for {method.upper()} {path}")
                response["content"] = {"application/json": {"schema": schema}}
    return paths


def openapi_document(server_url: str) -> dict[str, Any]:
    """The API description, with ``server_url`` as its server."""
    return {
        "openapi": "3.1.0",
        "info": {"title": "minica mock CA", "version": __version__,
                 "description": "Mock CA for Colombian DIAN e-invoicing tests: certificates, CRL, OCSP, "
                                "XAdES-EPES signing and verification. NOT VALID FOR PRODUCTION."},
        "servers": [{"url": server_url}],
        "components": {
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer",
                                           "description": "the token 'minica serve' prints"}},
            "schemas": {"Error": _obj(["error", "hint"], error=_S, hint=_S, problems={
                "type": "object", "additionalProperties": _S,
                "description": "a request form's broken rules, by field (422 on filing)"}), **SCHEMAS},
        },
        "paths": _describe({
            "/ca/root.crt": {"get": _op("root CA certificate (DER)", content=_DER, errors=())},
            "/ca/issuing.crt": {"get": _op("issuing CA certificate (DER)", content=_DER, errors=())},
            "/ca/root.pem": {"get": _op("root CA certificate (PEM)", content=_PEM, errors=())},
            "/ca/issuing.pem": {"get": _op("issuing CA certificate (PEM)", content=_PEM, errors=())},
            "/ca/chain.pem": {"get": _op("issuing then root CA certificate (PEM)", content=_PEM, errors=())},
            "/crl/issuing.crl": {"get": _op("current CRL of the issuing CA (DER)", content=_CRL, errors=())},
            "/crl/root.crl": {"get": _op("current CRL of the root CA (DER)", content=_CRL, errors=())},
            "/ocsp": {"post": {**_op("OCSP (RFC 6960), body application/ocsp-request", content=_OCSP,
                                     errors=("408", "413")),
                               "requestBody": {"required": True, "content": {"application/ocsp-request": {
                                   "schema": {"type": "string", "format": "binary"}}}}}},
            "/ocsp/{request}": {"get": _op("OCSP by GET: base64 DER request, URL-encoded (RFC 6960 A.1)",
                                           content=_OCSP, errors=(), params=[
                                               {"name": "request", "in": "path", "required": True, "schema": _S}])},
            "/api/v1/openapi.json": {"get": _op("this description (OpenAPI 3.1)", errors=())},
            "/api/v1/certificates": {
                "get": _op("list certificates with status", errors=()),
                "post": _op("issue a certificate into the environments' keystores", auth=True, ok="201",
                            errors=("400", "409", "413", "422"), body=_obj(
                                ["nit", "name", "password"], nit=_S, name=_S, password={
                                    "type": "string", "description": "new keystore password (policy applies)"},
                                person={"enum": ["juridica", "natural"]},
                                profile={"enum": ["gse", "andes", "certicamara"]}, email=_S,
                                legal_representative=_S, legal_representative_document=_S, department=_S, city=_S,
                                environments={"enum": ["both", "habilitacion", "produccion"]},
                                days={"type": "integer"}, not_before=_S, not_after=_S,
                                p12_profile={"enum": ["compat", "modern", "legacy"]},
                                key_usage={"enum": ["signing", "encipherment"]})),
            },
            "/api/v1/certificates/{serial}": {"get": _op("one certificate, with its PEM", errors=("404", "422"),
                                                         params=_SERIAL)},
            "/api/v1/certificates/{serial}/revoke": {"post": _op(
                "revoke a certificate (RFC 5280 reason)", auth=True, params=_SERIAL,
                errors=("400", "404", "409", "413", "422"),
                body=_obj([], reason={"type": "string", "description": "e.g. keyCompromise, superseded"}))},
            "/api/v1/check": {
                "get": _op("check every stored certificate", errors=("409", "422"), params=[
                    {"name": "warn_days", "in": "query", "schema": {"type": "integer", "default": 30}}]),
                "post": _op("check one certificate (PEM or base64 DER)", body=_obj(
                    ["certificate"], certificate=_S, warn_days={"type": "integer"})),
            },
            "/api/v1/sign": {"post": _op(
                "sign a UBL document (XAdES-EPES) with a stored certificate", auth=True,
                errors=("400", "403", "404", "413", "422"),
                body=_obj(["password"], **_DOC, password={"type": "string", "description": "keystore password"},
                          serial=_S, nit=_S, environment={"enum": ["habilitacion", "produccion"]},
                          role={"enum": ["supplier", "third party"]},
                          digest={"enum": ["sha256", "sha384", "sha512"]}, with_chain={"type": "boolean"}))},
            "/api/v1/verify": {"post": _op(
                "verify a signed document: every check with its DIAN rule code",
                body=_obj([], **_DOC, technical_key=_S, software_pin=_S))},
            **request_paths(),
            **dian_paths(),
        }),
    }
