"""uvicorn's HTTP protocol with its one hand-written answer in KooMessage's
format.

A request the HTTP parser cannot read (an unknown method, a control character
in a header, a malformed request line or chunk) never reaches the
application: uvicorn answers it itself with a plain-text ``400 Invalid HTTP
request received.``.  Here that answer is ``{"error_code": "APIGW.0201", ...}``
with an ``X-Request-Id``, and the connection is closed as before.

What this cannot reach (docs/errors.md): a connection closed or reset before
a request was read has no one to answer; a response that had already started
when the application failed can only be cut off; uvicorn's own 503 for
``limit_concurrency`` and its 500 for an application that never answered are
not reachable because Tidings sets no concurrency limit and always answers
(``errors.install`` turns every exception into a KooMessage 500).
"""

from __future__ import annotations

import uuid

import orjson

try:  # the same choice as uvicorn's "auto": httptools where installed
    from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol as _Base
except ImportError:  # pragma: no cover
    from uvicorn.protocols.http.h11_impl import H11Protocol as _Base  # type: ignore[assignment]  # the other of the two protocol classes, same interface


def bad_request_bytes(request_id: str) -> bytes:
    body = orjson.dumps({"error_code": "APIGW.0201", "error_msg": "API request error: the HTTP request is malformed",
                         "request_id": request_id})
    head = (
        b"HTTP/1.1 400 Bad Request\r\n"
        b"content-type: application/json\r\n"
        b"x-request-id: " + request_id.encode() + b"\r\n"
        b"content-length: " + str(len(body)).encode() + b"\r\n"
        b"connection: close\r\n\r\n"
    )
    return head + body


class KooHttpProtocol(_Base):
    def send_400_response(self, msg: str) -> None:
        self.transport.write(bad_request_bytes(uuid.uuid4().hex))
        self.transport.close()
