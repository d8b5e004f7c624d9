"""What KooMessage's API gateway does before any operation runs: give every
request an id (``X-Request-Id`` on every answer, and on every log line written
while handling it), enforce the 12 MB body limit, and write the access log (one
INFO line per request with method, path, status, duration and tenant).

A product's fast paths (``Product.fast_paths``: a path prefix and a raw ASGI
handler) are tried here before the routers, so a hot page skips FastAPI's
route matching (~0.15 ms a request over all the routes), dependencies and
validation; what this middleware does holds for them as for any request.

The limit holds for every body framing.  A ``Content-Length`` past it is
refused before anything is read; a chunked (or otherwise unframed) body is
counted while it is read, whoever reads it (FastAPI's body parsing, the
signature check, the multipart parser), and the read that crosses the limit
fails.  The answer is then 413 ``APIGW.0201`` with ``Connection: close``,
whatever the application made of the failed read, and the server closes the
connection instead of draining the rest.  The body is hashed as it streams
by, so the signature check does not hash it again (``body_sha256``).
"""

from __future__ import annotations

import hashlib
import logging
import time
import uuid
from collections.abc import Awaitable, Callable, Mapping

from starlette.requests import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from tidings.api import errors
from tidings.logs import request_id

access = logging.getLogger("tidings.access")

MAX_BODY_BYTES = 12 * 1024 * 1024


class BodyTooLarge(Exception):
    """Raised from ``receive`` once a body passes the limit."""


def body_sha256(request: Request) -> str | None:
    """The hex SHA-256 of the whole body, once it has been read through the gateway."""
    return request.scope.get("state", {}).get("body_sha256")


def _declared_length(scope: Scope) -> int | None:
    for name, value in scope["headers"]:
        if name == b"content-length":
            return int(value) if value.isdigit() else None
    return None


async def _refuse(scope: Scope, send: Send) -> None:
    resp = errors.error_response(Request(scope), 413, "APIGW.0201", "Request entity too large: the body exceeds 12 MB")
    resp.headers["Connection"] = "close"
    await resp(scope, _no_body, send)


async def _no_body() -> Message:
    return {"type": "http.disconnect"}


FastPath = Callable[[Scope, Receive, Send], Awaitable[bool]]


class GatewayMiddleware:
    def __init__(self, app: ASGIApp, access_log: bool = True, max_body_bytes: int = MAX_BODY_BYTES,
                 fast_paths: Mapping[str, FastPath] | None = None):
        self.app = app
        self.access_log = access_log
        self.max_body_bytes = max_body_bytes
        self.fast_paths = tuple((fast_paths or {}).items())

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        began = time.perf_counter()
        rid = uuid.uuid4().hex
        token = request_id.set(rid)
        state = scope.setdefault("state", {})
        state["request_id"] = rid
        status = [500]  # what the client sees if the app dies before answering
        try:
            await self._handle(scope, receive, send, state, status)
        finally:
            if self.access_log and access.isEnabledFor(logging.INFO):
                principal = state.get("principal")
                tenant = getattr(principal, "tenant_name", None) or "-"
                access.info("%s %s %d %.1fms tenant=%s", scope["method"], scope["path"], status[0],
                            (time.perf_counter() - began) * 1000, tenant)
            request_id.reset(token)

    async def _handle(self, scope: Scope, receive: Receive, send: Send, state: dict, status: list[int]) -> None:
        rid_header = (b"x-request-id", state["request_id"].encode())

        async def send_with_id(message: Message) -> None:
            if message["type"] == "http.response.start":
                status[0] = message["status"]
                headers = list(message.get("headers", []))
                if not any(k.lower() == b"x-request-id" for k, _ in headers):
                    headers.append(rid_header)
                message["headers"] = headers
            await send(message)

        declared = _declared_length(scope)
        if declared is not None and declared > self.max_body_bytes:
            return await _refuse(scope, send_with_id)

        limit = self.max_body_bytes
        received = 0
        hasher = hashlib.sha256()
        exceeded = False
        started = False

        async def limited_receive() -> Message:
            nonlocal received, exceeded
            if exceeded:
                raise BodyTooLarge()
            message = await receive()
            if message["type"] == "http.request":
                chunk = message.get("body", b"")
                received += len(chunk)
                if received > limit:
                    exceeded = True
                    raise BodyTooLarge()
                hasher.update(chunk)
                if not message.get("more_body", False):
                    state["body_sha256"] = hasher.hexdigest()
            return message

        async def guarded_send(message: Message) -> None:
            # Once the body passed the limit, the answer is 413, whatever the
            # application made of the failed read (FastAPI turns it into 400).
            nonlocal started
            if exceeded:
                if not started:
                    started = True
                    await _refuse(scope, send_with_id)
                return
            if message["type"] == "http.response.start":
                started = True
            await send_with_id(message)

        try:
            path = scope["path"]
            for prefix, fast in self.fast_paths:
                if path.startswith(prefix) and await fast(scope, limited_receive, guarded_send):
                    return
            await self.app(scope, limited_receive, guarded_send)
        except Exception:
            # Whatever the failed read became on its way up: still a 413.
            if not exceeded:
                raise
            if not started:
                started = True
                await _refuse(scope, send_with_id)
