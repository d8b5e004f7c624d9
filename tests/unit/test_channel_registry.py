"""The registry sends a product's messages only to channels that carry the
form they go out as (``Product.carried_as`` in ``Channel.carries``): through
the operator's routes, and by default."""

from __future__ import annotations

import pytest

from tidings.channels.base import TEXT
from tidings.channels.registry import ChannelRegistry, NoChannel, RouteRequest
from tidings.channels.routing import LiveRoutes
from tidings.channels.sandbox.carrier import SandboxCarrier
from tidings.channels.smpp.channel import SmppChannel, SmppConfig
from tidings.domain.routing import Route, RouteTable

SMS, AIM, BASIC = "sms", "aim", "basic"
# Both go out as text SMS; basic-edition messages need a form no channel carries yet.
FORMS = {SMS: TEXT, AIM: TEXT, BASIC: "video"}


def registry(*routes: Route) -> ChannelRegistry:
    reg = ChannelRegistry(default="sandbox", forms=FORMS)
    reg.add(SandboxCarrier())
    reg.add(SmppChannel(SmppConfig(name="cmcc")))  # never started: registered, not up
    reg.add(SmppChannel(SmppConfig(name="backup")))
    enabled = {r.channel for r in routes}
    reg.routes = LiveRoutes(None, reg, RouteTable(routes, enabled))  # type: ignore[arg-type]  # no reload within the test
    return reg


def ask(reg: ChannelRegistry, product: str, number: str = "8613800138000") -> str:
    return reg.route(RouteRequest("t1", number, "10690000", product))


def test_channels_declare_what_they_carry():
    # Text SMS: the form of SMS and of smart messages (an SMS carrying its card link).
    assert SandboxCarrier.carries == frozenset({TEXT}) and SmppChannel.carries == frozenset({TEXT})


def test_without_routes_sms_goes_to_the_default_and_a_product_nobody_carries_is_refused():
    reg = registry()
    assert reg.trivial and ask(reg, SMS) == "sandbox" and ask(reg, AIM) == "sandbox"
    with pytest.raises(NoChannel):
        ask(reg, BASIC)


def test_a_route_is_taken_only_for_a_product_its_channel_carries():
    reg = registry(Route("cmcc", SMS, "86138", priority=10), Route("cmcc", BASIC, "86138", priority=10))
    assert ask(reg, SMS) == "cmcc"  # down, but the only candidate: it waits for its binds
    assert ask(reg, SMS, "8613900139000") == "sandbox"  # no route: the default
    with pytest.raises(NoChannel):  # SMPP does not carry basic-edition messages, and neither does the default
        ask(reg, BASIC)


def test_failover_needs_a_channel_that_is_up():
    reg = registry(Route("cmcc", SMS, "86138", priority=10), Route("backup", SMS, "86138", priority=20))
    assert reg.failover(SMS, "8613800138000", "cmcc") is None  # backup is not bound
    reg = registry(Route("cmcc", SMS, "86138", priority=10), Route("sandbox", SMS, "86138", priority=20))
    assert reg.failover(SMS, "8613800138000", "cmcc") == "sandbox"
    assert reg.failover(BASIC, "8613800138000", "cmcc") is None
