"""The ASGI application: KooMessage API, Tidings admin API, web pages, the
services that take rate-limit tokens (``Product.api_services``) and, in a
one-process ``serve``, the background services."""

from __future__ import annotations

import contextlib
import logging

from fastapi import Depends, FastAPI

from tidings.api import errors, openapi
from tidings.api.gateway import GatewayMiddleware
from tidings.api.routes import ROUTERS
from tidings.api.text_guard import refuse_control_characters
from tidings.channels.setup import build_registry
from tidings.config import Settings
from tidings.context import AppContext
from tidings.installed import build_context
from tidings.runtime import ServiceRunner, build_api_services, build_services

log = logging.getLogger("tidings")


def create_app(settings: Settings | None = None, *, ctx: AppContext | None = None, run_workers: bool | None = None) -> FastAPI:
    settings = settings or (ctx.settings if ctx else Settings())
    ctx = ctx or build_context(settings)
    with_workers = settings.run_workers if run_workers is None else run_workers

    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI):
        await build_registry(ctx)  # the send path routes with it; the workers run its channels
        services = build_api_services(ctx)
        if with_workers:
            services = build_services(ctx) + services
        runner = ServiceRunner(ctx, services)
        ctx.runner = runner
        for product in ctx.products:
            for step in product.on_start:
                await step(ctx)
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
        dependencies=[Depends(refuse_control_characters)],
    )
    app.state.ctx = ctx
    errors.install(app)
    for router in ROUTERS:
        app.include_router(router)
    for product in ctx.products:
        for router in product.routers:
            app.include_router(router)
    openapi.install(app)

    @app.get("/healthz", include_in_schema=False)
    async def healthz() -> dict:
        return {"status": "ok"}

    fast_paths = {prefix: handler for product in ctx.products for prefix, handler in product.fast_paths.items()}
    app.add_middleware(GatewayMiddleware, access_log=settings.access_log, fast_paths=fast_paths)
    return app
