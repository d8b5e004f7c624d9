"""Operator-defined channels and routes: storage, validation, and how they
become live channels and routing decisions in a process.

The operator defines channels (``tidings channels add-smpp``, ``POST
/admin/v1/channels``) and routes (``tidings channels route add``, ``POST
/admin/v1/routes``); both land in the database (``store/models/smpp.py``), so
every process (``serve``, ``api``, each ``worker``) sees the same
configuration.  This module is the one place that reads and writes them; the
API and the CLI are thin layers over it.

In a process:

* :func:`install` is a ``REGISTRY_HOOKS`` entry.  When the channel registry is
  first built it loads the definitions, registers one :class:`SmppChannel`
  per enabled ``smpp`` channel (with a :class:`DbReceiptMatcher`, and the
  channel's ``unknown_policy`` as an attribute the dispatcher reads) and adds
  a router.  Connection settings are read then: changing them, adding or
  removing a channel takes effect when the workers restart (the status says
  ``restart_needed``).
* Routes and the enabled flags are live: the router answers from an
  in-memory :class:`RouteTable` snapshot, replaced at once after a change in
  this process and reloaded in the background (at most every
  ``REFRESH_SECONDS``, triggered by traffic) for changes made elsewhere.
* :func:`channels_for` answers "which channels, best first" for a message;
  :func:`failover_target` where a message goes when its channel is down or
  refused it transiently.

Secrets: the bind password is sealed with the secret box before it is
stored, never put in ``config``, never returned (views say ``has_password``)
and never logged (SmppConfig keeps it out of its repr).
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import hashlib
import logging
import time
from dataclasses import dataclass, fields
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError
from sqlalchemy import delete, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from tidings.channels.base import Channel
from tidings.channels.smpp.channel import SmppChannel, SmppConfig
from tidings.context import AppContext
from tidings.domain.routing import DEFAULT_PRIORITY, Route, RouteError, RouteTable, check_route
from tidings.store.db import Database
from tidings.store.models.smpp import KIND_SANDBOX, KIND_SMPP, KINDS, RESUBMIT, UNKNOWN_POLICIES, ChannelDef, ChannelRoute
from tidings.store.tenants import audit

log = logging.getLogger("tidings.channels")

REFRESH_SECONDS = 2.0
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


class SmppOptions(BaseModel):
    """The operator-settable SmppConfig fields, with the limits SMPP 3.4 sets
    (C-Octet string sizes) or common sense does.  Unknown keys are refused so
    a typo is named instead of silently ignored."""

    model_config = ConfigDict(extra="forbid")

    host: str = Field(default="127.0.0.1", min_length=1, max_length=255)
    port: int = Field(default=2775, ge=1, le=65535)
    system_id: str = Field(default="", max_length=15)
    system_type: str = Field(default="", max_length=12)
    bind_mode: Literal["trx", "tx+rx"] = "trx"
    binds: int = Field(default=1, ge=1, le=16)
    window: int = Field(default=10, ge=1, le=1000)
    mps: float = Field(default=0.0, ge=0, le=100_000)
    source_ton: int | None = Field(default=None, ge=0, le=255)
    source_npi: int | None = Field(default=None, ge=0, le=255)
    dest_ton: int = Field(default=1, ge=0, le=255)
    dest_npi: int = Field(default=1, ge=0, le=255)
    service_type: str = Field(default="", max_length=5)
    long_method: Literal["udh", "sar"] = "udh"
    data_coding: Literal["auto", "auto_latin1", "ucs2"] = "auto"
    gsm_packed: bool = False
    registered_delivery: bool = True
    receipt_id_transform: Literal["none", "dec_to_hex", "hex_to_dec"] = "none"
    receipt_utc_offset_minutes: int = Field(default=0, ge=-720, le=840)
    inbound_dc0: Literal["gsm", "ascii"] = "gsm"
    throttle_retries: int = Field(default=3, ge=0, le=10)
    connect_timeout: float = Field(default=5.0, gt=0, le=120)
    bind_timeout: float = Field(default=5.0, gt=0, le=120)
    response_timeout: float = Field(default=10.0, gt=0, le=300)
    enquire_link_interval: float = Field(default=30.0, ge=1, le=3600)
    reconnect_min: float = Field(default=0.5, gt=0, le=300)
    reconnect_max: float = Field(default=30.0, gt=0, le=3600)
    not_bound_wait: float = Field(default=5.0, ge=0, le=60)
    report_batch: int = Field(default=1000, ge=1, le=10_000)
    uplink_reassembly_timeout: float = Field(default=600.0, ge=1, le=86_400)


PASSWORD_MAX = 8  # SMPP 3.4 password: C-Octet String of at most 9 octets with the NUL


def _describe(exc: ValidationError, prefix: str = "config") -> ConfigError:
    from tidings.api.errors import describe_validation

    err = exc.errors()[0]
    err = {**err, "loc": (prefix, *err.get("loc", ()))}
    text = describe_validation(err)
    return ConfigError(text.split(" ", 1)[0], text)


def check_options(options: dict) -> dict:
    """Validated options with defaults dropped (only what the operator chose is stored)."""
    try:
        parsed = SmppOptions.model_validate(options)
    except ValidationError as exc:
        raise _describe(exc) from None
    if parsed.reconnect_max < parsed.reconnect_min:
        raise ConfigError("config.reconnect_max", "config.reconnect_max must be >= config.reconnect_min")
    return parsed.model_dump(exclude_unset=True)


def check_name(name: str) -> None:
    import re

    if not re.fullmatch(NAME_PATTERN, name or ""):
        raise ConfigError("name", "name must be 1 to 32 characters: lower-case letters, digits, '-' or '_', starting with a letter or digit")


def smpp_config(row: ChannelDef, box) -> SmppConfig:  # noqa: ANN001
    cfg = SmppConfig(name=row.name)
    known = {f.name for f in fields(SmppConfig)}
    for key, value in (row.config or {}).items():
        if key in known and key not in ("name", "password"):
            setattr(cfg, key, value)
    if row.password_sealed:
        cfg.password = box.open(row.password_sealed)
    return cfg


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
    options = check_options(config or {}) if kind == KIND_SMPP else {}
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
    await refresh(ctx)
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
            row.config = check_options(merged)
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
    await refresh(ctx)
    return out


async def remove_channel(ctx: AppContext, name: str, actor: str = "cli") -> dict:
    """Remove a channel and its routes.  Messages already queued for it stay
    queued (they are not silently moved to another carrier)."""
    async with ctx.db.write() as session:
        row = await _existing(session, name)
        routes = (await session.execute(delete(ChannelRoute).where(ChannelRoute.channel == name))).rowcount or 0
        await session.delete(row)
        await audit(session, actor=actor, action="channel.remove", object_type="channel", object_id=name,
                    detail={"routes_removed": routes})
    await refresh(ctx)
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


async def add_route(ctx: AppContext, *, channel: str, product: str = "sms", prefix: str = "",
                    carrier: str | None = None, priority: int = DEFAULT_PRIORITY, actor: str = "cli") -> dict:
    carrier = carrier or None
    try:
        check_route(product, prefix, carrier, priority)
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
    await refresh(ctx)
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
    await refresh(ctx)
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
        info, defined = view(row), _fingerprint(row)
        counts = dict((await session.execute(
            select(Message.status, func.count()).where(Message.channel == name).group_by(Message.status))).all())
    live = _live(ctx).get(name)
    # Registered is not running: an API-only process registers channels but never starts them.
    started = live is not None and bool(getattr(live, "clients", True))
    state: dict[str, Any] = {"running": started}
    if started:
        stats = live.stats() if hasattr(live, "stats") else {}
        state.update(bound=stats.get("bound", 0), binds=stats.get("binds", 0), window_in_use=stats.get("in_flight", 0),
                     window=getattr(getattr(live, "config", None), "window", None))
        running = getattr(live, "_tidings_def", None)
        state["restart_needed"] = running is not None and running != defined
        for d in ctx.extras.get("dispatchers") or ():
            if getattr(getattr(d, "channel", None), "name", None) == name:
                state["unknown_since_start"] = state.get("unknown_since_start", 0) + d.stats.get("unknown", 0)
    return {**info, "status": state, "messages": {k: int(v) for k, v in counts.items()}}


# ---- the process side: registry hook, router, failover ---------------------------------


@dataclass
class _Loaded:
    defs: list[ChannelDef]
    routes: list[ChannelRoute]


async def _load(db: Database) -> _Loaded:
    async with db.read() as session:
        defs = list((await session.execute(select(ChannelDef))).scalars().all())
        routes = list((await session.execute(select(ChannelRoute))).scalars().all())
    return _Loaded(defs, routes)


def _table(loaded: _Loaded) -> RouteTable:
    enabled = [d.name for d in loaded.defs if d.enabled]
    return RouteTable([Route(r.channel, r.product, r.prefix, r.carrier, r.priority, r.id) for r in loaded.routes], enabled)


def _fingerprint(row: ChannelDef) -> tuple:
    """What a running channel was built from.  The password enters as a digest
    of its sealed form, which changes whenever it is set (even to the same
    value), so a new password is a restart the status reports."""
    sealed = row.password_sealed
    digest = hashlib.sha256(sealed if isinstance(sealed, bytes) else str(sealed).encode()).hexdigest() if sealed else None
    return (row.kind, tuple(sorted((row.config or {}).items())), digest)


def _load_blocking(url: str) -> _Loaded:
    """Load from a worker thread with its own engine: the registry hook is
    synchronous and may run inside the event loop (at start-up only)."""

    async def go() -> _Loaded:
        db = Database(url)
        try:
            return await _load(db)
        finally:
            await db.dispose()

    with concurrent.futures.ThreadPoolExecutor(1) as pool:
        return pool.submit(asyncio.run, go()).result()


class _State:
    """This process's routing snapshot (ctx.extras["channel_config"])."""

    def __init__(self, table: RouteTable) -> None:
        self.table = table
        self.loaded_at = time.monotonic()
        self.reloading: asyncio.Task | None = None


