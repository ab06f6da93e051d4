"""The OpenAPI 3.1 description of ``minica serve`` (served at ``/api/v1/openapi.json``)."""

from __future__ import annotations

from typing import Any

from minica import __version__

_ERROR = {"description": "refused: {error, hint}", "content": {"application/json": {
    "schema": {"$ref": "#/components/schemas/Error"}}}}
_JSON = {"application/json": {"schema": {"type": "object"}}}


def _op(summary: str, *, body: dict[str, Any] | None = None, auth: bool = False, ok: str = "200",
        errors: tuple[str, ...] = ("400", "413", "422"), params: list[dict[str, Any]] | None = None,
        content: dict[str, Any] | None = None) -> dict[str, Any]:
    op: dict[str, Any] = {"summary": summary, "responses": {ok: {"description": "ok", "content": content or _JSON}}}
    for code in errors + (("401",) if auth else ()):
        op["responses"][code] = _ERROR
    if body is not None:
        op["requestBody"] = {"required": True, "content": {"application/json": {"schema": body}}}
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
_DER = {"application/pkix-cert": {"schema": {"type": "string", "format": "binary"}}}
_CRL = {"application/pkix-crl": {"schema": {"type": "string", "format": "binary"}}}
_OCSP = {"application/ocsp-response": {"schema": {"type": "string", "format": "binary"}}}


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
            "schemas": {"Error": _obj(["error", "hint"], error=_S, hint=_S)},
        },
        "paths": {
            "/ca/root.crt": {"get": _op("root CA certificate (DER)", content=_DER, errors=())},
            "/ca/issuing.crt": {"get": _op("issuing CA certificate (DER)", content=_DER, errors=())},
            "/ca/root.pem": {"get": _op("root CA certificate (PEM)", errors=())},
            "/ca/issuing.pem": {"get": _op("issuing CA certificate (PEM)", errors=())},
            "/ca/chain.pem": {"get": _op("issuing then root CA certificate (PEM)", errors=())},
            "/crl/issuing.crl": {"get": _op("current CRL of the issuing CA (DER)", content=_CRL, errors=())},
            "/crl/root.crl": {"get": _op("current CRL of the root CA (DER)", content=_CRL, errors=())},
            "/ocsp": {"post": {**_op("OCSP (RFC 6960), body application/ocsp-request", content=_OCSP,
                                     errors=("413",)),
                               "requestBody": {"required": True, "content": {"application/ocsp-request": {
                                   "schema": {"type": "string", "format": "binary"}}}}}},
            "/ocsp/{request}": {"get": _op("OCSP by GET: base64 DER request, URL-encoded (RFC 6960 A.1)",
                                           content=_OCSP, errors=(), params=[
                                               {"name": "request", "in": "path", "required": True, "schema": _S}])},
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
            "/api/v1/certificates/{serial}": {"get": _op("one certificate, with its PEM", errors=("400", "404"),
                                                         params=_SERIAL)},
            "/api/v1/certificates/{serial}/revoke": {"post": _op(
                "revoke a certificate (RFC 5280 reason)", auth=True, params=_SERIAL,
                errors=("400", "404", "409", "413"),
                body=_obj([], reason={"type": "string", "description": "e.g. keyCompromise, superseded"}))},
            "/api/v1/check": {
                "get": _op("check every stored certificate", errors=("400", "409"), params=[
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
        },
    }
