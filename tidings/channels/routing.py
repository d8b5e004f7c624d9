"""This process's routing: the operator's routes as an in-memory snapshot.

Routes and the enabled flags are live: :class:`LiveRoutes` answers from a
:class:`~tidings.domain.routing.RouteTable` snapshot, replaced at once after a
change in this process (:func:`tidings.channels.config` calls
:meth:`LiveRoutes.refresh`) and reloaded in the background (at most every
``REFRESH_SECONDS``, triggered by traffic) for changes made elsewhere.
"""

from __future__ import annotations

import asyncio
import logging
import time
from typing import TYPE_CHECKING

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from tidings.domain.routing import Route, RouteTable
from tidings.store.db import Database
from tidings.store.models.smpp import ChannelDef, ChannelRoute

if TYPE_CHECKING:
    from tidings.channels.registry import ChannelRegistry, RouteRequest

log = logging.getLogger("tidings.channels")

REFRESH_SECONDS = 2.0


async def load_definitions(db: Database) -> tuple[list[ChannelDef], list[ChannelRoute]]:
    async with db.read() as session:
        defs = list((await session.execute(select(ChannelDef))).scalars().all())
        routes = list((await session.execute(select(ChannelRoute))).scalars().all())
    return defs, routes


async def enabled_channels(session: AsyncSession) -> list[str]:
    """Names of the enabled definitions, whether or not this process runs them."""
    return list((await session.execute(select(ChannelDef.name).where(ChannelDef.enabled))).scalars().all())


def route_table(defs: list[ChannelDef], routes: list[ChannelRoute]) -> RouteTable:
    enabled = [d.name for d in defs if d.enabled]
    return RouteTable([Route(r.channel, r.product, r.prefix, r.carrier, r.priority, r.id) for r in routes], enabled)


class LiveRoutes:
    """The registry's router over the operator's routes."""

    def __init__(self, db: Database, registry: ChannelRegistry, table: RouteTable) -> None:
        self.db = db
        self.registry = registry
        self.table = table
        self.loaded_at = time.monotonic()
        self._reloading: asyncio.Task | None = None

    def current(self) -> RouteTable:
        """The snapshot; schedules a background reload when it is stale."""
        if time.monotonic() - self.loaded_at > REFRESH_SECONDS and (self._reloading is None or self._reloading.done()):
            try:
                loop = asyncio.get_running_loop()
            except RuntimeError:
                loop = None
            if loop is not None:
                self.loaded_at = time.monotonic()  # one reload at a time, even if it fails
                self._reloading = loop.create_task(self.refresh())
        return self.table

    async def refresh(self) -> None:
        """Reload routes and enabled flags."""
        try:
            self.table = route_table(*await load_definitions(self.db))
        except Exception:
            log.exception("reloading routes failed; keeping the previous table")
        self.loaded_at = time.monotonic()

    def __call__(self, request: RouteRequest) -> str | None:
        table = self.current()
        if table.empty:
            return None
        registry, product = self.registry, request.product

        def usable(name: str) -> bool:
            return registry.carries(name, product) and registry.get(name).is_up()

        name = table.pick(product, request.number, usable)
        # Only channels this process can dispatch to; otherwise the registry's default decides.
        if name is not None and not registry.carries(name, product):
            live = [n for n in table.candidates(product, request.number) if registry.carries(n, product)]
            name = live[0] if live else None
        return name
