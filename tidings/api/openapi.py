"""The served OpenAPI document (``/openapi.json``, ``/docs``) tells the truth
about errors: FastAPI's default 422 ``HTTPValidationError`` is never answered
(validation errors leave as 400 in KooMessage's format, :mod:`tidings.api.errors`),
so it is replaced by the answers an operation really gives, each with the one
error body:

* 400 every operation (invalid parameter, a refused request, a missing object);
* 401 and 403 every API under ``/v1``, ``/tidings/v1``, ``/admin/v1`` (they all
  authenticate: signature or token; role, account state); 429 the tenant
  APIs, which take the tenant's request budget;
* 409 operations that declare it (a reused ``X-Idempotency-Key``);
* 413 operations with a request body (over the gateway's 12 MB);
* 404 ``APIGW.0101`` is the answer for a path or method not listed here, so it
  is described once, in ``info``, rather than on operations that exist.

Upload operations read their multipart body themselves; :data:`UPLOAD_BODY`
documents it (``openapi_extra``)."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi

ERROR_SCHEMA = "KooError"

_ERROR_BODY = {
    "type": "object",
    "required": ["error_code", "error_msg"],
    "properties": {
        "error_code": {"type": "string", "description": "KM.* service codes, APIGW.* gateway codes, TD.* Tidings' own (docs/errors.md)",
                       "example": "KM.00000001"},
        "error_msg": {"type": "string", "description": "What was wrong; validation names the field and the limit",
                      "example": "Invalid parameter app_name: must be at most 30 characters"},
        "error_message": {"type": "string", "description": "Legacy duplicate of error_msg, on the AIM group's operations only"},
        "request_id": {"type": "string", "description": "On APIGW.* errors; every answer also carries the X-Request-Id header"},
    },
    "description": "KooMessage's error body (the official SDK raises ClientRequestException from it).",
}

_WHY = {
    400: "Invalid parameter, a refused request or a missing object (KM.* / TD.* codes; APIGW.0201 for a malformed request)",
    401: "Authentication failed: signature, X-Sdk-Date, unknown key or token (APIGW.0301)",
    403: "Authenticated but not allowed: role, suspended account, operator key on a tenant API (APIGW.0302)",
    409: "Conflict: X-Idempotency-Key reused with a different request (TD.00010409)",
    413: "Request body over 12 MB (APIGW.0201)",
    429: "Over the tenant's request or message rate (APIGW.0308); Retry-After says when to retry",
}

UPLOAD_BODY: dict[str, Any] = {
    "requestBody": {
        "required": True,
        "content": {
            "multipart/form-data": {
                "schema": {
                    "type": "object",
                    "required": ["file"],
                    "properties": {"file": {"type": "string", "format": "binary", "description": "The document (JPEG, PNG, BMP or PDF)"}},
                }
            }
        },
    }
}


def error_statuses(path: str, method: str, declared: set[int]) -> set[int]:
    """The 4xx answers of one operation, by where it lives: every API under
    ``/v1``, ``/tidings/v1`` and ``/admin/v1`` authenticates (tenant APIs also
    take the tenant's rate budget, operator APIs do not)."""
    statuses = {400} | declared
    if path.startswith(("/v1/", "/tidings/v1/")):
        statuses |= {401, 403, 429}
    elif path.startswith("/admin/v1/"):
        statuses |= {401, 403}
    if method in ("post", "put", "patch"):
        statuses.add(413)
    return statuses


def install(app: FastAPI) -> None:
    def openapi() -> dict:
        if app.openapi_schema is None:
            app.openapi_schema = _build(app)
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]  # FastAPI's documented way to serve a custom schema


def _build(app: FastAPI) -> dict:
    doc = get_openapi(title=app.title, version=app.version, description=app.description, routes=app.routes)
    doc["info"]["description"] += (
        "\n\nErrors use one body, `KooError` (`error_code`, `error_msg`) with an `X-Request-Id` header. "
        "A path or method not listed here answers 404 `APIGW.0101`."
    )
    ref = {"$ref": f"#/components/schemas/{ERROR_SCHEMA}"}
    for path, operations in doc["paths"].items():
        for method, op in operations.items():
            responses = op.setdefault("responses", {})
            responses.pop("422", None)
            declared = {int(s) for s in responses if s.isdigit() and 400 <= int(s) < 500}
            for status in sorted(error_statuses(path, method, declared)):
                entry = responses.setdefault(str(status), {})
                entry["description"] = _WHY.get(status, entry.get("description", ""))
                entry["content"] = {"application/json": {"schema": ref}}
    schemas = doc.setdefault("components", {}).setdefault("schemas", {})
    for unused in ("HTTPValidationError", "ValidationError"):
        schemas.pop(unused, None)
    schemas[ERROR_SCHEMA] = _ERROR_BODY
    return doc
