"""What a product plugs into the house: one typed description per product.

A product (SMS and smart messages now; the basic edition, service accounts
and billing next) is a package under ``tidings/`` whose ``product.py`` holds
one :class:`Entry`: its name, its CLI group and ``load``, which imports the
product's modules and returns its :class:`Product`.  :mod:`tidings.installed`
lists the entries; ``serve``, ``api``, ``worker`` and the CLI read that list
once at start-up (:func:`tidings.installed.build_context` loads each entry).
Nothing registers itself by being imported.  docs/architecture.md "Adding a
product" walks through each field.

An entry is cheap to import (the CLI builds its command tree from the list
without loading SQLAlchemy or FastAPI), so this module names only types and
imports nothing heavy at run time.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    import typer
    from fastapi import APIRouter
    from sqlalchemy.ext.asyncio import AsyncSession

    from tidings.callbacks.formats import Renderer
    from tidings.channels.base import Uplink
    from tidings.context import AppContext
    from tidings.meters.stream import MeterEvent
    from tidings.review import DecisionHook, LinksHook
    from tidings.runtime import Service
    from tidings.tenant_settings import ProductSettings
    from tidings.timeutil import TimeFormat


class BuildReceipt(Protocol):
    """One delivery-receipt payload for part ``seq`` of ``total`` of a message.

    ``row`` is a message row as the pipeline loads it (``id``, ``tenant_id``,
    ``task_id``, ``product``, ``to``, ``signature``, ``extend``, ``parts``,
    ``created_at``, ``submitted_at``); ``fmt`` formats times with a memo shared
    by one batch."""

    def __call__(self, row: Any, *, seq: int, total: int, status: str, desc: str, send_time: datetime | None,
                 receive_time: datetime, fmt: TimeFormat) -> dict: ...


@dataclass(frozen=True, slots=True)
class Receipts:
    """How the pipeline reports on this product's messages: the AIM
    ``callback_type`` the outbox files the receipts under, and their builder."""

    callback_type: str
    build: BuildReceipt


@dataclass(frozen=True, slots=True)
class UplinkOwner:
    """Who receives a handset's reply to a number: the tenant, the owning
    object's id (an SMS application) and the URL to forward it to (None: store only)."""

    tenant_id: str
    owner_id: str
    url: str | None


@dataclass(frozen=True, slots=True)
class Uplinks:
    """How this product takes handset replies: ``owner`` finds who holds the
    destination number (None: not this product's), ``form`` builds the
    payload forwarded to the owner's URL, filed under outbox kind ``kind``."""

    kind: str
    owner: Callable[[AsyncSession, str], Awaitable[UplinkOwner | None]]
    form: Callable[[str, Uplink], dict[str, str]]


class MeterDelivered(Protocol):
    """The meter events earned by ``parts`` delivered parts of message ``row``
    (a row as :class:`BuildReceipt` gets it), reported at ``at``.  Called in
    the report's transaction once per message, when its final status is known."""

    def __call__(self, row: Any, *, parts: int, at: datetime) -> Sequence[MeterEvent]: ...


@dataclass(frozen=True, slots=True)
class Handset:
    """What this product shows on the virtual phone (tidings/web/phone.py):
    ``decorate(ctx, number, views)`` turns views of received messages into the
    product's own: it sets ``kind`` and ``html``, the message's list item
    (``<li class="msg" data-msg-id=...>``) rendered from the product's own
    templates; ``assets()`` gives the CSS and script the page adds
    (``{"css": ..., "js": ...}``).  Both are markup the product vouches for."""

    decorate: Callable[[AppContext, str, list[dict]], Awaitable[None]]
    assets: Callable[[], Mapping[str, str]]


DemoHook = Callable[["AppContext", dict], Awaitable[None]]
# (scope, receive, send) -> answered?  ASGI's three, untyped here to keep this module light.
FastPath = Callable[[Any, Any, Any], Awaitable[bool]]


@dataclass(frozen=True, slots=True)
class CliGroup:
    name: str
    app: typer.Typer
    help: str


@dataclass(frozen=True, slots=True)
class Product:
    """Everything one product adds.  Only ``name`` is required; a field left
    empty means the product has nothing of that kind."""

    # The value of ``messages.product``, meter events' product and routes' product.
    name: str
    # The form its messages go out as, which a channel must carry to take them
    # (``Channel.carries``, tidings/channels/base.py: ``text``); None: it sends none.
    carried_as: str | None = None
    # HTTP routers, mounted in this order after the core ones.
    routers: Sequence[APIRouter] = ()
    # Path prefix -> a raw ASGI handler the gateway tries before any router:
    # it answers and returns True, or returns False and the routers have the
    # request.  For a hot page that needs none of FastAPI's routing,
    # dependencies or validation (the card page); request id, body limit,
    # access log and the 500 handler apply as to any request.
    fast_paths: Mapping[str, FastPath] = field(default_factory=dict)
    # Review kind (``review_items.object_type``) -> the hook that moves the
    # product's object when a decision lands, in the decision's transaction.
    review_hooks: Mapping[str, DecisionHook] = field(default_factory=dict)
    # Review kind -> (ctx, item) -> {name: url}: what the operator's view of
    # the item links to (the card preview), computed when it is shown.
    review_links: Mapping[str, LinksHook] = field(default_factory=dict)
    # Delivery receipts for this product's messages (None: it sends none).
    receipts: Receipts | None = None
    # Handset replies to numbers this product hands out.
    uplinks: Uplinks | None = None
    # What it shows on the virtual phone beyond a message's text (smart messages: cards).
    handset: Handset | None = None
    # The keys it adds to a tenant's settings (a model of optional fields; names
    # unique across products), validated and stored with the shared ones.
    tenant_settings: type[ProductSettings] | None = None
    # Outbox kind -> how a row of that kind becomes a request body, for kinds
    # only this product writes (the shared AIM kinds live in callbacks/formats.py).
    callback_renderers: Mapping[str, Renderer] = field(default_factory=dict)
    # Metrics this product writes to the meter stream (``tidings messages stats`` shows them).
    meter_kinds: Sequence[str] = ()
    # What delivered parts of this product's messages earn on the meter stream
    # (None: nothing); the pipeline records them, so it names no metric itself.
    meter_delivered: MeterDelivered | None = None
    # Background services this product runs besides the shared pipeline (in
    # the worker processes).
    services: Callable[[AppContext], Sequence[Service]] | None = None
    # Background services that take tenants' rate-limit tokens (ctx.limiter):
    # they run in the API process, whose limiter holds the tenants' limits.
    api_services: Callable[[AppContext], Sequence[Service]] | None = None
    # Run once in the API process at start-up, before the first request (the
    # shipped public templates).
    on_start: Sequence[Callable[[AppContext], Awaitable[object]]] = ()
    # Finishes the demo tenant's setup on the first ``serve``; writes what it made into ``info``.
    demo: DemoHook | None = None
    # Lines the start-up banner shows about what ``demo`` made.
    banner: Callable[[dict], list[str]] | None = None


@dataclass(frozen=True, slots=True)
class Entry:
    """A product as :data:`tidings.installed.PRODUCTS` lists it."""

    # The same name as its Product's.
    name: str
    # Imports the product's modules and describes it; called once per process at start-up.
    load: Callable[[], Product]
    # Its ``tidings <name> ...`` command group; its module imports only Typer
    # and tidings.cli.common at the top (the rest inside the commands).
    cli: CliGroup | None = None