def _state(ctx: AppContext) -> _State | None:
    return ctx.extras.get("channel_config")


def _live(ctx: AppContext) -> dict[str, Channel]:
    reg = ctx.extras.get("channels")
    return {c.name: c for c in reg.channels()} if reg is not None else {}


def build_channel(ctx: AppContext, row: ChannelDef) -> SmppChannel:
    from tidings.channels.smpp.db_matcher import DbReceiptMatcher

    channel = SmppChannel(smpp_config(row, ctx.box), matcher=DbReceiptMatcher(ctx.db, row.name))
    channel.unknown_policy = row.unknown_policy  # type: ignore[attr-defined]  # read by the dispatcher
    channel._tidings_def = _fingerprint(row)  # type: ignore[attr-defined]
    return channel


def install(ctx: AppContext, registry) -> None:  # noqa: ANN001
    """REGISTRY_HOOKS entry: register the enabled SMPP channels and the router."""
    try:
        loaded = _load_blocking(ctx.db.url)
    except Exception:
        log.exception("could not load channel definitions; only built-in channels will run")
        loaded = _Loaded([], [])
    for row in loaded.defs:
        if row.kind == KIND_SMPP and row.enabled and not registry.has(row.name):
            registry.add(build_channel(ctx, row))
            log.info("channel %s: smpp %s:%s (%s x%s, window %s), unknown_policy=%s", row.name,
                     row.config.get("host", "127.0.0.1"), row.config.get("port", 2775), row.config.get("bind_mode", "trx"),
                     row.config.get("binds", 1), row.config.get("window", 10), row.unknown_policy)
    state = _State(_table(loaded))
    ctx.extras["channel_config"] = state
    registry.add_router(_router(ctx, registry))


