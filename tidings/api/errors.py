"""KooMessage's error wire format, and the handlers that guarantee every error
leaves in it: ``{"error_code", "error_msg"}`` (plus the legacy ``error_message``
for the AIM group, errors.md §1), an ``X-Request-Id`` header, never a trace.

Service errors are ``KM.*`` codes answered with HTTP 400 (a missing object too:
KooMessage does not answer 404 for objects).  Gateway errors are ``APIGW.*``.
Tidings' own codes are listed in docs/errors.md.
"""

from __future__ import annotations

import logging
from typing import Any

import orjson
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.responses import Response

log = logging.getLogger("tidings.api")

# Codes used across products.  Product-specific codes live with the product.
INVALID_PARAMETER = "KM.00000001"
EMPTY_PARAMETER = "KM.90016414"
INTERNAL = "KM.90019003"


class KooError(Exception):
    """Raise anywhere under the API to answer in KooMessage's format."""

    def __init__(self, code: str, msg: str, status: int = 400, headers: dict[str, str] | None = None):
        super().__init__(f"{code}: {msg}")
        self.code = code
        self.msg = msg
        self.status = status
        self.headers = headers or {}


def invalid(field: str, reason: str, code: str = INVALID_PARAMETER) -> KooError:
    return KooError(code, f"Invalid parameter {field}: {reason}")


def not_found(code: str, what: str) -> KooError:
    """The answer for a missing object *and* for another tenant's object: the
    same code and text, so nothing tells a caller that a foreign id exists."""
    return KooError(code, f"{what} does not exist")


# AIM-group operations still carry the legacy duplicate ``error_message``.
_AIM_LEGACY_PREFIXES = (
    "/v1/aim/callbacks",
    "/v1/aim/mobile-capabilities",
    "/v1/aim/resolve-",
    "/v1/aim/send-",
    "/v1/aim/template-reports",
)


def _wants_legacy(path: str, method: str) -> bool:
    return path.startswith(_AIM_LEGACY_PREFIXES) or (path == "/v1/aim/templates" and method == "GET")


def error_response(request: Request | None, status: int, code: str, msg: str, headers: dict[str, str] | None = None) -> Response:
    # A message may quote the caller's input; a lone surrogate in it cannot be
    # encoded as JSON and would turn a 400 into a 500.
    msg = msg.encode("utf-8", "replace").decode("utf-8")
    body: dict[str, Any] = {"error_code": code, "error_msg": msg}
    if request is not None and _wants_legacy(request.url.path, request.method):
        body["error_message"] = msg
    rid = request_id_of(request) if request is not None else ""
    if code.startswith("APIGW"):
        body["request_id"] = rid
    # Set here as well as in the middleware: a 500 is rendered outside it.
    all_headers = {"X-Request-Id": rid, **(headers or {})}
    return Response(orjson.dumps(body), status_code=status, media_type="application/json", headers=all_headers)


def request_id_of(request: Request) -> str:
    return request.scope.get("state", {}).get("request_id", "")


def _field_path(loc: tuple) -> str:
    parts = [str(p) for p in loc if p not in ("body", "query", "path", "header")]
    out = ""
    for p in parts:
        out += f"[{p}]" if p.isdigit() else (f".{p}" if out else p)
    return out or "body"


def describe_validation(err: dict) -> str:
    """One line naming the field and the limit, from a Pydantic error."""
    field = _field_path(tuple(err.get("loc", ())))
    kind = err.get("type", "")
    ctx = err.get("ctx") or {}
    if kind == "missing":
        return f"{field} is required"
    if kind == "string_too_long":
        return f"{field} must be at most {ctx.get('max_length')} characters"
    if kind == "string_too_short":
        return f"{field} must be at least {ctx.get('min_length')} characters"
    if kind == "too_long":
        return f"{field} must have at most {ctx.get('max_length')} items"
    if kind == "too_short":
        return f"{field} must have at least {ctx.get('min_length')} items"
    if kind in ("literal_error", "enum"):
        return f"{field} must be one of {ctx.get('expected')}"
    if kind in ("greater_than_equal", "less_than_equal", "greater_than", "less_than"):
        bound = next(iter(ctx.values()), "")
        words = {"greater_than_equal": ">=", "less_than_equal": "<=", "greater_than": ">", "less_than": "<"}
        return f"{field} must be {words[kind]} {bound}"
    if kind == "json_invalid":
        return "request body is not valid JSON"
    if kind == "model_attributes_type" or kind == "dict_type":
        return f"{field} must be a JSON object"
    msg = err.get("msg", "is invalid")
    return f"{field}: {msg}"


def install(app: FastAPI) -> None:
    @app.exception_handler(KooError)
    async def _koo(request: Request, exc: KooError) -> Response:
        return error_response(request, exc.status, exc.code, exc.msg, exc.headers)

    @app.exception_handler(RequestValidationError)
    async def _validation(request: Request, exc: RequestValidationError) -> Response:
        errors = exc.errors()
        first = errors[0] if errors else {"msg": "invalid request"}
        code = EMPTY_PARAMETER if first.get("type") == "missing" else INVALID_PARAMETER
        text = describe_validation(first)
        if len(errors) > 1:
            text += f" (and {len(errors) - 1} more)"
        return error_response(request, 400, code, text)

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> Response:
        if exc.status_code in (404, 405):
            msg = "The API does not exist or has not been published in the environment" if exc.status_code == 404 else "The API does not exist"
            return error_response(request, 404, "APIGW.0101", msg)
        if exc.status_code == 413:
            return error_response(request, 413, "APIGW.0201", "Request entity too large")
        return error_response(request, exc.status_code, "APIGW.0201", str(exc.detail))

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception) -> Response:
        log.exception("unhandled error on %s %s (request %s)", request.method, request.url.path, request_id_of(request))
        return error_response(request, 500, INTERNAL, "Service exception")
