"""The ASGI application: KooMessage API, Tidings admin API, web pages, and
(in ``serve``) the background services, all in one process."""

from __future__ import annotations

import contextlib
import logging
import uuid

from fastapi import FastAPI
from fastapi.responses import ORJSONResponse

from tidings.api import errors
from tidings.api.routes import ROUTERS
from tidings.config import Settings
from tidings.context import AppContext
from tidings.runtime import ServiceRunner, build_services

log = logging.getLogger("tidings")

MAX_BODY_BYTES = 12 * 1024 * 1024


class RequestContextMiddleware:
    """Gives every request an id (``X-Request-Id`` on every answer) and refuses
    bodies over the gateway's 12 MB limit before reading them."""

    def __init__(self, app):  # noqa: ANN001
        self.app = app

    async def __call__(self, scope, receive, send):  # noqa: ANN001
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        rid = uuid.uuid4().hex
        scope.setdefault("state", {})["request_id"] = rid
        for name, value in scope["headers"]:
            if name == b"content-length" and value.isdigit() and int(value) > MAX_BODY_BYTES:
                from starlette.requests import Request

                resp = errors.error_response(Request(scope), 413, "APIGW.0201", "Request entity too large")
                return await resp(scope, receive, send)
        header = (b"x-request-id", rid.encode())

        async def _send(message):  # noqa: ANN001
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                if not any(k.lower() == b"x-request-id" for k, _ in headers):
                    headers.append(header)
                message["headers"] = headers
            await send(message)

        await self.app(scope, receive, _send)


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
        default_response_class=ORJSONResponse,
        lifespan=lifespan,
    )
    app.state.ctx = ctx
    errors.install(app)
    for router in ROUTERS:
        app.include_router(router)

    @app.get("/healthz", include_in_schema=False)
    async def healthz() -> dict:
        return {"status": "ok"}

    app.add_middleware(RequestContextMiddleware)
    return app
