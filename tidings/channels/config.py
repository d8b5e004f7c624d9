"""Operator-defined channels and routes: the one place that reads and
writes them; the API (``/admin/v1/channels``, ``/admin/v1/routes``) and the
CLI (``tidings channels ...``) are thin layers over it.

Both land in the database (``store/models/smpp.py``), so every process
(``serve``, ``api``, each ``worker``) sees the same configuration.  How they
become live: :mod:`tidings.channels.setup` builds the channels at start-up
(connection settings take effect at a restart; the status says
``restart_needed``), :mod:`tidings.channels.routing` keeps the routes and the
enabled flags live.  An SMPP channel's options and its password rules are in
:mod:`tidings.channels.smpp.options`.
"""

from __future__ import annotations

import hashlib
import logging
import re
from typing import Any

from sqlalchemy import delete, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from tidings.channels import published
from tidings.channels.smpp.options import PASSWORD_MAX, OptionError, check_options
from tidings.context import AppContext
from tidings.domain.routing import DEFAULT_PRIORITY, Route, RouteError, RouteTable, check_route
from tidings.store.dialect import affected
from tidings.store.models.smpp import KIND_SANDBOX, KIND_SMPP, KINDS, RESUBMIT, UNKNOWN_POLICIES, ChannelDef, ChannelRoute
from tidings.store.tenants import audit

log = logging.getLogger("tidings.channels")

SANDBOX_NAME = "sandbox"  # the built-in sandbox carrier; a `sandbox` definition must use this name
NAME_PATTERN = r"^[a-z0-9][a-z0-9_\-]{0,31}$"


