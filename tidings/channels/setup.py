"""Build this process's channel registry at start-up.

``serve``, ``api`` and ``worker`` await :func:`build_registry` once before
anything routes or dispatches: it registers the built-in sandbox, one
:class:`SmppChannel` per enabled ``smpp`` definition, and the router over the
operator's routes.  Connection settings are read then: changing them, adding
or removing a channel takes effect when the process restarts (the status says
``restart_needed``); routes and the enabled flags are live
(:mod:`tidings.channels.routing`).
"""

from __future__ import annotations

import logging

from tidings.channels.config import fingerprint
from tidings.channels.registry import ChannelRegistry
from tidings.channels.routing import LiveRoutes, load_definitions, route_table
from tidings.channels.sandbox.carrier import SandboxCarrier, SandboxConfig
from tidings.channels.smpp.options import build_channel
from tidings.context import AppContext
from tidings.store.carrier_ids import CarrierIdStore
from tidings.store.models.smpp import KIND_SMPP

log = logging.getLogger("tidings.channels")


async def build_registry(ctx: AppContext) -> ChannelRegistry:
    """The registry of this process (``ctx.channels``), built once."""
    existing = ctx.channels
    if existing is not None:
        return existing
    registry = ChannelRegistry(default=str((ctx.settings.extra.get("channels") or {}).get("default", "sandbox")),
                               forms={p.name: p.carried_as for p in ctx.products if p.carried_as is not None})
    registry.add(SandboxCarrier(SandboxConfig.from_settings(ctx.settings.extra)))
    try:
        defs, routes = await load_definitions(ctx.db)
    except Exception:
        log.exception("could not load channel definitions; only built-in channels will run")
        defs, routes = [], []
    for row in defs:
        if row.kind == KIND_SMPP and row.enabled and not registry.has(row.name):
            registry.add(build_channel(row, ctx.box, CarrierIdStore(ctx.db, row.name), fingerprint(row)))
            log.info("channel %s: smpp %s:%s (%s x%s, window %s), unknown_policy=%s", row.name,
                     row.config.get("host", "127.0.0.1"), row.config.get("port", 2775), row.config.get("bind_mode", "trx"),
                     row.config.get("binds", 1), row.config.get("window", 10), row.unknown_policy)
    registry.routes = LiveRoutes(ctx.db, registry, route_table(defs, routes))
    ctx.channels = registry
    return registry
