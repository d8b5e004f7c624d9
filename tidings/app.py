"""The ASGI application: KooMessage API, Tidings admin API, web pages, and
(in ``serve``) the background services, all in one process."""

from __future__ import annotations

import contextlib
import logging
import time
import uuid

from fastapi import FastAPI

from tidings.api import errors
from tidings.api.routes import ROUTERS
from tidings.config import Settings
from tidings.context import AppContext
from tidings.logs import request_id
from tidings.runtime import ServiceRunner, build_services

log = logging.getLogger("tidings")
access = logging.getLogger("tidings.access")

MAX_BODY_BYTES = 12 * 1024 * 1024


class RequestContextMiddleware:
    """Gives every request an id (``X-Request-Id`` on every answer, and on every
    log line written while handling it), refuses bodies over the gateway's
    12 MB limit before reading them, and writes the access log: one INFO line
    per request with method, path, status, duration and tenant."""

    def __init__(self, app, access_log: bool = True):  # noqa: ANN001
        self.app = app
        self.access_log = access_log

    async def __call__(self, scope, receive, send):  # noqa: ANN001
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        started = time.perf_counter()
        rid = uuid.uuid4().hex
        token = request_id.set(rid)
        state = scope.setdefault("state", {})
        state["request_id"] = rid
        status = [500]  # what the client sees if the app dies before answering
        header = (b"x-request-id", rid.encode())

        async def _send(message):  # noqa: ANN001
            if message["type"] == "http.response.start":
                status[0] = message["status"]
                headers = list(message.get("headers", []))
                if not any(k.lower() == b"x-request-id" for k, _ in headers):
                    headers.append(header)
                message["headers"] = headers
            await send(message)

        try:
            for name, value in scope["headers"]:
                if name == b"content-length" and value.isdigit() and int(value) > MAX_BODY_BYTES:
                    from starlette.requests import Request

                    resp = errors.error_response(Request(scope), 413, "APIGW.0201", "Request entity too large")
                    return await resp(scope, receive, _send)
            await self.app(scope, receive, _send)
        finally:
            if self.access_log and access.isEnabledFor(logging.INFO):
                principal = state.get("principal")
                tenant = getattr(principal, "tenant_name", None) or "-"
                access.info("%s %s %d %.1fms tenant=%s", scope["method"], scope["path"], status[0],
                            (time.perf_counter() - started) * 1000, tenant)
            request_id.reset(token)


def create_app(settings: Settings | None = None, *, ctx: AppContext | None = None, run_workers: bool | None = None) -> FastAPI:
    settings = settings or (ctx.settings if ctx else Settings())
    ctx = ctx or AppContext.build(settings)
    with_workers = settings.run_workers if run_workers is None else run_workers

    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI):
        runner = ServiceRunner(ctx, build_services(ctx) if with_workers else [])
        ctx.extras["runner"] = runner
        await runner.start()
        try:
            yield
        finally:
            await runner.shutdown()
            await ctx.db.dispose()

    app = FastAPI(
        title="Tidings",
        version="0.1.0",
        description="Self-hosted smart messaging, wire-compatible with the KooMessage API",
        lifespan=lifespan,
    )
    app.state.ctx = ctx
    errors.install(app)
    for router in ROUTERS:
        app.include_router(router)

    @app.get("/healthz", include_in_schema=False)
    async def healthz() -> dict:
        return {"status": "ok"}

    app.add_middleware(RequestContextMiddleware, access_log=settings.access_log)
    return app
