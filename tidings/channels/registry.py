"""Which channel carries a message.

The registry holds every channel this process knows and the router that
chooses among them.  The send path asks :meth:`ChannelRegistry.route` once per
message when it accepts it and stores the answer (``messages.channel``); each
channel then has its own dispatcher that claims only its messages.  So a new
carrier plugs in by registering a channel: the dispatcher and the send path
do not change.

A router is a function ``(RouteRequest) -> str | None``: the name of a channel,
or None to let the registry's default decide (the sandbox unless an operator
sets another).  A message goes only to a channel that carries the form its
product sends (``Product.carried_as`` in ``Channel.carries``).  The router runs on the accept path for every number,
so it must be cheap and in-memory (:mod:`tidings.channels.routing` answers
from a snapshot of the routes, refreshed in the background).

:func:`tidings.channels.setup.build_registry` builds this process's registry
once at start-up (``serve``, ``api`` and ``worker``).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING

from tidings.channels.base import Channel
from tidings.context import AppContext

if TYPE_CHECKING:
    from tidings.channels.routing import LiveRoutes


@dataclass(frozen=True, slots=True)
class RouteRequest:
    tenant_id: str
    number: str  # E.164 digits
    channel_num: str  # the sender number
    product: str  # the message's product (messages.product)


Router = Callable[[RouteRequest], "str | None"]


class UnknownChannel(KeyError):
    pass


class NoChannel(LookupError):
    """No channel of this process carries the product's messages."""


class ChannelRegistry:
    def __init__(self, default: str, forms: Mapping[str, str] | None = None) -> None:
        self.default = default
        # Product name -> the form its messages go out as (Product.carried_as).
        self.forms: dict[str, str] = dict(forms or {})
        self._channels: dict[str, Channel] = {}
        # The operator's routes (None: every message goes to the default).
        self.routes: LiveRoutes | None = None

    def add(self, channel: Channel) -> None:
        if channel.name in self._channels:
            raise ValueError(f"channel {channel.name!r} is registered twice")
        self._channels[channel.name] = channel

    def get(self, name: str) -> Channel:
        try:
            return self._channels[name]
        except KeyError:
            raise UnknownChannel(name) from None

    def has(self, name: str) -> bool:
        return name in self._channels

    def carries(self, name: str, product: str) -> bool:
        """Channel ``name`` runs here and carries ``product``'s messages."""
        channel = self._channels.get(name)
        return channel is not None and self.forms.get(product, "") in channel.carries

    def channels(self) -> list[Channel]:
        return list(self._channels.values())

    def route(self, request: RouteRequest) -> str:
        name = self.routes(request) if self.routes is not None else None
        if name is not None:
            return name
        default = self._channels.get(self.default)
        if default is not None and self.forms.get(request.product, "") not in default.carries:
            raise NoChannel(f"no channel carries {request.product} messages")
        return self.default

    def failover(self, product: str, destination: str, current: str) -> str | None:
        """Where a message on ``current`` goes after a transient refusal or
        while ``current`` is down: the next route's channel that carries the
        product, is up and runs in this process; None: stay and retry."""
        if self.routes is None:
            return None

        def usable(name: str) -> bool:
            return self.carries(name, product) and self.get(name).is_up()

        return self.routes.current().failover(product, destination, current, usable)

    @property
    def trivial(self) -> bool:
        """No routes: every message goes to the default (the send path then
        skips the per-number call)."""
        return self.routes is None or self.routes.current().empty


def registry_of(ctx: AppContext) -> ChannelRegistry:
    """This process's registry (built at start-up by ``build_registry``)."""
    reg = ctx.channels
    if reg is None:
        raise RuntimeError("the channel registry is built at start-up: await tidings.channels.setup.build_registry(ctx) first")
    return reg
