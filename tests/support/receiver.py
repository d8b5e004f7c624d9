"""A real HTTP receiver for callback tests: a threaded HTTP/1.1 server on
127.0.0.1 that records every request and can be told to misbehave.

    with Receiver() as rx:
        ...register rx.url("/receipts") ...
        rx.respond(500)          # answer 500 until told otherwise
        rx.hang()                # accept, read, never answer in time
        rx.down()                # close the port: connections are refused
        rx.up()                  # listen again on the same port, answer 200
        rx.wait_for(lambda reqs: len(reqs) >= 3, timeout=20)

Only requests that got a 2xx answer are "accepted" (``rx.accepted``); every
request, answered or not, is in ``rx.requests``.
"""

from __future__ import annotations

import json
import socket
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qsl

from tests.support.wait import TIMEOUT, wait_until


@dataclass
class Received:
    method: str
    path: str
    headers: dict[str, str]
    body: bytes
    at: float
    answered: int | None = None

    def header(self, name: str) -> str | None:
        return self.headers.get(name.lower())

    def json(self):
        return json.loads(self.body)

    def form(self) -> dict[str, str]:
        return dict(parse_qsl(self.body.decode(), keep_blank_values=True))


@dataclass
class _Mode:
    status: int = 200
    hang_seconds: float = 0.0
    delay_seconds: float = 0.0


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True


class Receiver:
    def __init__(self, port: int = 0):
        self._lock = threading.Lock()
        self._requests: list[Received] = []
        self._mode = _Mode()
        self._conns: set[socket.socket] = set()
        self._release = threading.Event()
        self.port = port
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None
        self.up()

    # --- lifecycle -----------------------------------------------------------------
    def up(self) -> None:
        """Listen (again, on the same port) and answer 200."""
        with self._lock:
            self._mode = _Mode()
        if self._server is not None:
            self._release.set()  # let hanging requests go
            return
        self._release.clear()
        self._server = _Server(("127.0.0.1", self.port), self._handler())
        self.port = self._server.server_address[1]
        self._thread = threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
        self._thread.start()

    def down(self) -> None:
        """Stop listening and drop open keep-alive connections: the port refuses."""
        if self._server is None:
            return
        self._release.set()
        self._server.shutdown()
        self._server.server_close()
        with self._lock:
            conns = list(self._conns)
        for c in conns:
            try:
                c.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
        self._server = None

    def close(self) -> None:
        self.down()

    def __enter__(self) -> Receiver:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    # --- behaviour ------------------------------------------------------------------
    def respond(self, status: int) -> None:
        with self._lock:
            self._mode = _Mode(status=status)

    def slow(self, seconds: float) -> None:
        """Answer 200, but only ``seconds`` after each request arrived."""
        with self._lock:
            self._mode = _Mode(delay_seconds=seconds)

    def hang(self, seconds: float = 3600.0) -> None:
        """Read requests but do not answer for ``seconds``, then drop the connection."""
        self._release.clear()
        with self._lock:
            self._mode = _Mode(hang_seconds=seconds)

    def url(self, path: str = "/") -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    # --- what arrived ---------------------------------------------------------------
    @property
    def requests(self) -> list[Received]:
        with self._lock:
            return list(self._requests)

    @property
    def accepted(self) -> list[Received]:
        return [r for r in self.requests if r.answered is not None and 200 <= r.answered < 300]

    def clear(self) -> None:
        with self._lock:
            self._requests.clear()

    def wait_for(self, predicate: Callable[[list[Received]], bool], timeout: float = TIMEOUT) -> list[Received]:
        """Wait until ``predicate(accepted requests)`` holds; those requests."""

        def met() -> tuple[list[Received]] | None:
            got = self.accepted
            return (got,) if predicate(got) else None

        try:
            return wait_until(met, timeout, what="the receiver's condition")[0]
        except AssertionError as exc:
            raise AssertionError(f"{exc}; {len(self.accepted)} accepted, {len(self.requests)} received") from None

    # --- the handler ----------------------------------------------------------------
    def _handler(self):
        rx = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def setup(self) -> None:
                super().setup()
                # Without it, keep-alive requests wait ~40 ms for delayed ACKs (Nagle).
                self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
                with rx._lock:
                    rx._conns.add(self.connection)

            def finish(self) -> None:
                with rx._lock:
                    rx._conns.discard(self.connection)
                try:
                    super().finish()
                except OSError:
                    pass

            def log_message(self, *args) -> None:  # quiet
                pass

            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                rec = Received(
                    self.command, self.path, {k.lower(): v for k, v in self.headers.items()}, body, time.time()
                )
                with rx._lock:
                    rx._requests.append(rec)
                    mode = rx._mode
                if mode.hang_seconds:
                    if not rx._release.wait(mode.hang_seconds):
                        pass
                    self.close_connection = True
                    return
                if mode.delay_seconds:
                    time.sleep(mode.delay_seconds)
                payload = b"ok"
                self.send_response(mode.status)
                self.send_header("Content-Type", "text/plain")
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)
                rec.answered = mode.status

            do_PUT = do_POST

        return Handler
