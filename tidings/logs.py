"""Logging for the server and the workers: one format, the request id on
every line logged while a request is handled, quiet third-party chatter.

The request id lives in a context variable set by the request middleware
(:mod:`tidings.app`), so any module's ``log.info(...)`` inside a request
carries it without passing it around."""

from __future__ import annotations

import contextvars
import logging

request_id: contextvars.ContextVar[str] = contextvars.ContextVar("tidings_request_id", default="-")

FORMAT = "%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s"


class RequestIdFilter(logging.Filter):
    """Adds ``record.request_id`` (``-`` outside a request)."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = request_id.get()
        return True


def configure(level: str) -> None:
    handler = logging.StreamHandler()
    handler.setFormatter(logging.Formatter(FORMAT))
    handler.addFilter(RequestIdFilter())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level.upper())
    quiet = max(logging.WARNING, root.level)
    # Alembic narrates every plugin at INFO; httpx logs one INFO line per
    # callback request (the callback log already records every attempt).
    for name in ("alembic", "httpx", "httpcore"):
        logging.getLogger(name).setLevel(quiet)