def _is_up(registry):  # noqa: ANN001
    def is_up(name: str) -> bool:
        if not registry.has(name):
            return False
        stats = getattr(registry.get(name), "stats", None)
        return True if stats is None else stats().get("bound", 0) > 0

    return is_up


def _router(ctx: AppContext, registry):  # noqa: ANN001
    is_up = _is_up(registry)

    def route(request) -> str | None:  # noqa: ANN001
        state = current_table(ctx)
        if state.empty:
            return None
        name = state.pick(request.product, request.number, is_up)
        # Only channels this process can dispatch to; otherwise the registry's default decides.
        if name is not None and not registry.has(name):
            live = [n for n in state.candidates(request.product, request.number) if registry.has(n)]
            name = live[0] if live else None
        return name

    return route


def current_table(ctx: AppContext) -> RouteTable:
    """The routing snapshot; schedules a background reload when it is stale."""
    state = _state(ctx)
    if state is None:
        return RouteTable()
    if time.monotonic() - state.loaded_at > REFRESH_SECONDS and (state.reloading is None or state.reloading.done()):
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            loop = None
        if loop is not None:
            state.loaded_at = time.monotonic()  # one reload at a time, even if it fails
            state.reloading = loop.create_task(refresh(ctx))
    return state.table


async def refresh(ctx: AppContext) -> None:
    """Reload routes and enabled flags into this process's snapshot."""
    state = _state(ctx)
    if state is None:
        return
    try:
        state.table = _table(await _load(ctx.db))
    except Exception:
        log.exception("reloading routes failed; keeping the previous table")
    state.loaded_at = time.monotonic()


def channels_for(ctx: AppContext, product: str, destination: str) -> list[Channel]:
    """The channels (registered in this process) that may carry a message,
    best first.  An empty list with an empty route table means "use the
    registry's default channel"."""
    from tidings.channels.registry import registry_of

    registry = registry_of(ctx)
    return [registry.get(n) for n in current_table(ctx).candidates(product, destination) if registry.has(n)]


def failover_target(ctx: AppContext, product: str, destination: str, current: str) -> str | None:
    """Where a message on ``current`` goes after a transient refusal or while
    ``current`` is down: the next candidate that is up and runs in this
    process, or None (stay, retry with backoff)."""
    from tidings.channels.registry import registry_of

    registry = registry_of(ctx)
    up = _is_up(registry)
    return current_table(ctx).failover(product, destination, current, lambda n: registry.has(n) and up(n))


async def move_messages(session, moves: list[dict]) -> None:  # noqa: ANN001
    """Failover: ``{"b_id", "b_channel"}`` per message, in the dispatcher's transaction."""
    from tidings.store.messages import move_queued

    await move_queued(session, moves)


def _register() -> None:
    from tidings.channels.registry import REGISTRY_HOOKS

    if install not in REGISTRY_HOOKS:
        REGISTRY_HOOKS.append(install)


_register()
