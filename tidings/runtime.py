"""Long-running background services: dispatch workers, callback delivery,
channels.  ``tidings serve`` in one process runs them inside the API process;
``tidings worker`` runs them alone (``serve``'s worker children, or scale-out
on PostgreSQL).  The services that take tenants' rate-limit tokens
(``Product.api_services``) run in API processes, beside the limiter."""

from __future__ import annotations

import asyncio
import logging
from typing import Protocol

from tidings.callbacks.delivery import CallbackDelivery
from tidings.context import AppContext

log = logging.getLogger("tidings.runtime")


class Service(Protocol):
    name: str

    async def run(self, stop: asyncio.Event) -> None:
        """Run until ``stop`` is set; return promptly after it is."""


def build_services(ctx: AppContext, *, carriers: bool = True) -> list[Service]:
    """A worker's services: the shared ones, then each installed product's,
    in the order they should start (channels before the dispatcher that feeds
    them).  ``carriers=False``: without the operator's channels (SMPP), which
    another worker runs (their binds are not multiplied)."""
    services: list[Service] = []
    from tidings.dispatch.worker import pipeline_services

    services.extend(pipeline_services(ctx, carriers=carriers))  # channels, dispatchers, housekeeping
    services.append(CallbackDelivery(ctx))
    for product in ctx.products:
        if product.services is not None:
            services.extend(product.services(ctx))
    return services


def build_api_services(ctx: AppContext) -> list[Service]:
    """The services an API process runs: the products' that take tenants'
    rate-limit tokens from ``ctx.limiter``, an in-memory bucket per API
    process, so a tenant's limit holds at its value only beside the API."""
    services: list[Service] = []
    for product in ctx.products:
        if product.api_services is not None:
            services.extend(product.api_services(ctx))
    return services


class ServiceRunner:
    def __init__(self, ctx: AppContext, services: list[Service]):
        self.ctx = ctx
        self.services = services
        self.stop = asyncio.Event()
        self._tasks: list[asyncio.Task] = []

    async def start(self) -> None:
        for svc in self.services:
            self._tasks.append(asyncio.create_task(self._guard(svc), name=f"service:{svc.name}"))

    async def _guard(self, svc: Service) -> None:
        # A crashed service restarts after a pause instead of silently stopping
        # the pipeline; the error is logged each time.
        while not self.stop.is_set():
            try:
                await svc.run(self.stop)
                return
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("service %s crashed; restarting in 1s", svc.name)
                try:
                    await asyncio.wait_for(self.stop.wait(), 1.0)
                except TimeoutError:
                    pass

    async def shutdown(self, timeout: float = 10.0) -> None:
        self.stop.set()
        if not self._tasks:
            return
        done, pending = await asyncio.wait(self._tasks, timeout=timeout)
        for t in pending:
            t.cancel()
        await asyncio.gather(*pending, return_exceptions=True)