class ConfigError(ValueError):
    """Invalid channel or route configuration; ``field`` names what is wrong."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field
        self.message = message


class NotFound(LookupError):
    pass


class Conflict(ValueError):
    pass


def _options(config: dict) -> dict:
    try:
        return check_options(config)
    except OptionError as exc:
        raise ConfigError(exc.field, exc.message) from None


def check_name(name: str) -> None:
    if not re.fullmatch(NAME_PATTERN, name or ""):
        raise ConfigError("name", "name must be 1 to 32 characters: lower-case letters, digits, '-' or '_', starting with a letter or digit")


def fingerprint(row: ChannelDef) -> tuple:
    """What a running channel was built from.  The password enters as a digest
    of its sealed form, which changes whenever it is set (even to the same
    value), so a new password is a restart the status reports."""
    sealed = row.password_sealed
    digest = hashlib.sha256(sealed if isinstance(sealed, bytes) else str(sealed).encode()).hexdigest() if sealed else None
    return (row.kind, tuple(sorted((row.config or {}).items())), digest)


def view(row: ChannelDef) -> dict:
    """What the API and CLI show: never the password."""
    return {
        "name": row.name,
        "kind": row.kind,
        "description": row.description,
        "enabled": row.enabled,
        "unknown_policy": row.unknown_policy,
        "config": dict(row.config or {}),
        "has_password": bool(row.password_sealed),
        "created_at": row.created_at,
        "updated_at": row.updated_at,
    }


def route_view(row: ChannelRoute) -> dict:
    return {"id": row.id, "channel": row.channel, "product": row.product, "prefix": row.prefix,
            "carrier": row.carrier, "priority": row.priority, "created_at": row.created_at}


# ---- channels ----------------------------------------------------------------


async def _existing(session: AsyncSession, name: str) -> ChannelDef:
    row = await session.get(ChannelDef, name)
    if row is None:
        raise NotFound(f"channel {name} does not exist")
    return row


async def add_channel(ctx: AppContext, *, name: str, kind: str = KIND_SMPP, config: dict | None = None,
                      password: str | None = None, enabled: bool = True, unknown_policy: str = RESUBMIT,
                      description: str = "", actor: str = "cli") -> dict:
    check_name(name)
    if kind not in KINDS:
        raise ConfigError("kind", f"kind must be one of {', '.join(KINDS)}")
    if kind == KIND_SANDBOX and name != SANDBOX_NAME:
        raise ConfigError("name", f"a sandbox channel is the built-in one: its name must be {SANDBOX_NAME!r}")
    if kind == KIND_SMPP and name == SANDBOX_NAME:
        raise ConfigError("name", f"{SANDBOX_NAME!r} is the built-in sandbox carrier's name")
    if unknown_policy not in UNKNOWN_POLICIES:
        raise ConfigError("unknown_policy", f"unknown_policy must be one of {', '.join(UNKNOWN_POLICIES)}")
    if len(description) > 255:
        raise ConfigError("description", "description must be at most 255 characters")
    options = _options(config or {}) if kind == KIND_SMPP else {}
    if kind == KIND_SMPP and config and "password" in config:
        raise ConfigError("config.password", "the password goes in the password field, never in config")
    if password is not None and len(password) > PASSWORD_MAX:
        raise ConfigError("password", f"password must be at most {PASSWORD_MAX} characters (SMPP 3.4)")
    async with ctx.db.write() as session:
        if await session.get(ChannelDef, name) is not None:
            raise Conflict(f"channel {name} already exists")
        row = ChannelDef(name=name, kind=kind, description=description, config=options,
                         password_sealed=ctx.box.seal(password) if password else None,
                         enabled=enabled, unknown_policy=unknown_policy)
        session.add(row)
        await audit(session, actor=actor, action="channel.add", object_type="channel", object_id=name,
                    detail={"kind": kind, "config": options, "enabled": enabled, "unknown_policy": unknown_policy})
        await session.flush()
        out = view(row)
    await _refresh_routes(ctx)
    return out


async def update_channel(ctx: AppContext, name: str, *, config: dict | None = None, password: str | None = None,
                         enabled: bool | None = None, unknown_policy: str | None = None,
                         description: str | None = None, actor: str = "cli") -> dict:
    """``config`` is merged into the stored options (a key set to None goes back to its default)."""
    if unknown_policy is not None and unknown_policy not in UNKNOWN_POLICIES:
        raise ConfigError("unknown_policy", f"unknown_policy must be one of {', '.join(UNKNOWN_POLICIES)}")
    if description is not None and len(description) > 255:
        raise ConfigError("description", "description must be at most 255 characters")
    if password is not None and len(password) > PASSWORD_MAX:
        raise ConfigError("password", f"password must be at most {PASSWORD_MAX} characters (SMPP 3.4)")
    if config and "password" in config:
        raise ConfigError("config.password", "the password goes in the password field, never in config")
    async with ctx.db.write() as session:
        row = await _existing(session, name)
        changed: dict[str, Any] = {}
        if config:
            if row.kind != KIND_SMPP:
                raise ConfigError("config", "only smpp channels have a config")
            merged = {k: v for k, v in {**(row.config or {}), **config}.items() if v is not None}
            row.config = _options(merged)
            changed["config"] = config
        if password is not None:
            row.password_sealed = ctx.box.seal(password) if password else None
            changed["password"] = "changed"
        if enabled is not None:
            row.enabled = enabled
            changed["enabled"] = enabled
        if unknown_policy is not None:
            row.unknown_policy = unknown_policy
            changed["unknown_policy"] = unknown_policy
        if description is not None:
            row.description = description
            changed["description"] = description
        await audit(session, actor=actor, action="channel.update", object_type="channel", object_id=name, detail=changed)
        await session.flush()
        out = view(row)
    await _refresh_routes(ctx)
    return out


async def remove_channel(ctx: AppContext, name: str, actor: str = "cli") -> dict:
    """Remove a channel and its routes.  Messages already queued for it stay
    queued (they are not silently moved to another carrier)."""
    async with ctx.db.write() as session:
        row = await _existing(session, name)
        routes = await affected(session, delete(ChannelRoute).where(ChannelRoute.channel == name))
        await session.delete(row)
        await audit(session, actor=actor, action="channel.remove", object_type="channel", object_id=name,
                    detail={"routes_removed": routes})
    await _refresh_routes(ctx)
    return {"name": name, "removed": True, "routes_removed": routes}


async def get_channel(ctx: AppContext, name: str) -> dict:
    async with ctx.db.read() as session:
        row = await _existing(session, name)
        return view(row)


async def list_channels(ctx: AppContext) -> list[dict]:
    async with ctx.db.read() as session:
        rows = (await session.execute(select(ChannelDef).order_by(ChannelDef.name))).scalars().all()
        return [view(r) for r in rows]


# ---- routes --------------------------------------------------------------------


async def add_route(ctx: AppContext, *, channel: str, product: str | None = None, prefix: str = "",
                    carrier: str | None = None, priority: int = DEFAULT_PRIORITY, actor: str = "cli") -> dict:
    """A route for ``product``'s messages; None (the API and CLI leave it out):
    the first installed product (tidings.installed lists SMS first)."""
    carrier = carrier or None
    if product is None:
        if not ctx.products:
            raise ConfigError("product", "product must be given: no product is installed")
        product = ctx.products[0].name
    try:
        check_route(product, prefix, carrier, priority, [p.name for p in ctx.products])
    except RouteError as exc:
        raise ConfigError(str(exc).split(" ", 1)[0], str(exc)) from None
    async with ctx.db.write() as session:
        await _existing(session, channel)
        dup = (await session.execute(select(ChannelRoute.id).where(
            ChannelRoute.channel == channel, ChannelRoute.product == product, ChannelRoute.prefix == prefix,
            (ChannelRoute.carrier == carrier) if carrier else ChannelRoute.carrier.is_(None)))).first()
        if dup is not None:
            raise Conflict(f"route {dup[0]} already sends {product} for this prefix and carrier to {channel}")
        row = ChannelRoute(channel=channel, product=product, prefix=prefix, carrier=carrier, priority=priority)
        session.add(row)
        await session.flush()
        await audit(session, actor=actor, action="route.add", object_type="route", object_id=str(row.id),
                    detail={"channel": channel, "product": product, "prefix": prefix, "carrier": carrier, "priority": priority})
        out = route_view(row)
    await _refresh_routes(ctx)
    return out


async def remove_route(ctx: AppContext, route_id: int, actor: str = "cli") -> dict:
    async with ctx.db.write() as session:
        row = await session.get(ChannelRoute, route_id)
        if row is None:
            raise NotFound(f"route {route_id} does not exist")
        out = route_view(row)
        await session.delete(row)
        await audit(session, actor=actor, action="route.remove", object_type="route", object_id=str(route_id),
                    detail={k: v for k, v in out.items() if k != "created_at"})
    await _refresh_routes(ctx)
    return out


async def list_routes(ctx: AppContext, channel: str | None = None) -> list[dict]:
    async with ctx.db.read() as session:
        stmt = select(ChannelRoute)
        if channel:
            stmt = stmt.where(ChannelRoute.channel == channel)
        rows = (await session.execute(stmt)).scalars().all()
    table = RouteTable([Route(r.channel, r.product, r.prefix, r.carrier, r.priority, r.id) for r in rows])
    order = {r.id: i for i, r in enumerate(table.routes)}
    return [route_view(r) for r in sorted(rows, key=lambda r: order[r.id])]


# ---- status --------------------------------------------------------------------


async def channel_status(ctx: AppContext, name: str) -> dict:
    """Definition, live state in this process (binds, window in use) and the
    message counts the pipeline holds for it."""
    from tidings.store.models.pipeline import Message

    async with ctx.db.read() as session:
        row = await _existing(session, name)
        info, defined = view(row), fingerprint(row)
        counts = dict((await session.execute(
            select(Message.status, func.count()).where(Message.channel == name).group_by(Message.status))).all())
    registry = ctx.channels
    live = registry.get(name) if registry is not None and registry.has(name) else None
    # Registered is not running: an API-only process registers channels but never starts them.
    state: dict[str, Any] = {"running": False}
    if live is not None and live.started:
        unknown = sum(d.stats.get("unknown", 0) for d in ctx.dispatchers if d.channel.name == name)
        runs: list[dict[str, Any]] = [{"stats": live.stats(), "definition": published.digest(live.definition), "unknown_since_start": unknown}]
    else:
        # A worker process runs it (`tidings serve` on several cores, or `tidings worker`): what it published.
        runs = published.read(ctx.settings.data_dir, name)
    if runs:
        stats = [r["stats"] for r in runs]
        state.update(running=True, bound=sum(s.get("bound", 0) for s in stats), binds=sum(s.get("binds", 0) for s in stats),
                     window_in_use=sum(s.get("in_flight", 0) for s in stats), window=stats[0].get("window"))
        state["restart_needed"] = any(r["definition"] is not None and r["definition"] != published.digest(defined) for r in runs)
        state["unknown_since_start"] = sum(r.get("unknown_since_start", 0) for r in runs)
    return {**info, "status": state, "messages": {k: int(v) for k, v in counts.items()}}


async def _refresh_routes(ctx: AppContext) -> None:
    """Routes and enabled flags take effect in this process at once (others reload within seconds)."""
    registry = ctx.channels
    if registry is not None and registry.routes is not None:
        await registry.routes.refresh()
