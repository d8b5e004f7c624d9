"""Which channel carries a message.

The registry holds every channel this process knows and the routers that
choose among them.  The send path asks :meth:`ChannelRegistry.route` once per
message when it accepts it and stores the answer (``messages.channel``); each
channel then has its own dispatcher that claims only its messages.  So a new
carrier plugs in by registering a channel and, if it should take traffic, a
router: the dispatcher and the send path do not change.

A router is a function ``(RouteRequest) -> str | None``: the name of a channel,
or None to let the next router decide.  The first answer wins; without one the
message goes to the default channel (the sandbox unless an operator sets
another).  Routers run on the accept path for every number, so they must be
cheap and in-memory (load route tables at start-up, refresh them in the
background).

Products that bring channels (the SMPP carriers) append a setup function to
:data:`REGISTRY_HOOKS`; it runs when the registry is first built in a process
(API, worker or CLI), and gets the context and the registry.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

from tidings.channels.base import Channel
from tidings.context import AppContext


@dataclass(frozen=True, slots=True)
class RouteRequest:
    tenant_id: str
    number: str  # E.164 digits
    channel_num: str  # the sender number
    product: str = "sms"


Router = Callable[[RouteRequest], "str | None"]

REGISTRY_HOOKS: list[Callable[[AppContext, "ChannelRegistry"], None]] = []


class UnknownChannel(KeyError):
    pass


class ChannelRegistry:
    def __init__(self, default: str) -> None:
        self.default = default
        self._channels: dict[str, Channel] = {}
        self._routers: list[Router] = []

    def add(self, channel: Channel) -> None:
        if channel.name in self._channels:
            raise ValueError(f"channel {channel.name!r} is registered twice")
        self._channels[channel.name] = channel

    def add_router(self, router: Router) -> None:
        self._routers.append(router)

    def get(self, name: str) -> Channel:
        try:
            return self._channels[name]
        except KeyError:
            raise UnknownChannel(name) from None

    def has(self, name: str) -> bool:
        return name in self._channels

    def channels(self) -> list[Channel]:
        return list(self._channels.values())

    def route(self, request: RouteRequest) -> str:
        for router in self._routers:
            name = router(request)
            if name is not None:
                return name
        return self.default

    @property
    def trivial(self) -> bool:
        """No routers: every message goes to the default (the send path then
        skips the per-number call)."""
        return not self._routers


def registry_of(ctx: AppContext) -> ChannelRegistry:
    """This process's registry, built on first use: the sandbox, then every hook."""
    reg = ctx.extras.get("channels")
    if reg is None:
        from tidings.channels.sandbox.carrier import SandboxCarrier, SandboxConfig

        reg = ChannelRegistry(default=str((ctx.settings.extra.get("channels") or {}).get("default", "sandbox")))
        reg.add(SandboxCarrier(SandboxConfig.from_settings(ctx.settings.extra)))
        for hook in REGISTRY_HOOKS:
            hook(ctx, reg)
        ctx.extras["channels"] = reg
    return reg


def sandbox_of(ctx: AppContext):
    """The sandbox carrier of this process (the virtual phone and CLI use it)."""
    from tidings.channels.sandbox.carrier import NAME

    return registry_of(ctx).get(NAME)
