"""The HTTP side of KooMessage's errors: handlers that guarantee every error
leaves as ``{"error_code", "error_msg"}`` (plus the legacy ``error_message``
for the AIM group, errors.md §1) with an ``X-Request-Id`` header, never a
trace.  The errors themselves live in :mod:`tidings.errors`.
"""

from __future__ import annotations

import logging
from typing import Any

import orjson
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.responses import Response

from tidings.errors import EMPTY_PARAMETER, INTERNAL, INVALID_PARAMETER, KooError, describe_validation

log = logging.getLogger("tidings.api")


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
